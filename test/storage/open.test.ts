import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDataDir } from '../../src/storage/open.ts';
import { emptyConfState } from '../../src/raft/types.ts';
import { entries, entry } from './helpers.ts';

const conf = { ...emptyConfState, voters: ['a', 'b', 'c'] };
const walFiles = (dir: string) => fs.readdirSync(path.join(dir, 'wal')).filter((f) => f.endsWith('.wal'));

t.test('lock: a second open of the same dir fails with DATA_DIR_LOCKED; stale lock is taken over', async (t) => {
  const dir = t.testdir();
  const a = await openDataDir({ dir });
  await t.rejects(openDataDir({ dir }), { code: 'DATA_DIR_LOCKED' });
  await a.close();
  const b = await openDataDir({ dir });
  await b.close();
  fs.writeFileSync(path.join(dir, 'LOCK'), '999999999\n'); // owner long gone
  const c = await openDataDir({ dir });
  await c.close();
  t.notOk(fs.existsSync(path.join(dir, 'LOCK')));
});

t.test('not writable: DATA_DIR_NOT_WRITABLE', async (t) => {
  const dir = t.testdir({ file: 'x' });
  await t.rejects(openDataDir({ dir: path.join(dir, 'file', 'data') }), { code: 'DATA_DIR_NOT_WRITABLE' });
});

t.test('snapshot, compaction, release and restore across restarts', async (t) => {
  const dir = t.testdir();
  const opts = { dir, segmentBytes: 2048, policy: { maxEntries: 100, keepEntries: 10 } };
  let d = await openDataDir(opts);
  t.equal(d.snapshot, null);
  t.equal(d.logStore.lastIndex(), 0);
  const image = (i: number) => new TextEncoder().encode(`db@${i}`);
  for (let i = 1; i <= 350; i++) {
    await d.storage.saveReady({ term: 1, vote: 'a', commit: i }, [entry(i)], true);
    if (d.storage.snapshotDue(i)) await d.storage.takeSnapshot(i, conf, image(i));
  }
  t.equal(d.logStore.snapshotMetadata().index, 300);
  t.equal(d.logStore.firstIndex(), 291, 'compacted to snapshot - keepEntries');
  const segmentsBefore = walFiles(dir);
  await d.close();

  d = await openDataDir(opts);
  t.same(d.snapshot!.metadata, { index: 300, term: 1, confState: conf });
  t.same(d.snapshot!.data, image(300));
  t.same(d.confState, conf);
  t.same(d.hardState, { term: 1, vote: 'a', commit: 350 });
  t.equal(d.logStore.firstIndex(), 301);
  t.equal(d.logStore.lastIndex(), 350);
  t.same(d.logStore.entries(301, 351, 1e9), entries(301, 350));
  t.same(d.logStore.snapshot().data, image(300));
  t.ok(segmentsBefore.length < 12, `old segments deleted (${segmentsBefore.length} left)`);
  const firstSeg = Number(segmentsBefore.sort()[0]!.split('-')[1]!.slice(0, 16));
  t.ok(firstSeg <= 201 && firstSeg > 100, `WAL kept back to the older snapshot (200): first segment starts at ${firstSeg}`);
  await d.close();

  // newest snapshot corrupt: fall back to the one at 200 and replay the WAL from 201
  const snapDir = path.join(dir, 'snap');
  const newest = fs.readdirSync(snapDir).sort().at(-1)!;
  fs.writeFileSync(path.join(snapDir, newest), 'garbage');
  const logs: string[] = [];
  d = await openDataDir({ ...opts, logger: (m) => logs.push(m) });
  t.equal(d.snapshot!.metadata.index, 200);
  t.equal(d.logStore.firstIndex(), 201);
  t.equal(d.logStore.lastIndex(), 350);
  t.same(d.logStore.entries(201, 351, 1e9), entries(201, 350));
  t.match(logs.join('\n'), /falling back/);
  await d.close();
});

t.test('installing a leader snapshot discards a divergent log, also after restart', async (t) => {
  const dir = t.testdir();
  let d = await openDataDir({ dir });
  await d.storage.saveReady({ term: 1, vote: null, commit: 3 }, entries(1, 10, 1), true);
  await d.storage.installSnapshot({ metadata: { index: 50, term: 5, confState: conf }, data: new Uint8Array([9]) });
  t.equal(d.logStore.firstIndex(), 51);
  await d.storage.saveReady({ term: 5, vote: null, commit: 52 }, entries(51, 52, 5), true);
  await d.close();
  d = await openDataDir({ dir });
  t.equal(d.snapshot!.metadata.index, 50);
  t.same(d.logStore.entries(51, 53, 1e9), entries(51, 52, 5));
  t.equal(d.logStore.term(50), 5);
  await d.close();
});

t.test('snapshot present but WAL gone: refuses to start', async (t) => {
  const dir = t.testdir();
  let d = await openDataDir({ dir });
  await d.storage.saveReady({ term: 1, vote: null, commit: 5 }, entries(1, 5), true);
  await d.storage.takeSnapshot(5, conf, new Uint8Array([1]));
  await d.close();
  fs.rmSync(path.join(dir, 'wal'), { recursive: true });
  await t.rejects(openDataDir({ dir }), { code: 'WAL_SEGMENT_MISSING' });
  t.notOk(fs.existsSync(path.join(dir, 'LOCK')), 'lock released on failure');
});
