// Golden story: pre-vote keeps a rejoining node from disrupting the leader; check-quorum deposes a cut-off leader.
import t from 'tap';
import { Cluster, golden } from './harness.ts';

t.test('a partitioned follower rejoins without disrupting the leader (thesis §9.6)', async (t) => {
  const c = new Cluster(['a', 'b', 'c'], { preVote: true, checkQuorum: true });
  c.campaign('a');
  c.note('c is cut off and times out repeatedly: pre-votes fail, its term does not grow');
  c.isolate('c');
  c.tickAll(40);
  t.equal(c.node('c').status().term, 2, 'c stayed in term 2 while isolated');
  c.note('c rejoins: the leader keeps its term');
  c.heal();
  c.tickAll(3);
  t.equal(c.leader(), 'a');
  t.equal(c.node('a').status().term, 2);
  const g = golden('pre-vote-rejoin', c.transcript.filter((l) => !l.includes('heartbeat')));
  t.equal(g.actual, g.expected, 'transcript matches golden/pre-vote-rejoin.txt');
});

t.test('check-quorum: a leader that hears from no quorum steps down', async (t) => {
  const c = new Cluster(['a', 'b', 'c'], { preVote: true, checkQuorum: true });
  c.campaign('a');
  c.isolate('a');
  c.tickAll(25);
  t.equal(c.node('a').status().role, 'follower', 'a stepped down within two election timeouts without a quorum');
  t.ok(['b', 'c'].includes(c.leader() ?? ''), 'the majority side elected a new leader');
});
