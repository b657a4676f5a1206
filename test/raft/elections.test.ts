// Raft §5.2 leader election and §5.4.1 the election restriction.
import t from 'tap';
import { Cluster } from './harness.ts';

t.test('§5.2: a follower that hears nothing for an election timeout becomes leader of a new term', async (t) => {
  const c = new Cluster(['a', 'b', 'c'], { preVote: false, checkQuorum: false });
  c.tickAll(25);
  const l = c.leader();
  t.ok(l, `a leader was elected (${l})`);
  t.equal(c.node(l!).status().term, 2, 'in term 2');
  for (const id of ['a', 'b', 'c']) t.equal(c.node(id).status().leader, l, `${id} follows ${l}`);
});

t.test('§5.2 election safety: each node votes at most once per term', async (t) => {
  const c = new Cluster(['a', 'b', 'c'], { preVote: false, checkQuorum: false });
  c.partition(['a'], ['c']);
  c.node('a').campaign();
  c.node('c').campaign();
  c.stabilize();
  const leaders = ['a', 'c'].filter((id) => c.node(id).status().role === 'leader');
  t.equal(leaders.length, 1, 'b granted its term-2 vote to one candidate only');
  t.equal(c.node('b').status().vote, leaders[0]);
});

t.test('§5.4.1 election restriction: a candidate with a stale log cannot win', async (t) => {
  const c = new Cluster(['a', 'b', 'c'], { preVote: false, checkQuorum: false });
  c.campaign('a');
  c.crash('c');
  c.propose('a', 'x');
  c.restart('c');
  c.crash('a');
  c.node('c').campaign();
  c.stabilize();
  t.not(c.node('c').status().role, 'leader', 'b refuses: its log (with "x") is more up to date');
  c.node('b').campaign();
  c.stabilize();
  t.equal(c.node('b').status().role, 'leader', 'b, which holds "x", wins');
});

t.test('a stale leader steps down when it sees a higher term (§5.1)', async (t) => {
  const c = new Cluster(['a', 'b', 'c'], { preVote: false, checkQuorum: false });
  c.campaign('a');
  c.isolate('a');
  c.campaign('b');
  c.heal();
  c.tickAll(2);
  t.equal(c.node('a').status().role, 'follower');
  t.equal(c.node('a').status().leader, 'b');
});

t.test('determinism: the same inputs give the same transcript', async (t) => {
  const run = (): string[] => {
    const c = new Cluster(['a', 'b', 'c', 'd', 'e']);
    c.tickAll(40);
    c.propose(c.leader()!, 'x');
    return c.transcript;
  };
  t.same(run(), run());
});
