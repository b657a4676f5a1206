// Mapping between object values and table rows, one mapping per kind.
// Every SQL text is built once at module load, so the statement cache stays bounded.
import type { SqlValue } from 'sql.js';
import type { Area, AreaType, Button, ButtonAction, Device, DeviceKind, ObjectKind, ObjectValue, ObjectValues, Scene, Zone, ZoneType } from '../model/index.ts';
import { int, text, textOrNull } from './database.ts';
import type { Row, SqlDatabase } from './database.ts';
import type { StoredObject } from './results.ts';

interface Mapping<V extends ObjectValue> {
  readonly table: string;
  /** Value columns, in the order of toRow/fromRow. */
  readonly columns: readonly string[];
  toRow(value: V): SqlValue[];
  fromRow(row: Row, id: string, db: SqlDatabase): V;
}

const SCENE_LEVELS_SQL = 'SELECT zone, level FROM scene_levels WHERE scene = ? ORDER BY zone';

const area: Mapping<Area> = {
  table: 'areas',
  columns: ['name', 'type', 'parent'],
  toRow: (v) => [v.name, v.type, v.parent],
  fromRow: (r) => ({ name: text(r, 0), type: text(r, 1) as AreaType, parent: textOrNull(r, 2) }),
};

const device: Mapping<Device> = {
  table: 'devices',
  columns: ['name', 'kind', 'serial_number', 'model', 'area'],
  toRow: (v) => [v.name, v.kind, v.serialNumber, v.model, v.area],
  fromRow: (r) => ({
    name: text(r, 0),
    kind: text(r, 1) as DeviceKind,
    serialNumber: text(r, 2),
    model: text(r, 3),
    area: textOrNull(r, 4),
  }),
};

const zone: Mapping<Zone> = {
  table: 'zones',
  columns: ['name', 'type', 'device', 'min_level', 'max_level'],
  toRow: (v) => [v.name, v.type, v.device, v.minLevel, v.maxLevel],
  fromRow: (r) => ({ name: text(r, 0), type: text(r, 1) as ZoneType, device: text(r, 2), minLevel: int(r, 3), maxLevel: int(r, 4) }),
};

const scene: Mapping<Scene> = {
  table: 'scenes',
  columns: ['name', 'fade_centis'],
  // Centiseconds as an integer: no floating point in the image.
  toRow: (v) => [v.name, Math.round(v.fadeSeconds * 100)],
  fromRow: (r, id, db) => ({
    name: text(r, 0),
    fadeSeconds: int(r, 1) / 100,
    levels: db.all(SCENE_LEVELS_SQL, [id]).map((l) => ({ zone: text(l, 0), level: int(l, 1) })),
  }),
};

const button: Mapping<Button> = {
  table: 'buttons',
  columns: ['device', 'number', 'scene', 'action'],
  toRow: (v) => [v.device, v.number, v.scene, v.action],
  fromRow: (r) => ({ device: text(r, 0), number: int(r, 1), scene: text(r, 2), action: textOrNull(r, 3) as ButtonAction | null }),
};

const MAPPINGS: { readonly [K in ObjectKind]: Mapping<ObjectValues[K]> } = { area, device, zone, scene, button };

/** Fields a list may filter on, per kind (each backed by an index). */
export const LIST_FILTERS = {
  area: ['parent'],
  device: ['area'],
  zone: ['device'],
  scene: [],
  button: ['device', 'scene'],
} as const satisfies { readonly [K in ObjectKind]: readonly string[] };
export type ListFilterField = (typeof LIST_FILTERS)[ObjectKind][number];

interface KindSql {
  readonly select: string;
  readonly selectPage: string;
  /** Filtered pages: `field IS ?` also matches null (top-level areas, unplaced devices). */
  readonly selectPageWhere: Readonly<Record<string, string>>;
  readonly revision: string;
  readonly insert: string;
  readonly update: string;
  readonly remove: string;
  readonly count: string;
}

function buildSql(m: Mapping<ObjectValue>, filters: readonly string[]): KindSql {
  const cols = m.columns.join(', ');
  return {
    select: `SELECT ${cols}, revision, created_revision FROM ${m.table} WHERE id = ?`,
    selectPage: `SELECT ${cols}, revision, created_revision, id FROM ${m.table} WHERE id > ? ORDER BY id LIMIT ?`,
    selectPageWhere: Object.fromEntries(
      filters.map((f) => [f, `SELECT ${cols}, revision, created_revision, id FROM ${m.table} WHERE ${f} IS ? AND id > ? ORDER BY id LIMIT ?`]),
    ),
    revision: `SELECT revision FROM ${m.table} WHERE id = ?`,
    insert: `INSERT INTO ${m.table} (id, ${cols}, created_revision, revision) VALUES (?, ${m.columns.map(() => '?').join(', ')}, ?, ?)`,
    update: `UPDATE ${m.table} SET ${m.columns.map((c) => `${c} = ?`).join(', ')}, revision = ? WHERE id = ?`,
    remove: `DELETE FROM ${m.table} WHERE id = ?`,
    count: `SELECT count(*) FROM ${m.table}`,
  };
}

