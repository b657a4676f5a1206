import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Wal } from '../../src/storage/wal/wal.ts';
import { WalCorruptError, StorageError } from '../../src/storage/errors.ts';
import { crc32, crc32Table } from '../../src/storage/crc32.ts';
import { entries, entry, faultyFs } from './helpers.ts';

function segmentFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.wal')).sort();
}

t.test('crc32: table and native agree, known vector', async (t) => {
  const v = new TextEncoder().encode('123456789');
  t.equal(crc32Table(v), 0xcbf43926);
  t.equal(crc32(v), 0xcbf43926);
  t.equal(crc32(v.subarray(4), crc32(v.subarray(0, 4))), 0xcbf43926, 'running checksum');
});

t.test('round trip and restart replay', async (t) => {
  const dir = t.testdir();
  const { wal } = await Wal.open({ dir });
  await wal.save({ term: 1, vote: 'a', commit: 0 }, entries(1, 10), true);
  await wal.save({ term: 2, vote: null, commit: 5 }, entries(11, 20, 2), true);
  await wal.close();
  const { wal: again, log } = await Wal.open({ dir });
  t.same(log.hardState, { term: 2, vote: null, commit: 5 });
  t.equal(log.entries.length, 20);
  t.same(log.entries[14], entry(15, 2));
  t.same(log.entries[3], entry(4, 1));
  await again.close();
});

t.test('group commit: concurrent saves share one fsync', async (t) => {
  const dir = t.testdir();
  const fsx = faultyFs();
  const { wal } = await Wal.open({ dir, fs: fsx });
  const before = fsx.fsyncs;
  const sameTick = [];
  for (let i = 1; i <= 50; i++) sameTick.push(wal.save({ term: 1, vote: null, commit: i - 1 }, [entry(i)], true));
  await Promise.all(sameTick);
  t.equal(fsx.fsyncs - before, 1, '50 saves in one tick: one batch, one fsync');
  t.equal(wal.stats().writes, 1, 'and one write');
  const first = wal.save(null, [entry(51)], true);
  await new Promise((r) => setImmediate(r)); // first batch is now being written
  const joined = [];
  for (let i = 52; i <= 60; i++) joined.push(wal.save(null, [entry(i)], true));
  await Promise.all([first, ...joined]);
  t.equal(fsx.fsyncs - before, 3, 'saves issued during a write share the next fsync');
  t.equal(wal.stats().fsyncs, 3);
  await wal.save(null, [entry(61)], false);
  t.equal(fsx.fsyncs - before, 3, 'mustSync=false does not fsync');
  await wal.sync();
  t.equal(fsx.fsyncs - before, 4);
  await wal.sync();
  t.equal(fsx.fsyncs - before, 4, 'sync with nothing new does not fsync');
  await wal.close();
});

t.test('conflict truncation supersedes the suffix, also on replay', async (t) => {
  const dir = t.testdir();
  const { wal } = await Wal.open({ dir, segmentBytes: 300 });
  for (let i = 1; i <= 20; i++) await wal.save(null, [entry(i, 1)], true);
  await wal.save(null, entries(15, 17, 2), true);
  t.throws(() => wal.append(null, [entry(19)]), { code: 'LOG_INVALID_APPEND' });
  await wal.save(null, entries(18, 25, 2), true);
  await wal.close();
  t.ok(segmentFiles(dir).length > 2, 'spans several segments');
  const { wal: again, log } = await Wal.open({ dir });
  t.equal(log.entries.length, 25);
  t.same(log.entries.map((e) => e.term), [...Array(14).fill(1), ...Array(11).fill(2)]);
  await again.close();
});

t.test('torn write at the tail is cut and logged', async (t) => {
  const dir = t.testdir();
  const { wal } = await Wal.open({ dir });
  await wal.save(null, entries(1, 5), true);
  await wal.close();
  const file = path.join(dir, segmentFiles(dir).at(-1)!);
  const goodSize = fs.statSync(file).size;
  const partial = new Uint8Array(30).fill(0xab);
  fs.appendFileSync(file, partial);
  const logs: string[] = [];
  const { wal: again, log } = await Wal.open({ dir, logger: (m) => logs.push(m) });
  t.equal(log.entries.length, 5);
  t.equal(fs.statSync(file).size, goodSize, 'file truncated to the last good record');
  t.match(logs.join('\n'), /cut torn tail .* at byte offset \d+/);
  await again.save(null, [entry(6)], true);
  await again.close();
  const third = await Wal.open({ dir });
  t.equal(third.log.entries.length, 6, 'appends after the cut replay fine');
  await third.wal.close();
});

t.test('bit flip in the tail record is cut; in the middle it throws with file and offset', async (t) => {
  const dir = t.testdir();
  const { wal } = await Wal.open({ dir });
  for (let i = 1; i <= 10; i++) await wal.save(null, [entry(i)], true);
  await wal.close();
  const file = path.join(dir, segmentFiles(dir).at(-1)!);
  const pristine = fs.readFileSync(file);
  const size = pristine.length;

  const tail = Buffer.from(pristine);
  tail[size - 3]! ^= 0x10;
  fs.writeFileSync(file, tail);
  const logs: string[] = [];
  const a = await Wal.open({ dir, logger: (m) => logs.push(m) });
  t.equal(a.log.entries.length, 9, 'tail record dropped');
  t.match(logs[0], /checksum mismatch/);
  await a.wal.close();

  const middle = Buffer.from(pristine);
  middle[Math.floor(size / 2)]! ^= 0x01;
  fs.writeFileSync(file, middle);
  const err = await Wal.open({ dir }).then(() => null, (e: unknown) => e);
  t.ok(err instanceof WalCorruptError);
  const wce = err as WalCorruptError;
  t.equal(wce.code, 'WAL_CORRUPT');
  t.equal(wce.file, file);
  t.ok(wce.offset > 0 && wce.offset < size / 2 + 1);
  t.match(wce.message, new RegExp(`byte offset ${wce.offset}`));
  t.equal(fs.statSync(file).size, size, 'corrupt file left untouched for inspection');
});

