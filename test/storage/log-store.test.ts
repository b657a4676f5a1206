import t from 'tap';
import { LogStore } from '../../src/storage/log-store.ts';
import { emptyConfState, entrySize } from '../../src/raft/types.ts';
import { entries, entry } from './helpers.ts';

t.test('MemoryStorage semantics: dummy entry at the snapshot index', async (t) => {
  const s = new LogStore({ snapshot: { index: 5, term: 2, confState: emptyConfState }, entries: entries(6, 10, 3) });
  t.equal(s.firstIndex(), 6);
  t.equal(s.lastIndex(), 10);
  t.equal(s.term(5), 2, 'term of the snapshot index');
  t.equal(s.term(7), 3);
  t.throws(() => s.term(4), { code: 'RAFT_LOG_COMPACTED' });
  t.throws(() => s.term(11), { code: 'RAFT_LOG_UNAVAILABLE' });
  t.throws(() => s.entries(5, 7, 1e9), { code: 'RAFT_LOG_COMPACTED' });
  t.throws(() => s.entries(6, 12, 1e9), { code: 'RAFT_LOG_UNAVAILABLE' });
  t.equal(s.entries(6, 11, 1e9).length, 5);
  t.equal(s.entries(6, 11, 0).length, 1, 'always at least one entry');
  t.equal(s.entries(6, 11, entrySize(entry(6)) * 2).length, 2);
  t.equal(s.entries(8, 8, 10).length, 0, 'empty range');
});

t.test('append truncates conflicts, ignores compacted, rejects gaps; compact keeps term', async (t) => {
  const s = new LogStore();
  s.append(entries(1, 10, 1));
  s.append(entries(6, 8, 2));
  t.equal(s.lastIndex(), 8);
  t.equal(s.term(6), 2);
  t.throws(() => s.append([entry(10)]), { code: 'LOG_INVALID_APPEND' });
  const before = s.size();
  t.equal(before.entries, 8);
  s.compact(4);
  t.equal(s.firstIndex(), 5);
  t.equal(s.term(4), 1);
  t.equal(s.size().entries, 4);
  t.equal(s.size().bytes, before.bytes - 4 * entrySize(entry(1)));
  s.append(entries(3, 9, 2)); // 3, 4 ignored (compacted); 5.. overwrite
  t.equal(s.term(5), 2);
  t.equal(s.lastIndex(), 9);
  t.throws(() => s.compact(4), { code: 'RAFT_LOG_COMPACTED' });
  t.throws(() => s.compact(20), { code: 'RAFT_LOG_UNAVAILABLE' });
});

t.test('snapshots: applySnapshot resets, createSnapshot records, loader serves bytes', async (t) => {
  const image = new Uint8Array([1, 2, 3]);
  let loads = 0;
  const s = new LogStore({ loadSnapshot: () => (loads++, image) });
  t.same(s.snapshot().metadata.index, 0);
  s.append(entries(1, 20));
  s.createSnapshot({ index: 15, term: 1, confState: { ...emptyConfState, voters: ['a'] } });
  t.equal(s.firstIndex(), 1, 'createSnapshot does not compact');
  t.same(s.snapshot().data, image);
  t.equal(loads, 1);
  t.same(s.initialState().confState.voters, ['a']);
  s.applySnapshot({ index: 30, term: 4, confState: emptyConfState });
  t.equal(s.firstIndex(), 31);
  t.equal(s.lastIndex(), 30);
  t.equal(s.term(30), 4);
  t.equal(s.size().bytes, 0);
  t.throws(() => s.applySnapshot({ index: 30, term: 4, confState: emptyConfState }), { code: 'LOG_INVALID_APPEND' });
  t.throws(() => new LogStore({ snapshot: { index: 2, term: 1, confState: emptyConfState } }).snapshot(), { code: 'RAFT_SNAPSHOT_UNAVAILABLE' });
});

t.test('appended entries keep their bytes in one buffer of their own, not views of what they came in', async (t) => {
  // Three entries that are small views of one large buffer (a pool slab, a received packet).
  const big = new Uint8Array(8192).fill(7);
  const views = [big.subarray(100, 103), big.subarray(200, 200), big.subarray(300, 305)];
  const s = new LogStore();
  s.append(views.map((data, i) => ({ term: 1, index: i + 1, type: 'normal' as const, data })));
  const stored = s.entries(1, 4, 1e9);
  t.same(stored.map((e) => [...e.data]), [[7, 7, 7], [], [7, 7, 7, 7, 7]], 'same bytes');
  t.ok(stored.every((e) => e.data.buffer === stored[0]!.data.buffer), 'one shared buffer per append');
  t.equal(stored[0]!.data.buffer.byteLength, 8, 'exactly the 8 bytes of data, not the 8 KiB they were cut from');
  big.fill(0);
  t.same([...stored[2]!.data], [7, 7, 7, 7, 7], 'a copy: later writes to the source do not reach the log');
  t.same(s.size(), { entries: 3, bytes: stored.reduce((n, e) => n + entrySize(e), 0) });
});
