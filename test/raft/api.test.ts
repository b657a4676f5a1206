// The RaftNode API: stable error codes, backpressure, flow control, Ready discipline, status.
import t from 'tap';
import { Cluster, bytes } from './harness.ts';
import { RaftNode } from '../../src/raft/node.ts';
import { MemoryLog } from '../helpers/memory-log.ts';
import { SeededRandom } from '../../src/raft/random.ts';
import { decodeConfChange, encodeConfChange, applyConfChangeToState } from '../../src/raft/conf-change.ts';
import type { ConfState } from '../../src/raft/types.ts';

const conf3: ConfState = { voters: ['a', 'b', 'c'], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };

t.test('propose without a leader: RAFT_PROPOSAL_DROPPED', async (t) => {
  const c = new Cluster(['a', 'b', 'c']);
  t.throws(() => c.node('a').propose(bytes('x')), { code: 'RAFT_PROPOSAL_DROPPED' });
  t.throws(() => c.node('a').readIndex(bytes('r')), { code: 'RAFT_PROPOSAL_DROPPED' });
});

t.test('backpressure: RAFT_TOO_MANY_UNCOMMITTED beyond maxUncommittedEntriesSize', async (t) => {
  const c = new Cluster(['a', 'b', 'c'], { maxUncommittedEntriesSize: 1000 });
  c.campaign('a');
  c.crash('b');
  c.crash('c');
  const a = c.node('a');
  let accepted = 0;
  t.throws(() => {
    for (;;) {
      a.propose(new Uint8Array(100));
      accepted++;
    }
  }, { code: 'RAFT_TOO_MANY_UNCOMMITTED' });
  t.ok(accepted >= 8 && accepted <= 9, `${accepted} proposals accepted before the cap`);
  c.restart('b');
  c.restart('c');
  c.tickAll(3);
  t.doesNotThrow(() => a.propose(new Uint8Array(100)), 'accepted again once entries commit');
});

t.test('flow control: at most maxInflightMsgs appends in flight, each within maxSizePerMsg', async (t) => {
  const c = new Cluster(['a', 'b', 'c'], { maxInflightMsgs: 2, maxSizePerMsg: 300 });
  c.campaign('a');
  const a = c.node('a');
  for (let i = 0; i < 20; i++) a.propose(new Uint8Array(100));
  const rd = a.ready();
  const toB = rd.messages.filter((m) => m.type === 'append' && m.to === 'b');
  t.equal(toB.length, 2, 'two appends to b, then paused');
  for (const m of toB) if (m.type === 'append') t.ok(m.entries.length <= 2, 'at most 300 bytes (2 entries of 116) per message');
  t.equal(a.status().progress['b']?.inflight, 2);
  t.equal(a.status().progress['b']?.state, 'replicate');
  t.throws(() => a.ready(), { code: 'RAFT_READY_NOT_ADVANCED' });
  a.advance(rd);
});

t.test('proposals from a follower are forwarded to the leader', async (t) => {
  const c = new Cluster(['a', 'b', 'c']);
  c.campaign('a');
  c.propose('b', 'via b');
  t.same(c.get('a').applied, ['via b']);
});

t.test('bad input: invalid config and malformed conf changes give clear errors', async (t) => {
  const storage = MemoryLog.bootstrap(conf3);
  t.throws(() => new RaftNode({ id: '', storage, random: new SeededRandom(1) }), { code: 'RAFT_INVALID_CONFIG' });
  t.throws(() => new RaftNode({ id: 'a', storage, random: new SeededRandom(1), electionTicks: 1, heartbeatTicks: 1 }), {
    code: 'RAFT_INVALID_CONFIG',
  });
  for (const bad of ['', 'nope', '{"transition":"auto"}', '{"transition":"x","changes":[]}', '{"transition":"auto","changes":[{"kind":"add-voter"}]}']) {
    t.throws(() => decodeConfChange(bytes(bad)), { code: 'RAFT_INVALID_CONF_CHANGE' }, JSON.stringify(bad));
  }
  t.throws(() => decodeConfChange(new Uint8Array([0xff, 0xfe])), { code: 'RAFT_INVALID_CONF_CHANGE' });
});

t.test('conf change encoding round-trips and follows the membership rules', async (t) => {
  const cc = { transition: 'auto' as const, changes: [{ kind: 'add-learner' as const, node: 'd' }], context: 'req-1' };
  t.same(decodeConfChange(encodeConfChange(cc)), cc);
  const withD = applyConfChangeToState(conf3, cc);
  t.same(withD.learners, ['d']);
  const joint = applyConfChangeToState(withD, {
    transition: 'auto',
    changes: [{ kind: 'add-voter', node: 'd' }, { kind: 'add-learner', node: 'a' }],
  });
  t.same(joint.voters, ['b', 'c', 'd']);
  t.same(joint.votersOutgoing, ['a', 'b', 'c']);
  t.same(joint.learnersNext, ['a'], 'a demoted voter becomes a learner only when the joint config is left');
  t.equal(joint.autoLeave, true);
  const left = applyConfChangeToState(joint, { transition: 'auto', changes: [] });
  t.same(left.learners, ['a']);
  t.same(left.votersOutgoing, []);
  t.throws(() => applyConfChangeToState(conf3, { transition: 'auto', changes: [] }), { code: 'RAFT_INVALID_CONF_CHANGE' });
  t.throws(() => applyConfChangeToState(joint, { transition: 'auto', changes: [{ kind: 'add-voter', node: 'x' }] }), {
    code: 'RAFT_INVALID_CONF_CHANGE',
  });
  t.throws(
    () => applyConfChangeToState(conf3, { transition: 'auto', changes: [{ kind: 'remove-node', node: 'a' }, { kind: 'remove-node', node: 'b' }, { kind: 'remove-node', node: 'c' }] }),
    { code: 'RAFT_INVALID_CONF_CHANGE' },
  );
});

t.test('status reports per-peer progress on the leader', async (t) => {
  const c = new Cluster(['a', 'b', 'c'], {}, ['l']);
  c.campaign('a');
  const st = c.node('a').status();
  t.equal(st.role, 'leader');
  t.same(Object.keys(st.progress).sort(), ['a', 'b', 'c', 'l']);
  t.equal(st.progress['l']?.learner, true);
  t.equal(st.progress['b']?.match, st.lastIndex);
  t.same(c.node('b').status().progress, {}, 'followers have no progress table');
});