t.test('corruption in an earlier segment throws even at its end', async (t) => {
  const dir = t.testdir();
  const { wal } = await Wal.open({ dir, segmentBytes: 500 });
  for (let i = 1; i <= 40; i++) await wal.save(null, [entry(i)], true);
  await wal.close();
  const files = segmentFiles(dir);
  t.ok(files.length >= 3);
  const first = path.join(dir, files[0]!);
  const buf = fs.readFileSync(first);
  buf[buf.length - 2]! ^= 0xff;
  fs.writeFileSync(first, buf);
  await t.rejects(Wal.open({ dir }), { code: 'WAL_CORRUPT', file: first });
});

t.test('a missing segment in the sequence throws WAL_SEGMENT_MISSING', async (t) => {
  const dir = t.testdir();
  const { wal } = await Wal.open({ dir, segmentBytes: 500 });
  for (let i = 1; i <= 40; i++) await wal.save(null, [entry(i)], true);
  await wal.close();
  const files = segmentFiles(dir);
  fs.unlinkSync(path.join(dir, files[1]!));
  await t.rejects(Wal.open({ dir }), { code: 'WAL_SEGMENT_MISSING', message: /seq 1 is missing/ });
});

t.test('full disk: WAL_WRITE_FAILED, partial batch cut, acknowledged data intact', async (t) => {
  const dir = t.testdir();
  const fsx = faultyFs();
  const { wal } = await Wal.open({ dir, fs: fsx });
  await wal.save({ term: 3, vote: 'b', commit: 4 }, entries(1, 10), true);
  fsx.failWrites = { code: 'ENOSPC', partial: 100 };
  const failed = wal.save(null, entries(11, 20), true);
  const queued = wal.save(null, entries(21, 22), true);
  await t.rejects(failed, { code: 'WAL_WRITE_FAILED', message: /ENOSPC/ });
  await t.rejects(queued, { code: 'WAL_WRITE_FAILED' });
  t.throws(() => wal.append(null, [entry(11)]), { code: 'WAL_WRITE_FAILED' }, 'refuses further writes');
  fsx.failWrites = null;
  await wal.close();
  const logs: string[] = [];
  const { wal: again, log } = await Wal.open({ dir, logger: (m) => logs.push(m) });
  t.equal(log.entries.length, 10, 'all acknowledged entries, nothing of the failed batch');
  t.same(log.hardState, { term: 3, vote: 'b', commit: 4 });
  t.same(logs, [], 'partial write was truncated at failure time, no torn tail left');
  await again.close();
});

t.test('releaseTo deletes segments covered by a snapshot; hard state survives', async (t) => {
  const dir = t.testdir();
  const { wal } = await Wal.open({ dir, segmentBytes: 500 });
  await wal.save({ term: 7, vote: 'x', commit: 0 }, [], true);
  for (let i = 1; i <= 60; i++) await wal.save(null, [entry(i, 7)], true);
  const before = segmentFiles(dir).length;
  t.ok(before >= 5);
  const removed = await wal.releaseTo(30);
  t.ok(removed > 0);
  const after = segmentFiles(dir);
  t.equal(after.length, before - removed);
  const firstRemaining = Number(after[0]!.split('-')[1]!.slice(0, 16));
  t.ok(firstRemaining <= 31, 'the segment holding entry 31 is kept');
  t.equal(await wal.releaseTo(10_000), after.length - 1, 'never deletes the segment being written');
  await wal.releaseTo(30);
  await wal.close();
  const { wal: again, log } = await Wal.open({ dir });
  t.same(log.hardState, { term: 7, vote: 'x', commit: 0 }, 'hard state is rewritten at the start of every segment');
  t.equal(log.entries.at(-1)!.index, 60);
  await again.close();
});

t.test('snapshot marker resets a log that does not hold the entry', async (t) => {
  const dir = t.testdir();
  const { wal } = await Wal.open({ dir });
  await wal.save(null, entries(1, 10, 1), true);
  await wal.saveSnapshot(8, 1); // matching: keep 9, 10
  let r = await reopen();
  t.same(r.entries.map((e) => e.index), [9, 10]);
  const w2 = (await Wal.open({ dir })).wal;
  await w2.saveSnapshot(50, 4); // not held: log restarts at 50
  await w2.save(null, entries(51, 52, 4), true);
  await w2.close();
  r = await reopen();
  t.same(r.snapshot, { index: 50, term: 4 });
  t.same(r.entries.map((e) => e.index), [51, 52]);

  async function reopen() {
    await wal.close();
    const { wal: w, log } = await Wal.open({ dir });
    await w.close();
    return log;
  }
});

t.test('bad input gives clear errors', async (t) => {
  const dir = t.testdir();
  const { wal } = await Wal.open({ dir });
  t.throws(() => wal.append(null, [entry(3)]), StorageError);
  t.throws(() => wal.append(null, [entry(1), entry(3)]), { code: 'LOG_INVALID_APPEND' });
  await wal.close();
  t.throws(() => wal.append(null, [entry(1)]), { code: 'WAL_CLOSED' });
});
