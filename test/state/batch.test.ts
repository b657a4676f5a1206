import t from 'tap';
import { Driver, create, house, remove, update } from './driver.ts';
import { encodeCommand } from '../../src/model/index.ts';

t.test('a batch applies in order, all at one revision', async (t) => {
  const d = await Driver.create();
  t.teardown(() => d.sm.close());
  const r = d.ok({ type: 'batch', commands: house() });
  t.equal(r.index, 1);
  t.equal(r.changes.length, 9);
  t.ok(r.changes.every((c) => c.revision === 1));
  t.same(d.sm.counts(), { area: 3, device: 2, zone: 2, scene: 1, button: 1 });
  t.same(d.sm.changesSince(0).changes.map((c) => c.id), ['hq', 'f1', 'r1', 'dim1', 'kp1', 'z1', 'z2', 's1', 'b1']);
});

t.test('one bad command in a batch: nothing changes', async (t) => {
  const d = await Driver.create();
  t.teardown(() => d.sm.close());
  d.ok(create('area', 'hq', { name: 'HQ', type: 'building' }));
  const before = d.sm.export();
  const beforeChanges = d.sm.changesSince(0);
  const r = d.send({
    type: 'batch',
    commands: [
      update('area', 'hq', { name: 'renamed', type: 'building' }),
      create('area', 'f1', { name: 'F1', type: 'floor', parent: 'hq' }),
      create('device', 'd1', { name: 'D', kind: 'dimmer', serialNumber: 'S1', model: 'm', area: 'f1' }),
      create('zone', 'z1', { name: 'Z', type: 'led', device: 'd1', minLevel: 0, maxLevel: 100 }),
      create('scene', 's1', { name: 'S', fadeSeconds: 1, levels: [{ zone: 'z1', level: 50 }, { zone: 'z-missing', level: 50 }] }),
    ],
  });
  t.match(r.outcome, { ok: false, error: { code: 'REFERENCE_MISSING', commandIndex: 4, kind: 'scene', id: 's1' } });
  t.same(r.changes, []);
  t.same(d.sm.counts(), { area: 1, device: 0, zone: 0, scene: 0, button: 0 });
  t.equal(d.sm.get('area', 'hq')?.value.name, 'HQ');
  t.equal(d.sm.get('area', 'hq')?.revision, 1);
  t.same(d.sm.changesSince(0).changes, beforeChanges.changes);
  t.equal(d.sm.appliedIndex(), 2);
  t.not(d.sm.export().length, 0);
  t.ok(before.length > 0);
  // The same batch without the bad level goes through.
  const fixed = d.send({
    type: 'batch',
    commands: [
      create('area', 'f1', { name: 'F1', type: 'floor', parent: 'hq' }),
      create('device', 'd1', { name: 'D', kind: 'dimmer', serialNumber: 'S1', model: 'm', area: 'f1' }),
      create('zone', 'z1', { name: 'Z', type: 'led', device: 'd1', minLevel: 0, maxLevel: 100 }),
      create('scene', 's1', { name: 'S', fadeSeconds: 1, levels: [{ zone: 'z1', level: 50 }] }),
      remove('scene', 's1'),
    ],
  });
  t.equal(fixed.outcome.ok, true);
  t.same(fixed.changes.map((c) => `${c.op} ${c.id}`), ['create f1', 'create d1', 'create z1', 'create s1', 'delete s1']);
});

