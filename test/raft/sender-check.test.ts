// Messages that their sender could not have sent are dropped where they land:
// a forged append from an external board (a learner) or from a voter that is
// not the leader of that term changes nothing, at any role, and is counted.
import t from 'tap';
import { Cluster, bytes } from './harness.ts';
import type { Message } from '../../src/raft/types.ts';

function setup(): Cluster {
  const c = new Cluster(['a', 'b', 'c'], { preVote: true, checkQuorum: true }, ['e']);
  c.campaign('a');
  c.propose('a', 'real-1');
  c.stabilize();
  return c;
}

function forgedAppend(c: Cluster, from: string, to: string, termBump: number): Message {
  const s = c.node(to).status();
  return {
    type: 'append', from, to, term: s.term + termBump, logTerm: s.term, index: s.lastIndex, commit: s.lastIndex + 1,
    entries: [{ term: s.term + termBump, index: s.lastIndex + 1, type: 'normal', data: bytes('forged') }],
  };
}

for (const target of ['a', 'b', 'e'] as const) {
  t.test(`a forged append is dropped on ${target === 'a' ? 'the leader' : target === 'b' ? 'a follower' : 'an external board'}`, async (t) => {
    const c = setup();
    const node = c.node(target);
    const before = node.status();
    const attempts: Array<[string, number, string]> = [
      ['e', 0, 'leader-message-from-non-voter'], // the external board's own credential, its own name
      ['e', 1, 'leader-message-from-non-voter'], // ... with a higher term
      ['e', 1000, 'leader-message-from-non-voter'],
    ];
    // A voter that is not the leader of the current term.
    attempts.push(['c', 0, 'second-leader-in-term']);
    for (const [from, bump, reason] of attempts) {
      if (from === target) continue;
      node.step(forgedAppend(c, from, target, bump));
      t.equal(node.lastDrop?.reason, reason, `from ${from}, term +${bump}: dropped (${reason})`);
    }
    t.equal(node.dropped.total, attempts.filter(([f]) => f !== target).length, 'every attempt counted');
    if (target !== 'e') {
      const heartbeat: Message = { type: 'heartbeat', from: 'e', to: target, term: before.term + 5, commit: 99, readRound: 0 };
      node.step(heartbeat);
      t.equal(node.lastDrop?.reason, 'leader-message-from-non-voter', 'a heartbeat from a learner is dropped too');
    }
    const after = node.status();
    t.equal(after.term, before.term, 'the term did not move');
    t.equal(after.leader, before.leader, 'the leader did not change');
    t.equal(after.lastIndex, before.lastIndex, 'nothing was appended');
    c.propose('a', 'real-2');
    c.stabilize();
    t.same(c.get(target).applied, ['real-1', 'real-2'], 'only committed entries were applied, and the installation goes on');
  });
}

t.test('votes and forwarded proposals from a learner are dropped; a voter\'s are not', async (t) => {
  const c = setup();
  const b = c.node('b');
  const term = b.status().term;
  b.step({ type: 'vote', from: 'e', to: 'b', term: term + 1, logTerm: term, index: 100, transfer: true });
  t.equal(b.lastDrop?.reason, 'vote-from-non-voter');
  t.equal(b.status().term, term, 'no term bump from a learner\'s campaign');
  const a = c.node('a');
  a.step({ type: 'propose', from: 'e', to: 'a', term: 0, entries: [{ term: 0, index: 0, type: 'normal', data: bytes('sneaky') }] });
  t.equal(a.lastDrop?.reason, 'request-from-non-voter', 'an external board cannot write through forwarding');
  a.step({ type: 'heartbeat-response', from: 'e', to: 'a', term: term + 3, readRound: 0 });
  t.equal(a.lastDrop?.reason, 'higher-term-from-non-voter', 'a learner cannot depose the leader with a higher term');
  t.equal(a.status().role, 'leader');
  a.step({ type: 'append-response', from: 'stranger', to: 'a', term, index: 1, reject: false, rejectHint: 0, logTerm: 0 });
  t.equal(a.lastDrop?.reason, 'not-a-member');
  const dropsBefore = a.dropped.total;
  c.node('b').propose(bytes('forwarded-by-voter'));
  c.stabilize();
  t.equal(a.dropped.total, dropsBefore, 'a voter\'s forwarded proposal passes');
  t.same(c.get('e').applied, ['real-1', 'forwarded-by-voter'], 'and commits everywhere');
  t.same(a.dropped.snapshot(), { 'request-from-non-voter': 1, 'higher-term-from-non-voter': 1, 'not-a-member': 1 });
});

t.test('out of its leader lease, a board hears a vote request from a member it does not know as a voter', async (t) => {
  // b's configuration may be old: e may have been promoted while b was behind. In a lease b
  // refuses it (above); once no leader is heard, refusing would leave only candidates b knows,
  // who may all be gone.
  const c = setup();
  const b = c.node('b');
  for (let i = 0; i < 30 && b.status().leader !== null; i++) b.tick();
  t.equal(b.status().leader, null, 'b heard no leader for an election timeout');
  const s = b.status();
  const drops = b.dropped.total;
  b.step({ type: 'pre-vote', from: 'e', to: 'b', term: s.term + 1, logTerm: s.term, index: s.lastIndex + 10, transfer: false });
  t.equal(b.dropped.total, drops, 'the pre-vote request is heard');
  b.step({ type: 'pre-vote', from: 'stranger', to: 'b', term: s.term + 1, logTerm: s.term, index: s.lastIndex + 10, transfer: false });
  t.equal(b.lastDrop?.reason, 'vote-from-non-voter', 'not from a board outside the configuration');
});

t.test('a board without any configuration yet accepts its first leader', async (t) => {
  const c = setup();
  c.addEmpty('d');
  c.node('a').proposeConfChange({ transition: 'auto', changes: [{ kind: 'add-learner', node: 'd' }] });
  c.stabilize();
  c.tickAll(3);
  t.same(c.get('d').applied, ['real-1'], 'the new board caught up from the leader');
  t.equal(c.node('d').dropped.total, 0);
});
