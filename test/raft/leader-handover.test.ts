// Golden story: demoting or removing the leader while its voters are still behind. The leader
// catches the most up-to-date voter up and hands over with timeout-now (as a leadership
// transfer does) instead of stepping down and leaving the others to wait out an election timeout.
import t from 'tap';
import { Cluster, golden } from './harness.ts';
import type { Message } from '../../src/raft/types.ts';

const text = new TextDecoder();
const carries = (m: Message, s: string): boolean => m.type === 'append' && m.entries.some((e) => text.decode(e.data) === s);

function demoteWithWriteBehind(kind: 'add-learner' | 'remove-node'): Cluster {
  const c = new Cluster(['a', 'b', 'c'], { preVote: true, checkQuorum: true });
  c.campaign('a');
  c.propose('a', 'before');
  let lost = 0;
  // The write that follows the change reaches nobody at first: every voter is behind when it applies.
  c.dropIf = (m) => carries(m, 'w1') && lost++ < 2;
  c.note(`a proposes ${kind} a, then the write w1, whose first appends are lost`);
  c.node('a').proposeConfChange({ transition: 'auto', changes: [{ kind, node: 'a' }] });
  c.rounds(1); // the change is on its way to b and c
  c.node('a').propose(new TextEncoder().encode('w1'));
  c.stabilize();
  return c;
}

t.test('a demoted leader catches its best voter up and hands over without an election timeout', async (t) => {
  const c = demoteWithWriteBehind('add-learner');
  // No tick happened: a new leader exists only if the old one handed over.
  const l = c.leader();
  t.ok(l === 'b' || l === 'c', `new leader ${l} without any tick`);
  t.equal(c.node('a').status().role, 'follower', 'a stepped down when the new term reached it');
  t.same(c.get('a').conf.learners, ['a'], 'a is an external board now');
  t.same(c.get(l!).applied, ['before', 'w1'], 'the write the old leader appended last is committed by the new leader');
  const g = golden('leader-handover', c.transcript.filter((x) => !x.includes('heartbeat')));
  t.equal(g.actual, g.expected, 'transcript matches golden/leader-handover.txt');
});

t.test('a removed leader hands over the same way', async (t) => {
  const c = demoteWithWriteBehind('remove-node');
  const l = c.leader();
  t.ok(l === 'b' || l === 'c', `new leader ${l} without any tick`);
  c.propose(l!, 'after');
  t.same(c.get(l === 'b' ? 'c' : 'b').applied, ['before', 'w1', 'after']);
});

t.test('a hand-over that cannot finish ends within an election timeout', async (t) => {
  const c = new Cluster(['a', 'b', 'c'], { preVote: true, checkQuorum: true });
  c.campaign('a');
  c.node('a').proposeConfChange({ transition: 'auto', changes: [{ kind: 'add-learner', node: 'a' }] });
  c.rounds(1);
  c.node('a').propose(new TextEncoder().encode('w1'));
  // Nothing carrying w1 ever arrives: the transferee never catches up.
  c.dropIf = (m) => carries(m, 'w1') || (m.type === 'append' && m.from === 'a' && m.entries.length === 0 && m.index >= 3);
  c.stabilize();
  t.equal(c.node('a').status().role, 'leader', 'still handing over');
  t.throws(() => c.node('a').propose(new TextEncoder().encode('x')), { code: 'RAFT_PROPOSAL_DROPPED' }, 'no proposals while handing over');
  c.dropIf = undefined;
  c.tick('a', 10);
  c.stabilize();
  t.not(c.node('a').status().role, 'leader', 'a gave up leading after one election timeout');
  c.tickAll(30);
  const l = c.leader();
  t.ok(l === 'b' || l === 'c', `the voters elected ${l}`);
});
