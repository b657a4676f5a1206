// Referential rules the schema alone cannot phrase as clear errors. Each
// check throws an ApplyRejection with a stable code and names the objects involved.
import { BUTTON_DEVICE_KIND, ZONE_TYPES_BY_DEVICE_KIND } from '../model/index.ts';
import type { Area, Button, Device, DeviceKind, FieldError, ObjectKind, ObjectValue, Scene, Zone } from '../model/index.ts';
import { int, text } from './database.ts';
import type { SqlDatabase } from './database.ts';
import { ApplyRejection } from './errors.ts';
import type { ApplyErrorCode } from './results.ts';

/** How many referring ids an error message names. */
const NAMED_REFERRERS = 5;

function reject(code: ApplyErrorCode, message: string, field?: string): never {
  const fields: FieldError[] | undefined = field === undefined ? undefined : [{ path: field, message }];
  throw new ApplyRejection({ code, message, ...(fields ? { fields } : {}) });
}

function ids(db: SqlDatabase, sql: string, id: string): string[] {
  return db.all(sql, [id, NAMED_REFERRERS + 1]).map((r) => text(r, 0));
}

function describe(list: readonly string[], noun: string): string {
  const shown = list.slice(0, NAMED_REFERRERS).join(', ');
  return `${noun} ${shown}${list.length > NAMED_REFERRERS ? ', ...' : ''}`;
}

function deviceKind(db: SqlDatabase, id: string): DeviceKind | null {
  const row = db.one('SELECT kind FROM devices WHERE id = ?', [id]);
  return row === null ? null : (text(row, 0) as DeviceKind);
}

function exists(db: SqlDatabase, sql: string, id: string): boolean {
  return db.one(sql, [id]) !== null;
}

// ---- Create / update: what the new value refers to must exist and fit. ----

export function checkReferences(db: SqlDatabase, kind: ObjectKind, id: string, value: ObjectValue): void {
  switch (kind) {
    case 'area':
      return checkArea(db, id, value as Area);
    case 'device':
      return checkDevice(db, id, value as Device);
    case 'zone':
      return checkZone(db, value as Zone);
    case 'scene':
      return checkScene(db, value as Scene);
    case 'button':
      return checkButton(db, id, value as Button);
  }
}

function checkArea(db: SqlDatabase, id: string, v: Area): void {
  if (v.parent === null) return;
  if (!exists(db, 'SELECT 1 FROM areas WHERE id = ?', v.parent)) reject('REFERENCE_MISSING', `parent area ${v.parent} does not exist`, 'parent');
  // Walk up from the new parent; meeting `id` means the area would contain itself.
  const cycle = db.one(
    `WITH RECURSIVE up (id, parent) AS (
       SELECT id, parent FROM areas WHERE id = ?
       UNION ALL SELECT a.id, a.parent FROM areas a JOIN up ON a.id = up.parent)
     SELECT 1 FROM up WHERE id = ?`,
    [v.parent, id],
  );
  if (cycle !== null) reject('REFERENCE_INVALID', `area ${v.parent} is ${id} itself or inside it: areas cannot contain themselves`, 'parent');
}

function checkDevice(db: SqlDatabase, id: string, v: Device): void {
  if (v.area !== null && !exists(db, 'SELECT 1 FROM areas WHERE id = ?', v.area)) reject('REFERENCE_MISSING', `area ${v.area} does not exist`, 'area');
  const other = db.one('SELECT id FROM devices WHERE serial_number = ? AND id <> ?', [v.serialNumber, id]);
  if (other !== null) reject('ALREADY_EXISTS', `serial number ${v.serialNumber} is already used by device ${text(other, 0)}`, 'serialNumber');
}

function checkZone(db: SqlDatabase, v: Zone): void {
  const kind = deviceKind(db, v.device);
  if (kind === null) reject('REFERENCE_MISSING', `device ${v.device} does not exist`, 'device');
  const types = ZONE_TYPES_BY_DEVICE_KIND[kind];
  if (types.length === 0) reject('REFERENCE_INVALID', `device ${v.device} is a ${kind} and drives no loads`, 'device');
  if (!types.includes(v.type)) reject('REFERENCE_INVALID', `device ${v.device} is a ${kind} and cannot drive a ${v.type} zone (it drives ${types.join(', ')})`, 'type');
}

