// The board's waiting rooms: caps, timeouts, and settling.
import t from 'tap';
import { ProposalWaiters, ReadWaiters, MAX_PENDING_PROPOSALS } from '../../src/board/waiters.ts';
import { rateLimited } from '../../src/board/log.ts';
import { ReadContexts } from '../../src/board/read-context.ts';

t.test('a proposal is settled by its request id, every waiter on it', async (t) => {
  const w = new ProposalWaiters(5_000);
  const a = w.register('req-1');
  const b = w.register('req-1');
  t.equal(w.size, 2);
  w.settle('req-1', { ok: true, revision: 7 });
  t.same(await a, { ok: true, revision: 7 });
  t.same(await b, { ok: true, revision: 7 });
  t.equal(w.size, 0);
});

t.test('a proposal that is never applied times out with TIMEOUT', async (t) => {
  const w = new ProposalWaiters(30);
  await t.rejects(w.register('lost'), { code: 'TIMEOUT', status: 504 });
  t.equal(w.size, 0, 'the timed-out waiter is gone');
});

t.test('past the cap, proposals are refused with BACKPRESSURE', async (t) => {
  const w = new ProposalWaiters(60_000);
  const pending = Array.from({ length: MAX_PENDING_PROPOSALS }, (_, i) => w.register(`r${i}`));
  t.throws(() => w.register('one-more'), { code: 'BACKPRESSURE', status: 429 }, 'refused synchronously, before any proposal');
  w.failAll(new Error('stop'));
  for (const p of pending) await p.catch(() => undefined);
  t.equal(w.size, 0);
});

t.test('a read proceeds once its read index is applied', async (t) => {
  const r = new ReadWaiters(5_000, new ReadContexts('b1'));
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

t.test('read contexts are unique across boards and restarts', async (t) => {
  const seen = new Set<string>();
  for (const board of ['b1', 'b2']) {
    for (let start = 0; start < 3; start++) {
      const rc = new ReadContexts(board);
      for (let i = 0; i < 100; i++) seen.add(rc.next().key);
    }
  }
  t.equal(seen.size, 600, 'no context repeats across 2 boards x 3 starts x 100 reads');
});
