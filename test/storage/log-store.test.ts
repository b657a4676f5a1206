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