function checkScene(db: SqlDatabase, v: Scene): void {
  const fields: FieldError[] = [];
  let missing: string | null = null;
  v.levels.forEach((l, i) => {
    const row = db.one('SELECT min_level, max_level FROM zones WHERE id = ?', [l.zone]);
    if (row === null) {
      missing ??= `levels[${i}].zone`;
      fields.push({ path: `levels[${i}].zone`, message: `zone ${l.zone} does not exist` });
      return;
    }
    const min = int(row, 0);
    const max = int(row, 1);
    if (l.level !== 0 && (l.level < min || l.level > max)) {
      fields.push({ path: `levels[${i}].level`, message: `must be 0 (off) or within zone ${l.zone}'s limits ${min}..${max} (got ${l.level})` });
    }
  });
  if (fields.length === 0) return;
  const code: ApplyErrorCode = missing !== null ? 'REFERENCE_MISSING' : 'INVALID';
  throw new ApplyRejection({ code, message: fields.map((f) => `${f.path}: ${f.message}`).join('; '), fields });
}

function checkButton(db: SqlDatabase, id: string, v: Button): void {
  const kind = deviceKind(db, v.device);
  if (kind === null) reject('REFERENCE_MISSING', `device ${v.device} does not exist`, 'device');
  if (kind !== BUTTON_DEVICE_KIND) reject('REFERENCE_INVALID', `device ${v.device} is a ${kind}; only a ${BUTTON_DEVICE_KIND} has buttons`, 'device');
  if (!exists(db, 'SELECT 1 FROM scenes WHERE id = ?', v.scene)) reject('REFERENCE_MISSING', `scene ${v.scene} does not exist`, 'scene');
  const other = db.one('SELECT id FROM buttons WHERE device = ? AND number = ? AND id <> ?', [v.device, v.number, id]);
  if (other !== null) reject('ALREADY_EXISTS', `keypad ${v.device} button ${v.number} is already button ${text(other, 0)}`, 'number');
}

// ---- Update: the new value must still suit the objects referring to it. ----

export function checkReferrersAccept(db: SqlDatabase, kind: ObjectKind, id: string, value: ObjectValue): void {
  if (kind === 'device') {
    const v = value as Device;
    const allowed = ZONE_TYPES_BY_DEVICE_KIND[v.kind];
    const zones = db.all('SELECT id, type FROM zones WHERE device = ? ORDER BY id', [id]).filter((r) => !(allowed as readonly string[]).includes(text(r, 1)));
    if (zones.length > 0) {
      reject('STILL_REFERENCED', `a ${v.kind} cannot drive ${describe(zones.map((r) => `${text(r, 0)} (${text(r, 1)})`), 'zones')}`, 'kind');
    }
    if (v.kind !== BUTTON_DEVICE_KIND) {
      const buttons = ids(db, 'SELECT id FROM buttons WHERE device = ? ORDER BY id LIMIT ?', id);
      if (buttons.length > 0) reject('STILL_REFERENCED', `a ${v.kind} cannot carry ${describe(buttons, 'buttons')}`, 'kind');
    }
  } else if (kind === 'zone') {
    const v = value as Zone;
    const bad = db.one('SELECT scene, level FROM scene_levels WHERE zone = ? AND level <> 0 AND (level < ? OR level > ?) ORDER BY scene LIMIT 1', [id, v.minLevel, v.maxLevel]);
    if (bad !== null) {
      reject('STILL_REFERENCED', `scene ${text(bad, 0)} sets this zone to ${int(bad, 1)}, outside the new limits ${v.minLevel}..${v.maxLevel}`, 'minLevel');
    }
  }
}

// ---- Delete: nothing may refer to the object any more. ----

const REFERRERS: { readonly [K in ObjectKind]: readonly { readonly sql: string; readonly noun: string }[] } = {
  area: [
    { sql: 'SELECT id FROM areas WHERE parent = ? ORDER BY id LIMIT ?', noun: 'child areas' },
    { sql: 'SELECT id FROM devices WHERE area = ? ORDER BY id LIMIT ?', noun: 'devices' },
  ],
  device: [
    { sql: 'SELECT id FROM zones WHERE device = ? ORDER BY id LIMIT ?', noun: 'zones' },
    { sql: 'SELECT id FROM buttons WHERE device = ? ORDER BY id LIMIT ?', noun: 'buttons' },
  ],
  zone: [{ sql: 'SELECT scene FROM scene_levels WHERE zone = ? ORDER BY scene LIMIT ?', noun: 'scenes' }],
  scene: [{ sql: 'SELECT id FROM buttons WHERE scene = ? ORDER BY id LIMIT ?', noun: 'buttons' }],
  button: [],
};

export function checkNotReferenced(db: SqlDatabase, kind: ObjectKind, id: string): void {
  for (const { sql, noun } of REFERRERS[kind]) {
    const found = ids(db, sql, id);
    if (found.length > 0) reject('STILL_REFERENCED', `${kind} ${id} is still used by ${describe(found, noun)}`);
  }
}
