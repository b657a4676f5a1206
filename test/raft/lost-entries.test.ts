// A follower that comes back holding less than it acknowledged (the tail of its
// log cut off) is caught up, and the exchange that gets it there is bounded:
// no probe at the same index, again and again, a round trip at a time.
import t from 'tap';
import { Cluster } from './harness.ts';

t.test('a follower that lost acknowledged entries is probed down and caught up', async (t) => {
  const c = new Cluster(['a', 'b', 'c'], { preVote: true, checkQuorum: true });
  c.campaign('a');
  for (let i = 0; i < 20; i++) c.propose('a', `w${i}`);
  const last = c.node('a').status().lastIndex;
  t.equal(c.node('a').status().progress['c']?.match, last, 'c acknowledged everything');
  c.restartWithLogCutAt('c', last - 8);
  const before = c.messageCount();
  c.tickAll(6); // two heartbeats (every tick here) and their answers, and what they trigger
  t.equal(c.node('c').status().lastIndex, last, 'c holds the whole log again');
  t.equal(c.node('c').status().commit, c.node('a').status().commit, 'and knows it is committed');
  t.equal(c.node('a').status().progress['c']?.regressions, 1, 'the leader counted the loss');
  const sent = c.messageCount() - before;
  t.ok(sent < 60, `${sent} messages in 6 ticks, not a hot loop`);
});

t.test('a follower that keeps refusing costs at most one probe per heartbeat', async (t) => {
  const c = new Cluster(['a', 'b', 'c'], { preVote: true, checkQuorum: true });
  c.campaign('a');
  c.propose('a', 'x');
  // Every append c answers is lost on the way back, so the leader never learns where c's log ends.
  c.dropIf = (m) => m.from === 'c' && m.type === 'append-response' && !m.reject;
  c.isolate('c');
  for (let i = 0; i < 5; i++) c.propose('a', `y${i}`);
  c.heal();
  const before = c.messageCount();
  c.tickAll(10);
  const toC = c.transcript.slice(before).filter((l) => l.startsWith('a->c append')).length;
  t.ok(toC <= 25, `${toC} appends to c in 10 ticks`);
});

t.test('a follower that lost acknowledged entries does not vote until they are back', async (t) => {
  const c = new Cluster(['a', 'b', 'c'], { preVote: true, checkQuorum: true });
  c.campaign('a');
  for (let i = 0; i < 10; i++) c.propose('a', `w${i}`);
  const last = c.node('a').status().lastIndex;
  c.restartWithLogCutAt('c', last - 5);
  // c hears a heartbeat (and learns of its loss), but none of the appends that would repair it.
  c.dropIf = (m) => m.to === 'c' && m.type === 'append';
  c.tick('a');
  c.stabilize();
  t.equal(c.node('c').status().missingAcknowledgedUpTo, last, 'c knows what it lost');
  // b, whose log is as short as c's now is, campaigns: c must refuse (its acknowledgements counted for a).
  c.restartWithLogCutAt('b', last - 5);
  c.crash('a');
  c.node('b').campaign();
  c.stabilize();
  t.not(c.node('b').status().role, 'leader', 'b (missing committed entries) is not elected with c\'s vote');
  c.dropIf = undefined;
});
