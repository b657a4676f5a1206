// The simulated disk keeps what a real one keeps: fsynced bytes and synced
// directory entries survive a power cut, the rest may not; and the board's
// real storage (WAL, snapshot store) runs on it unchanged.
import t from 'tap';
import { SimDisk } from './sim-disk.ts';
import { SeededRandom } from '../../src/raft/random.ts';
import { openDataDir } from '../../src/storage/open.ts';
import type { Entry } from '../../src/raft/types.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

t.test('fsynced bytes and synced entries survive a power cut; the rest may not', async (t) => {
  const disk = new SimDisk();
  await disk.mkdir('/d');
  const f = await disk.open('/d/a', 'create');
  await f.write(bytes('hello'), 0);
  await f.sync();
  await disk.syncDir('/d');
  await f.write(bytes(' world'), 5);
  const g = await disk.open('/d/b', 'create');
  await g.write(bytes('unsynced entry'), 0);
  await g.sync();
  disk.powerCut(new SeededRandom(1));
  t.ok(text(await disk.readFile('/d/a')).startsWith('hello'), 'synced bytes kept');
  t.same(await disk.readdir('/d'), ['a'], 'a file whose directory entry was never synced is gone');
});

t.test('a rename not followed by a directory fsync is undone by a power cut', async (t) => {
  const disk = new SimDisk();
  await disk.mkdir('/d');
  const f = await disk.open('/d/x.tmp', 'create');
  await f.write(bytes('snapshot'), 0);
  await f.sync();
  await disk.syncDir('/d');
  await disk.rename('/d/x.tmp', '/d/x');
  disk.powerCut(new SeededRandom(2));
  t.same(await disk.readdir('/d'), ['x.tmp'], 'back under its temporary name');
});

t.test('faults: a failing fsync, a full disk, a read-only mount', async (t) => {
  const disk = new SimDisk();
  await disk.mkdir('/d');
  const f = await disk.open('/d/a', 'create');
  disk.faults.failNextFsync = true;
  await t.rejects(f.sync(), { code: 'EIO' });
  disk.faults.capacityBytes = 4;
  await t.rejects(f.write(bytes('12345'), 0), { code: 'ENOSPC' });
  disk.faults.readOnly = true;
  await t.rejects(disk.open('/d/b', 'create'), { code: 'EROFS' });
  await t.rejects(disk.checkWritable('/d'), { code: 'EROFS' });
});

t.test('the real WAL on the simulated disk: what was saved with a sync survives a power cut', async (t) => {
  const disk = new SimDisk();
  const rng = new SeededRandom(7);
  let opened = await openDataDir({ dir: '/b1', fs: disk, lock: false, segmentBytes: 4096 });
  const ents: Entry[] = Array.from({ length: 50 }, (_, i) => ({ term: 1, index: i + 1, type: 'normal', data: bytes(`e${i + 1}`) }));
  await opened.storage.saveReady({ term: 1, vote: 'b1', commit: 0 }, ents.slice(0, 40), true);
  // Ten more written but not synced: they may or may not be there after the cut.
  void opened.storage.saveReady(null, ents.slice(40), false);
  await new Promise((r) => setImmediate(r));
  disk.powerCut(rng);
  opened = await openDataDir({ dir: '/b1', fs: disk, lock: false, segmentBytes: 4096 });
  const last = opened.logStore.lastIndex();
  t.ok(last >= 40 && last <= 50, `the log ends at ${last}: everything synced, and maybe some of the rest`);
  t.same(opened.hardState, { term: 1, vote: 'b1', commit: 0 }, 'the hard state survived');
  t.equal(text(opened.logStore.entries(40, 41, 1e9)[0]!.data), 'e40');
});