t.test('conditional writes', async (t) => {
  const d = await Driver.create();
  t.teardown(() => d.sm.close());
  d.ok(create('area', 'hq', { name: 'HQ', type: 'building' })); // revision 1
  d.ok(create('area', 'f1', { name: 'F1', type: 'floor', parent: 'hq' })); // revision 2
  const stale = d.send(update('area', 'hq', { name: 'x', type: 'building' }, 7));
  t.match(stale.outcome, { ok: false, error: { code: 'REVISION_MISMATCH', currentRevision: 1, message: 'area hq is at revision 1, not 7' } });
  const fresh = d.send(update('area', 'hq', { name: 'x', type: 'building' }, 1));
  t.same(fresh.outcome, { ok: true, revision: 4 });
  t.match(d.send(remove('area', 'f1', 1)).outcome, { ok: false, error: { code: 'REVISION_MISMATCH', currentRevision: 2 } });
  t.equal(d.send(remove('area', 'f1', 2)).outcome.ok, true);
  // Create with ifRevision 0: "must not exist".
  t.equal(d.send({ type: 'create', kind: 'area', id: 'f1', value: { name: 'F1', type: 'floor' }, ifRevision: 0 }).outcome.ok, true);
  t.match(d.send({ type: 'create', kind: 'area', id: 'f1', value: { name: 'F1', type: 'floor' }, ifRevision: 0 }).outcome, { ok: false, error: { code: 'ALREADY_EXISTS' } });
  // A condition inside a batch fails the batch.
  const b = d.send({ type: 'batch', commands: [create('area', 'x1', { name: 'x', type: 'room' }), update('area', 'hq', { name: 'y', type: 'building' }, 1)] });
  t.match(b.outcome, { ok: false, error: { code: 'REVISION_MISMATCH', commandIndex: 1 } });
  t.equal(d.sm.get('area', 'x1'), null);
});

t.test('exactly-once: a retried request returns the original result and applies nothing', async (t) => {
  const d = await Driver.create();
  t.teardown(() => d.sm.close());
  const first = d.send(create('area', 'hq', { name: 'HQ', type: 'building' }), 'client-1');
  t.same(first.outcome, { ok: true, revision: 1 });
  d.ok(update('area', 'hq', { name: 'Renamed', type: 'building' }));
  const retry = d.send(create('area', 'hq', { name: 'HQ', type: 'building' }), 'client-1');
  t.same(retry, { index: 3, requestId: 'client-1', outcome: { ok: true, revision: 1 }, duplicate: true, changes: [] });
  t.equal(d.sm.get('area', 'hq')?.value.name, 'Renamed');
  // A rejected request is remembered too: its retry is rejected the same way, even if it would now succeed.
  const rejected = d.send(create('area', 'f1', { name: 'F', type: 'floor', parent: 'later' }), 'client-2');
  d.ok(create('area', 'later', { name: 'L', type: 'building' }));
  const retried = d.send(create('area', 'f1', { name: 'F', type: 'floor', parent: 'later' }), 'client-2');
  t.same(retried.outcome, rejected.outcome);
  t.equal(retried.duplicate, true);
  t.equal(d.sm.get('area', 'f1'), null);
  t.equal(d.sm.appliedIndex(), 6);
});

t.test('the request-id window is bounded and forgets the oldest first', async (t) => {
  const d = await Driver.create({ maxRequests: 3 });
  t.teardown(() => d.sm.close());
  // Pruning runs at every 64th index: at 64, r62..r64 stay remembered.
  for (let i = 1; i <= 64; i++) d.send(create('area', `a${i}`, { name: `A${i}`, type: 'room' }), `r${i}`);
  t.equal(d.send(create('area', 'a62', { name: 'A62', type: 'room' }), 'r62').duplicate, true);
  // r61 forgotten: its retry is applied again (and fails as ALREADY_EXISTS).
  const old = d.send(create('area', 'a61', { name: 'A61', type: 'room' }), 'r61');
  t.equal(old.duplicate, false);
  t.match(old.outcome, { ok: false, error: { code: 'ALREADY_EXISTS' } });
});

t.test('the same bytes give the same result on two machines, also for malformed input', async (t) => {
  const a = await Driver.create();
  const b = await Driver.create();
  t.teardown(() => {
    a.sm.close();
    b.sm.close();
  });
  const entries = [
    encodeCommand({ requestId: 'x', command: create('area', 'hq', { name: 'HQ', type: 'building' }) }),
    new TextEncoder().encode('not json'),
    encodeCommand({ requestId: 'y', command: create('zone', 'z', { name: 'Z' }) }),
    new Uint8Array(),
  ];
  for (const e of entries) t.same(a.raw(e), b.raw(e));
  t.same(Buffer.from(a.sm.export()), Buffer.from(b.sm.export()));
});
