import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SnapshotStore } from '../../src/storage/snapshot-store.ts';
import { openSnapshotReader, SnapshotReceiver } from '../../src/storage/snapshot-stream.ts';
import { SnapshotPolicy } from '../../src/storage/snapshot-policy.ts';
import { emptyConfState, type Snapshot } from '../../src/raft/types.ts';

function image(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 13 + seed) & 0xff;
  return out;
}
const snap = (index: number, size = 1000): Snapshot => ({
  metadata: { index, term: 2, confState: { ...emptyConfState, voters: ['a', 'b', 'c'] } },
  data: image(size, index),
});

t.test('save keeps the last two; load returns the newest', async (t) => {
  const dir = t.testdir();
  const store = await SnapshotStore.open({ dir });
  t.equal(await store.loadNewest(), null);
  for (const i of [10, 20, 30]) await store.save(snap(i));
  t.same(store.list().map((f) => f.index), [20, 30]);
  t.equal(store.oldestIndex(), 20);
  const again = await SnapshotStore.open({ dir });
  const loaded = await again.loadNewest();
  t.same(loaded, snap(30));
  t.same(again.readImageSync(snap(30).metadata), snap(30).data);
});

t.test('crash mid-write: leftover temp files are removed and ignored', async (t) => {
  const dir = t.testdir();
  const store = await SnapshotStore.open({ dir });
  await store.save(snap(10));
  fs.writeFileSync(path.join(dir, 'snapshot-0000000000000020-0000000000000002.snap.tmp'), image(500, 1));
  const logs: string[] = [];
  const again = await SnapshotStore.open({ dir, logger: (m) => logs.push(m) });
  t.same((await again.loadNewest())!.metadata.index, 10);
  t.match(logs[0], /removed unfinished/);
  t.notOk(fs.readdirSync(dir).some((f) => f.endsWith('.tmp')));
});

t.test('corrupt newest falls back to the previous with a log line; all corrupt throws', async (t) => {
  const dir = t.testdir();
  const store = await SnapshotStore.open({ dir });
  await store.save(snap(10));
  await store.save(snap(20));
  const newest = path.join(dir, store.list()[1]!.file);
  const buf = fs.readFileSync(newest);
  buf[buf.length - 10]! ^= 0x40;
  fs.writeFileSync(newest, buf);
  const logs: string[] = [];
  const again = await SnapshotStore.open({ dir, logger: (m) => logs.push(m) });
  t.same((await again.loadNewest())!.metadata.index, 10);
  t.match(logs.join(), /image checksum mismatch.*falling back/);
  fs.truncateSync(path.join(dir, store.list()[0]!.file), 30);
  await t.rejects((await SnapshotStore.open({ dir })).loadNewest(), { code: 'SNAPSHOT_CORRUPT' });
});

t.test('chunked transfer: stream, receive, install; corrupt chunk rejected', async (t) => {
  const src = await SnapshotStore.open({ dir: t.testdir({ a: {} }) + '/a' });
  const original = snap(40, 100_000);
  const file = await src.save(original);
  const reader = await openSnapshotReader(src, file, 4096);
  t.equal(reader.header.size, 100_000);
  const dst = await SnapshotStore.open({ dir: path.join(path.dirname(src.dir), 'b') });
  const rx = await SnapshotReceiver.begin(dst, reader.header);
  let chunks = 0;
  for await (const c of reader.chunks()) {
    t.ok(c.data.length <= 4096);
    await rx.write(c);
    chunks++;
  }
  await reader.close();
  t.equal(chunks, Math.ceil(100_000 / 4096));
  const installed = await rx.finish();
  t.same(installed, original);
  t.same(await (await SnapshotStore.open({ dir: dst.dir })).loadNewest(), original);

  // corrupt chunk: checksum mismatch at finish, nothing installed
  const dst2 = await SnapshotStore.open({ dir: path.join(path.dirname(src.dir), 'c') });
  const rx2 = await SnapshotReceiver.begin(dst2, reader.header);
  const r2 = await openSnapshotReader(src, file, 10_000);
  for await (const c of r2.chunks()) {
    const data = c.offset === 20_000 ? Uint8Array.from(c.data, (b, i) => (i === 5 ? b ^ 1 : b)) : c.data;
    await rx2.write({ offset: c.offset, data });
  }
  await r2.close();
  await t.rejects(rx2.finish(), { code: 'SNAPSHOT_TRANSFER_INVALID', message: /checksum/ });
  t.same(fs.readdirSync(dst2.dir), [], 'temp file removed, nothing installed');

  // out-of-order and oversize chunks
  const rx3 = await SnapshotReceiver.begin(dst2, reader.header);
  await t.rejects(rx3.write({ offset: 5, data: new Uint8Array(3) }), { code: 'SNAPSHOT_TRANSFER_INVALID' });
  const rx4 = await SnapshotReceiver.begin(dst2, { ...reader.header, size: 2 });
  await t.rejects(rx4.write({ offset: 0, data: new Uint8Array(3) }), { code: 'SNAPSHOT_TRANSFER_INVALID' });
  const rx5 = await SnapshotReceiver.begin(dst2, reader.header);
  await rx5.write({ offset: 0, data: new Uint8Array(10) });
  await t.rejects(rx5.finish(), { message: /received 10 of 100000/ });
  t.same(fs.readdirSync(dst2.dir), []);
});

t.test('policy', async (t) => {
  const p = new SnapshotPolicy({ maxEntries: 100, maxBytes: 1000, keepEntries: 10 });
  t.notOk(p.shouldSnapshot({ appliedIndex: 50, snapshotIndex: 0, logBytes: 10 }));
  t.ok(p.shouldSnapshot({ appliedIndex: 100, snapshotIndex: 0, logBytes: 10 }));
  t.ok(p.shouldSnapshot({ appliedIndex: 51, snapshotIndex: 50, logBytes: 1000 }));
  t.notOk(p.shouldSnapshot({ appliedIndex: 50, snapshotIndex: 50, logBytes: 1e6 }));
  t.equal(p.compactTo(100, 1), 90);
  t.equal(p.compactTo(5, 1), 0);
});
