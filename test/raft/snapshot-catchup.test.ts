// Golden story: a follower that was down while the leader compacted its log catches up by snapshot.
import t from 'tap';
import { Cluster, golden } from './harness.ts';

t.test('a slow follower after compaction catches up by snapshot, then by appends', async (t) => {
  const c = new Cluster(['a', 'b', 'c'], { preVote: true, checkQuorum: true });
  c.campaign('a');
  c.crash('c');
  for (let i = 1; i <= 5; i++) c.propose('a', `w${i}`);
  const a = c.get('a');
  const applied = a.node.status().applied;
  a.storage.createSnapshot(applied, a.conf, new TextEncoder().encode('image'));
  a.storage.compact(applied);
  c.note(`a compacted its log through ${applied}; c restarts behind it`);
  c.restart('c');
  c.tickAll(3);
  t.equal(c.get('c').storage.snapshot().metadata.index, applied, 'c installed the snapshot');
  c.propose('a', 'after');
  t.same(c.get('c').applied, ['after'], 'c applies new entries after the snapshot');
  t.equal(c.node('c').status().commit, c.node('a').status().commit);
  const g = golden('snapshot-catchup', c.transcript.filter((l) => !l.includes('heartbeat')));
  t.equal(g.actual, g.expected, 'transcript matches golden/snapshot-catchup.txt');
});
