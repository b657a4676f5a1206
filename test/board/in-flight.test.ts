// Writes in flight are sent again to a new leader: only those that went elsewhere, only while
// their client waits and a repeat would still be recognised, within the caps.
import t from 'tap';
import { InFlightWrites, MAX_APPLIED_SINCE, MAX_IN_FLIGHT_BYTES, MAX_IN_FLIGHT_WRITES } from '../../src/board/in-flight.ts';

const bytes = (n: number): Uint8Array => new Uint8Array(n);
const all = (): boolean => true;

t.test('a write forwarded to a leader that is gone goes to the next leader, once', async (t) => {
  const w = new InFlightWrites();
  w.proposed('a', bytes(10), 'v1', 100);
  w.proposed('b', bytes(10), 'v2', 100);
  t.same(w.leaderChanged('v2', 101, all).map((x) => x.requestId), ['a'], 'b already went to v2');
  w.sentAgain('a', 'v2');
  t.same(w.leaderChanged('v2', 101, all), [], 'nothing twice to the same leader');
});

t.test('a leader lost and found again: everything sent to it goes again', async (t) => {
  const w = new InFlightWrites();
  w.proposed('a', bytes(10), 'v1', 100);
  t.same(w.leaderChanged(null, 100, all), [], 'no leader: nothing to send to');
  t.same(w.leaderChanged('v1', 100, all).map((x) => x.requestId), ['a'], 'v1 leads again (a new term): a may have been lost with its old term');
});

t.test('applied or abandoned writes are forgotten; so are those a repeat could apply twice', async (t) => {
  const w = new InFlightWrites();
  w.proposed('applied', bytes(10), 'v1', 100);
  w.proposed('abandoned', bytes(10), 'v1', 100);
  w.proposed('old', bytes(10), 'v1', 100);
  w.proposed('fresh', bytes(10), 'v1', 100 + MAX_APPLIED_SINCE);
  w.forget('applied');
  const again = w.leaderChanged('v2', 100 + MAX_APPLIED_SINCE, (id) => id !== 'abandoned');
  t.same(again.map((x) => x.requestId), ['fresh']);
  t.equal(w.size, 1);
});

t.test('caps: the oldest writes are forgotten first', async (t) => {
  const w = new InFlightWrites();
  for (let i = 0; i < MAX_IN_FLIGHT_WRITES + 10; i++) w.proposed(`w${i}`, bytes(1), 'v1', 0);
  t.equal(w.size, MAX_IN_FLIGHT_WRITES);
  const again = w.leaderChanged('v2', 0, all);
  t.equal(again[0]!.requestId, 'w10');
  const big = new InFlightWrites();
  const size = 64 * 1024;
  const fit = MAX_IN_FLIGHT_BYTES / size;
  for (let i = 0; i < fit + 3; i++) big.proposed(`b${i}`, bytes(size), 'v1', 0);
  t.equal(big.size, fit, 'bytes capped');
  t.equal(big.leaderChanged('v2', 0, all)[0]!.requestId, 'b3');
});
