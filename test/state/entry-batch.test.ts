// StateMachine.batch(): several log entries in one SQLite transaction, each
// still all-or-nothing, with the same result as applying them one by one.
import t from 'tap';
import { Driver, create, house, update } from './driver.ts';

t.test('entries applied in a batch give the same database as one by one', async (t) => {
  const single = await Driver.create();
  const batched = await Driver.create();
  t.teardown(() => {
    single.sm.close();
    batched.sm.close();
  });
  const commands = [...house(), update('area', 'hq', { name: 'HQ 2', type: 'building' }), create('area', 'hq', { name: 'dup', type: 'building' })];
  const one = commands.map((c) => single.send(c));
  const many = batched.sm.batch(() => commands.map((c) => batched.send(c)));
  t.same(many.map((r) => r.outcome), one.map((r) => r.outcome));
  t.equal(many.at(-1)!.outcome.ok, false, 'the duplicate create is rejected inside the batch');
  t.equal(batched.sm.appliedIndex(), commands.length);
  t.same(batched.sm.changesSince(0), single.sm.changesSince(0));
  t.same(batched.sm.get('area', 'hq'), single.sm.get('area', 'hq'));
});

t.test('an unexpected error inside a batch keeps the entries before it and rethrows', async (t) => {
  const d = await Driver.create();
  t.teardown(() => d.sm.close());
  t.throws(() =>
    d.sm.batch(() => {
      d.ok(create('area', 'a1', { name: 'A1', type: 'room' }));
      d.ok(create('area', 'a2', { name: 'A2', type: 'room' }));
      d.sm.apply(99, new Uint8Array([1])); // out of order: a programming error, not a rejection
    }),
  );
  t.equal(d.sm.appliedIndex(), 2);
  t.ok(d.sm.get('area', 'a2'));
  // The machine still works after the batch, inside and outside a new one.
  d.sm.batch(() => d.ok(create('area', 'a3', { name: 'A3', type: 'room' })));
  d.ok(create('area', 'a4', { name: 'A4', type: 'room' }));
  t.equal(d.sm.appliedIndex(), 4);
  t.same(d.sm.counts().area, 4);
});

t.test('an export after a batch holds every entry of it', async (t) => {
  const d = await Driver.create();
  t.teardown(() => d.sm.close());
  d.sm.batch(() => {
    for (const c of house()) d.ok(c);
  });
  const image = d.sm.export();
  const { StateMachine } = await import('../../src/state/index.ts');
  const copy = await StateMachine.restore(image);
  t.teardown(() => copy.close());
  t.equal(copy.appliedIndex(), house().length);
  t.same(copy.counts(), d.sm.counts());
});

t.test('the windows are pruned at every 64th index whatever entry lands there (here a no-op)', async (t) => {
  const d = await Driver.create({ maxRequests: 3 });
  t.teardown(() => d.sm.close());
  for (let i = 1; i <= 63; i++) d.send(create('area', `a${i}`, { name: `A${i}`, type: 'room' }), `r${i}`);
  d.sm.applyNoop(64);
  // At index 64 the newest 3 request ids (r61..r63) stay; r60 is forgotten and its retry applied again.
  t.equal(d.send(create('area', 'a61', { name: 'A61', type: 'room' }), 'r61').duplicate, true);
  const old = d.send(create('area', 'a60', { name: 'A60', type: 'room' }), 'r60');
  t.equal(old.duplicate, false);
  t.match(old.outcome, { ok: false, error: { code: 'ALREADY_EXISTS' } });
});
