import t from 'tap';
import {
  ModelValidationError,
  assertValid,
  validateArea,
  validateButton,
  validateDevice,
  validateScene,
  validateZone,
  isObjectId,
  isRequestId,
} from '../../src/model/index.ts';
import type { FieldError, Validation } from '../../src/model/index.ts';

function paths<T>(v: Validation<T>): string[] {
  return v.ok ? [] : v.errors.map((e: FieldError) => e.path);
}

t.test('object ids are short and topic-safe', async (t) => {
  for (const ok of ['a', 'room-1', 'Z_9', 'x'.repeat(64)]) t.ok(isObjectId(ok), ok);
  for (const bad of ['', 'x'.repeat(65), 'a/b', 'a+b', 'a#', 'a b', 'é', 42, null]) t.notOk(isObjectId(bad), String(bad));
  t.ok(isRequestId('0b7a4c1e-1d2f-4a7b-9b1c-1234567890ab'));
  t.ok(isRequestId('client:42.7'));
  t.notOk(isRequestId('a/b'));
});

t.test('area', async (t) => {
  t.same(validateArea({ name: 'HQ', type: 'building' }), { ok: true, value: { name: 'HQ', type: 'building', parent: null } });
  t.same(validateArea({ name: 'Floor 1', type: 'floor', parent: 'hq' }), { ok: true, value: { name: 'Floor 1', type: 'floor', parent: 'hq' } });
  t.same(paths(validateArea({ name: '', type: 'castle', parent: 'a/b', colour: 'red' })), ['colour', 'name', 'type', 'parent']);
  t.same(paths(validateArea({})), ['name', 'type']);
  t.same(paths(validateArea(null)), ['']);
  t.same(paths(validateArea([])), ['']);
  t.same(paths(validateArea({ name: 'a\nb', type: 'room' })), ['name']);
  t.same(paths(validateArea({ name: 'x'.repeat(129), type: 'room' })), ['name']);
  const r = validateArea({ name: 3, type: 'room' });
  t.equal(r.ok, false);
  if (!r.ok) t.equal(r.errors[0]!.message, 'must be a string');
});

t.test('device', async (t) => {
  const ok = { name: 'Hall dimmer', kind: 'dimmer', serialNumber: 'SN-0001', model: 'RRD-6ND', area: 'hall' };
  t.same(validateDevice(ok), { ok: true, value: ok });
  t.same(validateDevice({ ...ok, area: null }), { ok: true, value: { ...ok, area: null } });
  t.same(paths(validateDevice({ ...ok, kind: 'toaster' })), ['kind']);
  t.same(paths(validateDevice({ ...ok, serialNumber: 'SN 1' })), ['serialNumber']);
  t.same(paths(validateDevice({ ...ok, serialNumber: 'S'.repeat(33) })), ['serialNumber']);
  t.same(paths(validateDevice({ name: 'x', kind: 'keypad' })), ['serialNumber', 'model']);
});

t.test('zone', async (t) => {
  const ok = { name: 'Downlights', type: 'led', device: 'd1', minLevel: 5, maxLevel: 95 };
  t.same(validateZone(ok), { ok: true, value: ok });
  t.same(paths(validateZone({ ...ok, minLevel: -1, maxLevel: 101 })), ['minLevel', 'maxLevel']);
  t.same(paths(validateZone({ ...ok, minLevel: 1.5 })), ['minLevel']);
  t.same(paths(validateZone({ ...ok, minLevel: 60, maxLevel: 40 })), ['minLevel']);
  t.same(paths(validateZone({ ...ok, type: 'neon' })), ['type']);
  t.same(paths(validateZone({ ...ok, device: undefined })), ['device']);
});

t.test('scene: levels sorted by zone, duplicates and bad levels named by index', async (t) => {
  const r = validateScene({ name: 'Evening', fadeSeconds: 2.5, levels: [{ zone: 'z2', level: 40 }, { zone: 'z1', level: 0 }] });
  t.same(r, { ok: true, value: { name: 'Evening', fadeSeconds: 2.5, levels: [{ zone: 'z1', level: 0 }, { zone: 'z2', level: 40 }] } });
  t.same(paths(validateScene({ name: 'x', fadeSeconds: 0, levels: [{ zone: 'z1', level: 10 }, { zone: 'z1', level: 20 }] })), ['levels[1].zone']);
  t.same(paths(validateScene({ name: 'x', fadeSeconds: 0, levels: [{ zone: 'z1', level: 101 }, { zone: 'z/2', level: 1 }, 7] })), [
    'levels[0].level',
    'levels[1].zone',
    'levels[2]',
  ]);
  t.same(paths(validateScene({ name: 'x', fadeSeconds: 1.234, levels: [] })), ['fadeSeconds']);
  t.same(paths(validateScene({ name: 'x', fadeSeconds: 3601, levels: [] })), ['fadeSeconds']);
  t.same(paths(validateScene({ name: 'x', fadeSeconds: Number.NaN, levels: [] })), ['fadeSeconds']);
  t.same(paths(validateScene({ name: 'x', fadeSeconds: 0, levels: {} })), ['levels']);
  const many = Array.from({ length: 513 }, (_, i) => ({ zone: `z${i}`, level: 1 }));
  t.same(paths(validateScene({ name: 'x', fadeSeconds: 0, levels: many })), ['levels']);
});

t.test('button', async (t) => {
  t.same(validateButton({ device: 'k1', number: 1, scene: 's1' }), { ok: true, value: { device: 'k1', number: 1, scene: 's1', action: null } });
  t.same(validateButton({ device: 'k1', number: 32, scene: 's1', action: 'toggle' }), {
    ok: true,
    value: { device: 'k1', number: 32, scene: 's1', action: 'toggle' },
  });
  t.same(paths(validateButton({ device: 'k1', number: 0, scene: 's1', action: 'dance' })), ['number', 'action']);
  t.same(paths(validateButton({ device: 'k1', number: 33, scene: '' })), ['number', 'scene']);
});

t.test('assertValid throws ModelValidationError with every field error', async (t) => {
  t.same(assertValid('area', { name: 'R', type: 'room', parent: 'f1' }), { name: 'R', type: 'room', parent: 'f1' });
  const err = t.throws(() => assertValid('zone', { name: '', type: 'led' }));
  t.ok(err instanceof ModelValidationError);
  if (err instanceof ModelValidationError) {
    t.equal(err.code, 'INVALID');
    t.same(err.errors.map((e) => e.path), ['name', 'device', 'minLevel', 'maxLevel']);
    t.match(err.message, /name: must be 1\.\.128 characters long/);
  }
});
