// What the core does with the transport's link reports: a follower that lost
// its leader's link campaigns early, in id order; the others refuse it while
// they still hear the leader; a leader probes a peer whose link came back.
import t from 'tap';
import { Cluster } from './harness.ts';

t.test('the leader dies: its followers notice the link go and elect a new leader within a few ticks', async (t) => {
  const c = new Cluster(['a', 'b', 'c', 'd', 'e'], { preVote: true, checkQuorum: true });
  c.campaign('a');
  c.propose('a', 'x');
  c.crash('a');
  for (const id of ['b', 'c', 'd', 'e']) c.node(id).reportUnreachable('a');
  let ticks = 0;
  while (c.leader() === undefined || c.leader() === 'a') {
    for (const id of ['b', 'c', 'd', 'e']) c.tick(id);
    c.stabilize();
    if (++ticks > 30) break;
  }
  t.equal(c.leader(), 'b', 'the first voter in id order leads');
  t.ok(ticks <= 2, `elected after ${ticks} tick(s), not an election timeout (10 to 20 ticks)`);
  t.equal(c.node('b').status().term, 3, 'one election, no split vote');
});

t.test('a follower whose link flapped does not disturb a healthy leader', async (t) => {
  const c = new Cluster(['a', 'b', 'c'], { preVote: true, checkQuorum: true });
  c.campaign('a');
  c.node('c').reportUnreachable('a');
  t.equal(c.node('c').status().leader, null, 'c forgets its leader');
  for (let i = 0; i < 5; i++) {
    c.tick('c');
    c.stabilize();
  }
  t.equal(c.leader(), 'a', 'a still leads');
  t.equal(c.node('a').status().term, 2, 'no new term: b refused the pre-vote while it heard a');
  c.tick('a', 3);
  c.stabilize();
  t.equal(c.node('c').status().leader, 'a', "a's next heartbeat makes c its follower again");
});

t.test('reports about someone else, or without pre-vote, change nothing', async (t) => {
  const c = new Cluster(['a', 'b', 'c'], { preVote: false, checkQuorum: true });
  c.campaign('a');
  c.node('b').reportUnreachable('a');
  t.equal(c.node('b').status().leader, 'a', 'without pre-vote an early campaign could disrupt: not done');
  const d = new Cluster(['a', 'b', 'c'], { preVote: true });
  d.campaign('a');
  d.node('b').reportUnreachable('c');
  t.equal(d.node('b').status().leader, 'a', 'another peer unreachable: the leader stays');
});

t.test('a leader probes a peer as soon as its link is back', async (t) => {
  const c = new Cluster(['a', 'b', 'c'], { preVote: true, checkQuorum: true });
  c.campaign('a');
  c.isolate('c');
  c.propose('a', 'x');
  c.propose('a', 'y');
  c.node('a').reportUnreachable('c');
  c.heal();
  c.node('a').reportReachable('c');
  c.stabilize();
  t.equal(c.node('c').status().commit, c.node('a').status().commit, 'c caught up without waiting for a heartbeat tick');
});
