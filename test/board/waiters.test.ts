// The board's waiting rooms: caps, timeouts, and settling.
import t from 'tap';
import { ProposalWaiters, ReadWaiters, MAX_PENDING_PROPOSALS } from '../../src/board/waiters.ts';
import { rateLimited } from '../../src/board/log.ts';

t.test('a proposal is settled by its request id, every waiter on it', async (t) => {
  const w = new ProposalWaiters(5_000);
  const a = w.wait('req-1');
  const b = w.wait('req-1');
  t.equal(w.size, 2);
  w.settle('req-1', { ok: true, revision: 7 });
  t.same(await a, { ok: true, revision: 7 });
  t.same(await b, { ok: true, revision: 7 });
  t.equal(w.size, 0);
});

t.test('a proposal that is never applied times out with TIMEOUT', async (t) => {
  const w = new ProposalWaiters(30);
  await t.rejects(w.wait('lost'), { code: 'TIMEOUT', status: 504 });
  t.equal(w.size, 0, 'the timed-out waiter is gone');
});

t.test('past the cap, proposals are refused with BACKPRESSURE', async (t) => {
  const w = new ProposalWaiters(60_000);
  const pending = Array.from({ length: MAX_PENDING_PROPOSALS }, (_, i) => w.wait(`r${i}`));
  await t.rejects(w.wait('one-more'), { code: 'BACKPRESSURE', status: 429 });
  w.failAll(new Error('stop'));
  for (const p of pending) await p.catch(() => undefined);
  t.equal(w.size, 0);
});

t.test('a read proceeds once its read index is applied', async (t) => {
  const r = new ReadWaiters(5_000);
  const { context, done } = r.begin();
  let resolved = false;
  void done.then(() => (resolved = true));
  r.readState(context, 10, 8);
  await new Promise((res) => setImmediate(res));
  t.notOk(resolved, 'not before index 10 is applied');
  r.applied(10);
  await done;
  t.equal(r.size, 0);
});

t.test('rate-limited logging lets a burst through, then counts what it dropped', async (t) => {
  const lines: Array<Record<string, unknown>> = [];
  const log = rateLimited((_m, f) => lines.push(f), 3, 50);
  for (let i = 0; i < 10; i++) log('x', { i });
  t.equal(lines.length, 3);
  await new Promise((r) => setTimeout(r, 60));
  log('x', { i: 10 });
  t.equal(lines[3]?.suppressedBefore, 7, 'the next line reports the 7 suppressed');
});
