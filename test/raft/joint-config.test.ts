// Golden story: joint consensus (Raft §6) replaces two voters at once and leaves the joint configuration
// on its own; removing the leader hands leadership over.
import t from 'tap';
import { Cluster, golden } from './harness.ts';

t.test('a joint change swaps voters and is left automatically', async (t) => {
  const c = new Cluster(['a', 'b', 'c'], { preVote: true, checkQuorum: true }, ['d']);
  c.campaign('a');
  c.note('one change: d becomes voter, c leaves, through a joint configuration');
  c.node('a').proposeConfChange({
    transition: 'auto',
    changes: [{ kind: 'add-voter', node: 'd' }, { kind: 'remove-node', node: 'c' }],
  });
  c.stabilize();
  const cs = c.get('a').conf;
  t.same(cs.voters, ['a', 'b', 'd'], 'the new voters');
  t.same(cs.votersOutgoing, [], 'the joint configuration was left');
  t.equal(cs.autoLeave, false);
  t.same(c.get('d').conf, cs, 'd agrees');
  c.propose('a', 'after');
  t.same(c.get('d').applied, ['after']);
  const g = golden('joint-config', c.transcript.filter((l) => !l.includes('heartbeat')));
  t.equal(g.actual, g.expected, 'transcript matches golden/joint-config.txt');
});

t.test('one change at a time: a second change waits until the first is applied', async (t) => {
  const c = new Cluster(['a', 'b', 'c'], {}, ['d', 'e']);
  c.campaign('a');
  c.node('a').proposeConfChange({ transition: 'auto', changes: [{ kind: 'add-voter', node: 'd' }] });
  t.throws(
    () => c.node('a').proposeConfChange({ transition: 'auto', changes: [{ kind: 'add-voter', node: 'e' }] }),
    { code: 'RAFT_CONF_CHANGE_PENDING' },
  );
  t.throws(
    () => c.node('a').proposeConfChange({ transition: 'auto', changes: [{ kind: 'remove-node', node: 'x' }, { kind: 'remove-node', node: 'y' }, { kind: 'remove-node', node: 'a' }, { kind: 'remove-node', node: 'b' }, { kind: 'remove-node', node: 'c' }] }),
    { code: 'RAFT_CONF_CHANGE_PENDING' },
  );
  c.stabilize();
  c.node('a').proposeConfChange({ transition: 'auto', changes: [{ kind: 'add-voter', node: 'e' }] });
  c.stabilize();
  t.same(c.get('b').conf.voters, ['a', 'b', 'c', 'd', 'e']);
});

t.test('a new leader may not change membership before its first entry is committed', async (t) => {
  const c = new Cluster(['a', 'b', 'c'], {}, ['d']);
  c.node('a').campaign();
  c.rounds(1); // elected, but its empty entry is not yet committed
  if (c.node('a').status().role === 'leader') {
    t.throws(() => c.node('a').proposeConfChange({ transition: 'auto', changes: [{ kind: 'add-voter', node: 'd' }] }), {
      code: 'RAFT_CONF_CHANGE_PENDING',
    });
  }
  c.stabilize();
  t.doesNotThrow(() => c.node('a').proposeConfChange({ transition: 'auto', changes: [{ kind: 'add-voter', node: 'd' }] }));
});

t.test('removing the leader: it hands over and steps down', async (t) => {
  const c = new Cluster(['a', 'b', 'c']);
  c.campaign('a');
  c.node('a').proposeConfChange({ transition: 'auto', changes: [{ kind: 'remove-node', node: 'a' }] });
  c.stabilize();
  t.equal(c.node('a').status().role, 'follower');
  const l = c.leader();
  t.ok(l === 'b' || l === 'c', `new leader ${l}`);
  c.propose(l!, 'without a');
  t.same(c.get('b').applied, ['without a']);
});
