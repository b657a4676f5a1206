// Golden story: a new board joins as a learner, catches up without voting, and is promoted to voter.
import t from 'tap';
import { Cluster, golden } from './harness.ts';

t.test('learner catch-up and promotion', async (t) => {
  const c = new Cluster(['a', 'b', 'c'], { preVote: true, checkQuorum: true });
  c.campaign('a');
  c.propose('a', 'before');
  c.note('an empty board d is added as a learner');
  c.addEmpty('d');
  c.node('a').proposeConfChange({ transition: 'auto', changes: [{ kind: 'add-learner', node: 'd' }] });
  c.stabilize();
  c.tickAll(3);
  t.same(c.get('d').conf.learners, ['d'], 'd knows it is a learner');
  t.same(c.get('d').applied, ['before'], 'd caught up with the log');
  c.note('a learner never campaigns');
  c.tickAll(30);
  t.equal(c.node('d').status().role, 'follower');
  t.equal(c.leader(), 'a');
  c.note('d is promoted to voter');
  c.node('a').proposeConfChange({ transition: 'auto', changes: [{ kind: 'add-voter', node: 'd' }] });
  c.stabilize();
  t.same(c.get('d').conf.voters, ['a', 'b', 'c', 'd']);
  c.note('with b and c down, a and d are not a majority of four: nothing commits');
  c.crash('b');
  c.crash('c');
  c.node('a').propose(new TextEncoder().encode('stuck'));
  c.stabilize();
  t.same(c.get('a').applied, ['before'], 'a quorum of the new configuration is needed');
  const g = golden('learner', c.transcript.filter((l) => !l.includes('heartbeat')));
  t.equal(g.actual, g.expected, 'transcript matches golden/learner.txt');
});
