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
  c.holdIf = (m) => m.type === 'append'; // a wins, but its first entry stays on the wire
  c.campaign('a');
  c.holdIf = undefined;
  t.equal(c.node('a').status().role, 'leader', 'a leads');
  t.ok(c.node('a').status().commit < 2, 'its first entry is not committed yet');
  c.node('a').readIndex(bytes('early'));
  t.equal(c.get('a').readStates.length, 0, 'no answer before the first commit of the term');
  c.releaseHeld();
  t.equal(c.get('a').readStates.length, 1, 'answered once the term has a commit');
  t.ok(c.get('a').readStates.every((r) => r.index >= 2), 'no read point before the term starts');
});

t.test('two followers that pick the same read context are both answered', async (t) => {
  const c = new Cluster(['a', 'b', 'c']);
  c.campaign('a');
  c.propose('a', 'v1');
  c.node('b').readIndex(bytes('r1'));
  c.node('c').readIndex(bytes('r1'));
  c.stabilize();
  t.same(c.get('b').readStates.map((r) => r.index), [3], 'b answered');
  t.same(c.get('c').readStates.map((r) => r.index), [3], 'c answered too (keyed by requester and context)');
});

t.test('a duplicated read request is answered, not dropped', async (t) => {
  const c = new Cluster(['a', 'b', 'c']);
  c.campaign('a');
  let copies = 0;
  c.dropIf = (m) => {
    // Deliver the read request twice: once now, once again (a network duplicate).
    if (m.type === 'read-index' && copies === 0) {
      copies++;
      c.node('a').step(m);
    }
    return false;
  };
  c.node('b').readIndex(bytes('dup'));
  c.stabilize();
  t.equal(copies, 1);
  t.ok(c.get('b').readStates.length >= 1, 'answered');
  t.ok(c.get('b').readStates.every((r) => r.index === 2), 'at the commit index');
});

/**
 * The stale read: an acknowledgement held on the wire since an earlier read
 * reaches the deposed leader after a new leader committed a write, just as the
 * deposed leader (not yet aware of the new term) serves a read of its own.
 */
function staleAckStory(bugs: { readAckAnyRound?: boolean }): Cluster {
  const c = new Cluster(['a', 'b', 'c'], { preVote: true, checkQuorum: true, bugs });
  c.campaign('a');
  c.propose('a', 'v1');
  c.holdIf = (m) => m.type === 'heartbeat-response' && m.from === 'c' && m.readRound > 0;
  c.node('b').readIndex(bytes('r1'));
  c.stabilize();
  c.holdIf = undefined;
  c.note("b's read is confirmed by a and b; c's acknowledgement is held on the wire");
  c.isolate('a');
  c.note('a is paused and cut off; b and c elect a leader and commit v2');
  for (let i = 0; i < 40 && c.leader() === 'a'; i++) {
    c.tick('b');
    c.tick('c');
    c.stabilize();
  }
  const l = c.node('b').status().role === 'leader' ? 'b' : 'c';
  c.propose(l, 'v2');
  c.note('a resumes and serves its own read with the same context');
  c.node('a').readIndex(bytes('r1'));
  c.stabilize();
  c.releaseHeld();
  return c;
}

t.test("an old acknowledgement never confirms a read registered after it was sent", async (t) => {
  const c = staleAckStory({});
  const newLeader = c.node('b').status().role === 'leader' ? 'b' : 'c';
  t.equal(c.node(newLeader).status().commit, 5, 'v2 committed at index 5 by the new leader');
  t.same(c.get('a').readStates, [], 'the deposed leader did not answer its read (a stale value would be v1)');
});

t.test('the planted bug readAckAnyRound serves that stale read (the test can fail)', async (t) => {
  const c = staleAckStory({ readAckAnyRound: true });
  t.same(c.get('a').readStates.map((r) => r.index), [3], 'read index 3 < 5: stale');
});
