import t from 'tap';
import { Driver, create, house, remove, update } from './driver.ts';
import { StateMachineError } from '../../src/state/index.ts';

t.test('create, update, delete of each kind with revisions and changes', async (t) => {
  const d = await Driver.create();
  t.teardown(() => d.sm.close());
  const results = house().map((c) => d.ok(c));
  t.same(results.map((r) => r.index), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.same(results[7]!.changes, [
    {
      kind: 'scene',
      id: 's1',
      op: 'create',
      value: { name: 'Welcome', fadeSeconds: 2, levels: [{ zone: 'z1', level: 80 }, { zone: 'z2', level: 0 }] },
      revision: 8,
    },
  ]);
  t.same(d.sm.get('button', 'b1'), { kind: 'button', id: 'b1', value: { device: 'kp1', number: 1, scene: 's1', action: null }, revision: 9, createdRevision: 9 });
  t.same(d.sm.counts(), { area: 3, device: 2, zone: 2, scene: 1, button: 1 });

  const u = d.ok(update('zone', 'z1', { name: 'Downlights', type: 'led', device: 'dim1', minLevel: 5, maxLevel: 95 }));
  t.same(u.changes, [{ kind: 'zone', id: 'z1', op: 'update', value: { name: 'Downlights', type: 'led', device: 'dim1', minLevel: 5, maxLevel: 95 }, revision: 10 }]);
  const z1 = d.sm.get('zone', 'z1');
  t.equal(z1?.revision, 10);
  t.equal(z1?.createdRevision, 6);

  const s = d.ok(update('scene', 's1', { name: 'Welcome', fadeSeconds: 0.25, levels: [{ zone: 'z2', level: 55 }] }));
  t.equal(s.index, 11);
  t.same(d.sm.get('scene', 's1')?.value, { name: 'Welcome', fadeSeconds: 0.25, levels: [{ zone: 'z2', level: 55 }] });

  // z1 no longer in a scene: it can go.
  const del = d.ok(remove('zone', 'z1'));
  t.same(del.changes, [{ kind: 'zone', id: 'z1', op: 'delete', value: null, revision: 12 }]);
  t.equal(d.sm.get('zone', 'z1'), null);
  d.ok(remove('button', 'b1'));
  d.ok(remove('scene', 's1'));
  t.equal(d.sm.get('scene', 's1'), null);
  t.equal(d.sm.appliedIndex(), 14);
});

t.test('NOT_FOUND, ALREADY_EXISTS and INVALID', async (t) => {
  const d = await Driver.create();
  t.teardown(() => d.sm.close());
  house().forEach((c) => d.ok(c));
  const code = (c: Parameters<Driver['send']>[0]): string | undefined => {
    const r = d.send(c);
    return r.outcome.ok ? undefined : r.outcome.error.code;
  };
  t.equal(code(update('area', 'nope', { name: 'x', type: 'room' })), 'NOT_FOUND');
  t.equal(code(remove('device', 'nope')), 'NOT_FOUND');
  t.equal(code(create('area', 'hq', { name: 'again', type: 'building' })), 'ALREADY_EXISTS');
  const serial = d.send(create('device', 'dim2', { name: 'x', kind: 'dimmer', serialNumber: 'SN-1', model: 'm' }));
  t.match(serial.outcome, { ok: false, error: { code: 'ALREADY_EXISTS', fields: [{ path: 'serialNumber' }], message: /already used by device dim1/ } });
  t.equal(code(create('button', 'b2', { device: 'kp1', number: 1, scene: 's1' })), 'ALREADY_EXISTS');
  const invalid = d.send(create('zone', 'z9', { name: '', type: 'led', device: 'dim1', minLevel: 50, maxLevel: 40 }));
  t.match(invalid.outcome, { ok: false, error: { code: 'INVALID', kind: 'zone', id: 'z9', commandIndex: 0 } });
  if (!invalid.outcome.ok) t.same(invalid.outcome.error.fields?.map((f) => f.path), ['name']);
  const outOfLimits = d.send(create('scene', 's2', { name: 'x', fadeSeconds: 0, levels: [{ zone: 'z1', level: 95 }, { zone: 'z2', level: 100 }] }));
  t.match(outOfLimits.outcome, { ok: false, error: { code: 'INVALID', fields: [{ path: 'levels[0].level', message: /limits 10..90/ }] } });
  t.ok(d.send(create('scene', 's3', { name: 'off', fadeSeconds: 0, levels: [{ zone: 'z1', level: 0 }] })).outcome.ok, 'level 0 (off) is always allowed');
  t.same(d.sm.counts(), { area: 3, device: 2, zone: 2, scene: 2, button: 1 });
});

t.test('rejected and undecodable entries still advance the applied index', async (t) => {
  const d = await Driver.create();
  t.teardown(() => d.sm.close());
  const r = d.send(remove('area', 'ghost'));
  t.equal(r.outcome.ok, false);
  t.equal(d.sm.appliedIndex(), 1);
  const garbage = d.raw(new TextEncoder().encode('{"nope":true}'));
  t.match(garbage, { index: 2, requestId: null, outcome: { ok: false, error: { code: 'DECODE_FAILED' } }, changes: [] });
  t.equal(d.sm.appliedIndex(), 2);
  const noop = d.raw(new Uint8Array());
  t.match(noop, { index: 3, requestId: null, outcome: { ok: true }, changes: [] });
  d.sm.applyNoop(4);
  t.equal(d.sm.appliedIndex(), 4);
  t.same(d.sm.changesSince(0).changes, []);
});

t.test('entries must come in order', async (t) => {
  const d = await Driver.create();
  t.teardown(() => d.sm.close());
  t.throws(() => d.sm.applyNoop(2), { code: 'INDEX_OUT_OF_ORDER' });
  d.sm.applyNoop(1);
  t.throws(() => d.sm.applyNoop(1), StateMachineError);
  t.throws(() => d.sm.apply(0, new Uint8Array()), { code: 'INDEX_OUT_OF_ORDER' });
  t.equal(d.sm.appliedIndex(), 1);
  d.sm.close();
  t.throws(() => d.sm.get('area', 'x'), { code: 'CLOSED' });
});

t.test('queries: list with filters and pages', async (t) => {
  const d = await Driver.create();
  t.teardown(() => d.sm.close());
  house().forEach((c) => d.ok(c));
  for (let i = 0; i < 5; i++) d.ok(create('area', `room-${i}`, { name: `Room ${i}`, type: 'room', parent: 'f1' }));
  d.ok(create('device', 'loose', { name: 'spare', kind: 'switch', serialNumber: 'SN-9', model: 'm' }));
  const ids = (page: { items: readonly { id: string }[] }): string[] => page.items.map((i) => i.id);
  t.same(ids(d.sm.list('area', { parent: null })), ['hq']);
  t.same(ids(d.sm.list('area', { parent: 'f1' })), ['r1', 'room-0', 'room-1', 'room-2', 'room-3', 'room-4']);
  const p1 = d.sm.list('area', { parent: 'f1', limit: 4 });
  t.same(ids(p1), ['r1', 'room-0', 'room-1', 'room-2']);
  t.equal(p1.next, 'room-2');
  const p2 = d.sm.list('area', { parent: 'f1', limit: 4, after: p1.next! });
  t.same(ids(p2), ['room-3', 'room-4']);
  t.equal(p2.next, null);
  t.equal(p2.appliedIndex, d.sm.appliedIndex());
  t.same(ids(d.sm.list('device', { area: 'r1' })), ['dim1', 'kp1']);
  t.same(ids(d.sm.list('device', { area: null })), ['loose']);
  t.same(ids(d.sm.list('zone', { device: 'dim1' })), ['z1', 'z2']);
  t.same(ids(d.sm.list('button', { device: 'kp1' })), ['b1']);
  t.same(ids(d.sm.list('button', { scene: 's1' })), ['b1']);
  t.same(ids(d.sm.list('scene')), ['s1']);
  t.same(d.sm.list('scene').items[0]!.value, d.sm.get('scene', 's1')!.value);
  t.throws(() => d.sm.list('zone', { area: 'r1' }), { code: 'INVALID_QUERY', message: /zone cannot be filtered by area/ });
  t.throws(() => d.sm.list('button', { device: 'kp1', scene: 's1' }), { code: 'INVALID_QUERY' });
  t.throws(() => d.sm.list('area', { limit: 0 }), { code: 'INVALID_QUERY' });
  t.throws(() => d.sm.list('area', { limit: 1001 }), { code: 'INVALID_QUERY' });
});
