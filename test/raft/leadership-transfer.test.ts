// Golden story: leadership transfer (thesis §3.10) to a follower that first has to catch up.
import t from 'tap';
import { Cluster, golden } from './harness.ts';
import { RaftError } from '../../src/raft/types.ts';

t.test('leadership moves to the chosen voter after it caught up', async (t) => {
  const c = new Cluster(['a', 'b', 'c'], { preVote: true, checkQuorum: true });
  c.campaign('a');
  c.crash('c');
  c.propose('a', 'x');
  c.restart('c');
  c.note('a hands leadership to c, which is behind');
  c.node('a').transferLeadership('c');
  t.throws(() => c.node('a').propose(new Uint8Array([1])), { code: 'RAFT_PROPOSAL_DROPPED' }, 'proposals wait during the transfer');
  c.stabilize();
  t.equal(c.leader(), 'c');
  t.equal(c.node('c').status().term, 3);
  t.same(c.get('c').applied, ['x']);
  const g = golden('leadership-transfer', c.transcript.filter((l) => !l.includes('heartbeat')));
  t.equal(g.actual, g.expected, 'transcript matches golden/leadership-transfer.txt');
});

t.test('a transfer to a learner is refused with a clear error', async (t) => {
  const c = new Cluster(['a', 'b', 'c'], {}, ['l']);
  c.campaign('a');
  t.throws(() => c.node('a').transferLeadership('l'), RaftError);
});

t.test('a follower forwards the transfer request to the leader', async (t) => {
  const c = new Cluster(['a', 'b', 'c']);
  c.campaign('a');
  c.node('b').transferLeadership('b');
  c.stabilize();
  t.equal(c.leader(), 'b');
});
