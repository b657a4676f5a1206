import t from 'tap';
import type { Test } from 'tap';
import { Driver, create, house, remove, update } from './driver.ts';
import type { Command } from '../../src/model/index.ts';
import type { ApplyError } from '../../src/state/index.ts';

async function housed(t: Test): Promise<{ d: Driver; reject: (c: Command) => ApplyError }> {
  const d = await Driver.create();
  t.teardown(() => d.sm.close());
  house().forEach((c) => d.ok(c));
  const reject = (c: Command): ApplyError => {
    const counts = d.sm.counts();
    const changes = d.sm.changesSince(0).changes;
    const r = d.send(c);
    if (r.outcome.ok) throw new Error('expected a rejection');
    t.same(r.changes, [], 'a rejection reports no changes');
    t.same(d.sm.counts(), counts, 'a rejection writes no object');
    t.same(d.sm.changesSince(0).changes, changes, 'a rejection logs no change');
    return r.outcome.error;
  };
  return { d, reject };
}

t.test('REFERENCE_MISSING', async (t) => {
  const { reject } = await housed(t);
  t.match(reject(create('area', 'r9', { name: 'x', type: 'room', parent: 'nowhere' })), { code: 'REFERENCE_MISSING', fields: [{ path: 'parent' }] });
  t.match(reject(create('device', 'd9', { name: 'x', kind: 'dimmer', serialNumber: 'SN-9', model: 'm', area: 'nowhere' })), {
    code: 'REFERENCE_MISSING',
    fields: [{ path: 'area' }],
  });
  t.match(reject(create('zone', 'z9', { name: 'x', type: 'led', device: 'nodev', minLevel: 0, maxLevel: 100 })), { code: 'REFERENCE_MISSING', message: /device nodev/ });
  t.match(reject(create('scene', 's9', { name: 'x', fadeSeconds: 0, levels: [{ zone: 'z1', level: 50 }, { zone: 'zz', level: 10 }] })), {
    code: 'REFERENCE_MISSING',
    fields: [{ path: 'levels[1].zone', message: 'zone zz does not exist' }],
  });
  t.match(reject(create('button', 'b9', { device: 'kp1', number: 2, scene: 'nosc' })), { code: 'REFERENCE_MISSING', fields: [{ path: 'scene' }] });
  t.match(reject(create('button', 'b9', { device: 'nokp', number: 2, scene: 's1' })), { code: 'REFERENCE_MISSING', fields: [{ path: 'device' }] });
});

t.test('REFERENCE_INVALID: wrong device kind, area cycles', async (t) => {
  const { reject } = await housed(t);
  t.match(reject(create('button', 'b9', { device: 'dim1', number: 2, scene: 's1' })), { code: 'REFERENCE_INVALID', message: /dim1 is a dimmer; only a keypad has buttons/ });
  t.match(reject(create('zone', 'z9', { name: 'x', type: 'led', device: 'kp1', minLevel: 0, maxLevel: 100 })), { code: 'REFERENCE_INVALID', message: /drives no loads/ });
  t.match(reject(create('zone', 'z9', { name: 'x', type: 'shade', device: 'dim1', minLevel: 0, maxLevel: 100 })), { code: 'REFERENCE_INVALID', fields: [{ path: 'type' }] });
  t.match(reject(update('area', 'hq', { name: 'HQ', type: 'building', parent: 'r1' })), { code: 'REFERENCE_INVALID', message: /cannot contain themselves/ });
  t.match(reject(update('area', 'f1', { name: 'F', type: 'floor', parent: 'f1' })), { code: 'REFERENCE_INVALID' });
});

t.test('STILL_REFERENCED on delete', async (t) => {
  const { d, reject } = await housed(t);
  t.match(reject(remove('area', 'f1')), { code: 'STILL_REFERENCED', message: 'area f1 is still used by child areas r1' });
  t.match(reject(remove('area', 'r1')), { code: 'STILL_REFERENCED', message: 'area r1 is still used by devices dim1, kp1' });
  t.match(reject(remove('device', 'dim1')), { code: 'STILL_REFERENCED', message: /zones z1, z2/ });
  t.match(reject(remove('device', 'kp1')), { code: 'STILL_REFERENCED', message: /buttons b1/ });
  t.match(reject(remove('zone', 'z2')), { code: 'STILL_REFERENCED', message: /scenes s1/ });
  t.match(reject(remove('scene', 's1')), { code: 'STILL_REFERENCED', message: /buttons b1/ });
  t.same(d.sm.counts(), { area: 3, device: 2, zone: 2, scene: 1, button: 1 });
});

t.test('STILL_REFERENCED on update', async (t) => {
  const { reject } = await housed(t);
  t.match(reject(update('zone', 'z1', { name: 'D', type: 'led', device: 'dim1', minLevel: 85, maxLevel: 100 })), {
    code: 'STILL_REFERENCED',
    message: /scene s1 sets this zone to 80, outside the new limits 85..100/,
  });
  t.match(reject(update('device', 'kp1', { name: 'k', kind: 'dimmer', serialNumber: 'SN-2', model: 'm', area: 'r1' })), { code: 'STILL_REFERENCED', message: /buttons b1/ });
  t.match(reject(update('device', 'dim1', { name: 'k', kind: 'switch', serialNumber: 'SN-1', model: 'm', area: 'r1' })), {
    code: 'STILL_REFERENCED',
    message: /a switch cannot drive zones z1 \(led\), z2 \(incandescent\)/,
  });
});

t.test('a device keeps its own serial number on update; moving areas works', async (t) => {
  const { d } = await housed(t);
  d.ok(create('area', 'r2', { name: 'Office', type: 'room', parent: 'f1' }));
  d.ok(update('device', 'dim1', { name: 'moved', kind: 'controller-board', serialNumber: 'SN-1', model: 'QSE', area: 'r2' }));
  d.ok(update('area', 'r2', { name: 'Office', type: 'room', parent: 'hq' }));
  t.equal(d.sm.get('device', 'dim1')?.value.area, 'r2');
});
