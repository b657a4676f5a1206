// Golden story: ReadIndex (thesis §6.4) on leader and follower, and during a leader change.
import t from 'tap';
import { Cluster, bytes, golden } from './harness.ts';

t.test('ReadIndex: leader confirms with a heartbeat quorum; followers forward', async (t) => {
  const c = new Cluster(['a', 'b', 'c'], { preVote: true, checkQuorum: true });
  c.campaign('a');
  c.propose('a', 'v1');
  c.node('a').readIndex(bytes('r1'));
  c.stabilize();
  t.same(c.get('a').readStates.map((r) => r.index), [3], 'leader read at commit index 3');
  c.node('b').readIndex(bytes('r2'));
  c.stabilize();
  t.same(c.get('b').readStates.map((r) => r.index), [3], 'follower got the read index from the leader');
  c.note('the leader is cut off: a read there never completes, the new leader serves it');
  c.isolate('a');
  c.node('a').readIndex(bytes('r3'));
  c.stabilize();
  t.equal(c.get('a').readStates.length, 1, 'no quorum, no answer (no stale read)');
  c.tickAll(30);
  const l = c.leader();
  t.ok(l === 'b' || l === 'c', `the majority elected ${l}`);
  c.node('b').readIndex(bytes('r4'));
  c.stabilize();
  t.same(c.get('b').readStates.map((r) => r.index), [3, 4], "b reads after the new leader's entry commits");
  const g = golden('read-index', c.transcript.filter((l) => !l.startsWith('  a->') || !l.includes('heartbeat')));
  t.equal(g.actual, g.expected, 'transcript matches golden/read-index.txt');
});

t.test('ReadIndex waits for the new leader to commit an entry of its term', async (t) => {
  const c = new Cluster(['a', 'b', 'c']);
  c.node('a').campaign();
  c.rounds(2); // a leads but its empty entry is not yet committed
  if (c.node('a').status().role === 'leader' && c.node('a').status().commit < 2) {
    c.node('a').readIndex(bytes('early'));
    t.equal(c.get('a').readStates.length, 0);
  }
  c.stabilize();
  t.ok(c.get('a').readStates.every((r) => r.index >= 2), 'no read point before the term starts');
});
