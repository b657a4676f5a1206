// Join tokens, member credentials and request fingerprints in the state machine:
// every decision comes from the command (the proposer's clock included), so a
// replay on another board decides the same way.
import t from 'tap';
import { createHash } from 'node:crypto';
import { MAX_JOIN_TOKENS } from '../../src/model/index.ts';
import { StateMachine } from '../../src/state/index.ts';
import { Driver, create } from './driver.ts';

const digest = (s: string): string => createHash('sha256').update(s).digest('hex');
const cs = (voters: string[], learners: string[] = []) => ({ voters, learners, votersOutgoing: [], learnersNext: [], autoLeave: false });
const addr = (ids: string[]) => JSON.stringify({ requestId: null, addresses: Object.fromEntries(ids.map((id) => [id, { host: '127.0.0.1', port: 1883 }])) });

async function founded(): Promise<Driver> {
  const sm = await StateMachine.create();
  sm.applyMembership(1, cs(['v1']), addr(['v1']));
  sm.seedCredentials({ v1: digest('secret-v1') }, ['v1']);
  return new Driver(sm);
}

t.test('a join token admits exactly one board, once, until it expires', async (t) => {
  const d = await founded();
  t.teardown(() => d.sm.close());
  t.same(d.sm.credentials(), [{ id: 'v1', verifier: digest('secret-v1'), voterSince: 1 }]);
  const token = digest('token-1');
  d.ok({ type: 'issue-join-token', tokenDigest: token, expiresAtMs: 2_000, nowMs: 1_000 });
  t.ok(d.sm.joinTokenUsable(token, 'e1', digest('secret-e1'), 1_500));
  t.notOk(d.sm.joinTokenUsable(token, 'e1', digest('secret-e1'), 2_001), 'not after its expiry');

  const joined = d.ok({ type: 'join', board: 'e1', verifier: digest('secret-e1'), tokenDigest: token, nowMs: 1_500 });
  t.ok(joined.outcome.ok);
  t.same(d.sm.credentials().map((c) => c.id), ['v1'], 'a joined board is pending until a configuration change adds it');
  const again = d.send({ type: 'join', board: 'e1', verifier: digest('secret-e1'), tokenDigest: token, nowMs: 1_600 });
  t.ok(again.outcome.ok, 'the same board may repeat its join (a retry)');
  const other = d.send({ type: 'join', board: 'e2', verifier: digest('secret-e2'), tokenDigest: token, nowMs: 1_600 });
  t.match(other.outcome, { ok: false, error: { code: 'JOIN_REFUSED' } }, 'another board cannot spend it');
  const sameIdOtherSecret = d.send({ type: 'join', board: 'e1', verifier: digest('other'), tokenDigest: token, nowMs: 1_600 });
  t.match(sameIdOtherSecret.outcome, { ok: false, error: { code: 'JOIN_REFUSED' } }, 'nor the same id with another secret');

  d.sm.applyMembership(d.sm.appliedIndex() + 1, cs(['v1'], ['e1']), addr(['e1']));
  t.same(d.sm.credentials().map((c) => [c.id, c.voterSince]), [['e1', null], ['v1', 1]], 'a member now');
  const promotedAt = d.sm.appliedIndex() + 1;
  d.sm.applyMembership(promotedAt, cs(['v1', 'e1']), addr([]));
  t.same(d.sm.credentials().find((c) => c.id === 'e1')?.voterSince, promotedAt, 'voter since its promotion');
  d.sm.applyMembership(d.sm.appliedIndex() + 1, cs(['v1']), addr([]));
  t.same(d.sm.credentials().map((c) => c.id), ['v1'], 'a removed member loses its credential');

  const late = digest('token-2');
  d.ok({ type: 'issue-join-token', tokenDigest: late, expiresAtMs: 3_000, nowMs: 2_500 });
  const expired = d.send({ type: 'join', board: 'e3', verifier: digest('secret-e3'), tokenDigest: late, nowMs: 3_001 });
  t.match(expired.outcome, { ok: false, error: { code: 'JOIN_REFUSED', message: /unknown or expired/ } });
  const copy = await StateMachine.restore(d.sm.export());
  t.same(copy.credentials(), d.sm.credentials(), 'credentials travel in snapshots');
  copy.close();
});

t.test('a member id cannot be taken over by a join', async (t) => {
  const d = await founded();
  t.teardown(() => d.sm.close());
  const token = digest('t');
  d.ok({ type: 'issue-join-token', tokenDigest: token, expiresAtMs: 10_000, nowMs: 1 });
  const r = d.send({ type: 'join', board: 'v1', verifier: digest('attacker'), tokenDigest: token, nowMs: 2 });
  t.match(r.outcome, { ok: false, error: { code: 'ALREADY_EXISTS', message: /remove it first/ } });
  t.same(d.sm.credentials(), [{ id: 'v1', verifier: digest('secret-v1'), voterSince: 1 }], 'unchanged');
});

t.test('pending credentials and tokens expire; outstanding tokens are capped', async (t) => {
  const d = await founded();
  t.teardown(() => d.sm.close());
  for (let i = 0; i < MAX_JOIN_TOKENS; i++) d.ok({ type: 'issue-join-token', tokenDigest: digest(`t${i}`), expiresAtMs: 5_000, nowMs: 1_000 });
  const full = d.send({ type: 'issue-join-token', tokenDigest: digest('one-more'), expiresAtMs: 5_000, nowMs: 1_000 });
  t.match(full.outcome, { ok: false, error: { code: 'LIMIT_REACHED' } });
  d.ok({ type: 'join', board: 'e1', verifier: digest('s'), tokenDigest: digest('t0'), nowMs: 2_000 });
  // Past the expiry every token and the never-added joiner's credential go away.
  d.ok({ type: 'issue-join-token', tokenDigest: digest('fresh'), expiresAtMs: 9_000, nowMs: 6_000 });
  d.sm.applyMembership(d.sm.appliedIndex() + 1, cs(['v1'], ['e1']), addr(['e1']));
  t.same(d.sm.credentials().map((c) => c.id), ['v1'], 'the expired joiner did not become a member credential');
  t.ok(d.sm.joinTokenUsable(digest('fresh'), 'x', digest('x'), 6_001));
  t.notOk(d.sm.joinTokenUsable(digest('t1'), 'x', digest('x'), 6_001));
});

t.test('a request id reused with a different command is refused, the same command is answered again', async (t) => {
  const d = await founded();
  t.teardown(() => d.sm.close());
  const first = d.send(create('area', 'a', { name: 'A', type: 'room' }), 'client-1');
  t.ok(first.outcome.ok);
  const retry = d.send(create('area', 'a', { name: 'A', type: 'room' }), 'client-1');
  t.same(retry.outcome, first.outcome, 'a retry gets the first answer');
  t.ok(retry.duplicate);
  const reused = d.send(create('area', 'b', { name: 'B', type: 'room' }), 'client-1');
  t.match(reused.outcome, { ok: false, error: { code: 'REQUEST_ID_REUSED' } });
  t.equal(d.sm.get('area', 'b'), null, 'nothing written');
  t.equal(d.sm.requestFingerprint('client-1')?.length, 32);
});