const SQL: { readonly [K in ObjectKind]: KindSql } = {
  area: buildSql(area as Mapping<ObjectValue>, LIST_FILTERS.area),
  device: buildSql(device as Mapping<ObjectValue>, LIST_FILTERS.device),
  zone: buildSql(zone as Mapping<ObjectValue>, LIST_FILTERS.zone),
  scene: buildSql(scene as Mapping<ObjectValue>, LIST_FILTERS.scene),
  button: buildSql(button as Mapping<ObjectValue>, LIST_FILTERS.button),
};

function mapping<K extends ObjectKind>(kind: K): Mapping<ObjectValues[K]> {
  return MAPPINGS[kind] as Mapping<ObjectValues[K]>;
}

export function tableOf(kind: ObjectKind): string {
  return MAPPINGS[kind].table;
}

/** A full row (value columns, revision, created_revision[, id]) as a StoredObject. */
export function storedFromRow<K extends ObjectKind>(db: SqlDatabase, kind: K, id: string, row: Row): StoredObject<ObjectValues[K]> {
  const m = mapping(kind);
  const n = m.columns.length;
  return { kind, id, value: m.fromRow(row, id, db), revision: int(row, n), createdRevision: int(row, n + 1) };
}

export function readObject<K extends ObjectKind>(db: SqlDatabase, kind: K, id: string): StoredObject<ObjectValues[K]> | null {
  const row = db.one(SQL[kind].select, [id]);
  return row === null ? null : storedFromRow(db, kind, id, row);
}

/** Objects of a kind with id > after, in id order. */
export function readPage<K extends ObjectKind>(db: SqlDatabase, kind: K, after: string, limit: number): StoredObject<ObjectValues[K]>[] {
  const idColumn = mapping(kind).columns.length + 2;
  return db.all(SQL[kind].selectPage, [after, limit]).map((row) => storedFromRow(db, kind, text(row, idColumn), row));
}

/** Objects of a kind whose `field` equals `equals`, with id > after, in id order. */
export function readFilteredPage<K extends ObjectKind>(
  db: SqlDatabase,
  kind: K,
  field: ListFilterField,
  equals: string | null,
  after: string,
  limit: number,
): StoredObject<ObjectValues[K]>[] {
  const sql = SQL[kind].selectPageWhere[field];
  if (sql === undefined) throw new TypeError(`${kind} cannot be filtered by ${field}`);
  const idColumn = mapping(kind).columns.length + 2;
  return db.all(sql, [equals, after, limit]).map((row) => storedFromRow(db, kind, text(row, idColumn), row));
}

/** The object's revision, or 0 when it does not exist. */
export function readRevision(db: SqlDatabase, kind: ObjectKind, id: string): number {
  const row = db.one(SQL[kind].revision, [id]);
  return row === null ? 0 : int(row, 0);
}

export function countObjects(db: SqlDatabase, kind: ObjectKind): number {
  const row = db.one(SQL[kind].count);
  return row === null ? 0 : int(row, 0);
}

export function insertObject<K extends ObjectKind>(db: SqlDatabase, kind: K, id: string, value: ObjectValues[K], revision: number): void {
  db.run(SQL[kind].insert, [id, ...mapping(kind).toRow(value), revision, revision]);
  writeDetails(db, kind, id, value);
}

export function updateObject<K extends ObjectKind>(db: SqlDatabase, kind: K, id: string, value: ObjectValues[K], revision: number): void {
  db.run(SQL[kind].update, [...mapping(kind).toRow(value), revision, id]);
  writeDetails(db, kind, id, value);
}

export function deleteObject(db: SqlDatabase, kind: ObjectKind, id: string): void {
  if (kind === 'scene') db.run('DELETE FROM scene_levels WHERE scene = ?', [id]);
  db.run(SQL[kind].remove, [id]);
}

/** Rows outside the kind's own table (a scene's levels). */
function writeDetails(db: SqlDatabase, kind: ObjectKind, id: string, value: ObjectValue): void {
  if (kind !== 'scene') return;
  db.run('DELETE FROM scene_levels WHERE scene = ?', [id]);
  for (const l of (value as Scene).levels) db.run('INSERT INTO scene_levels (scene, zone, level) VALUES (?, ?, ?)', [id, l.zone, l.level]);
}
