// Read-only queries over the state database.
import { OBJECT_KINDS, MAX_BATCH_COMMANDS } from '../model/index.ts';
import type { ObjectKind, ObjectValues } from '../model/index.ts';
import { int, text } from './database.ts';
import type { SqlDatabase } from './database.ts';
import { StateQueryError } from './errors.ts';
import type { ChangeOp, ChangeRecord, ChangesPage, ListPage, ObjectCounts } from './results.ts';
import { LIST_FILTERS, countObjects, readFilteredPage, readPage } from './rows.ts';
import type { ListFilterField } from './rows.ts';

export const LIST_DEFAULT_LIMIT = 100;
/** Largest page a list returns (bounds one answer's memory). */
export const LIST_MAX_LIMIT = 1000;
export const CHANGES_DEFAULT_LIMIT = 1000;
/** Largest page of changes; never below a batch's size, so a page always ends on a whole revision. */
export const CHANGES_MAX_LIMIT = 10_000;

export interface ListQuery {
  /** area: areas inside this one (null: top-level areas). */
  readonly parent?: string | null;
  /** device: devices in this area (null: unplaced devices). */
  readonly area?: string | null;
  /** zone: zones of this device; button: buttons of this keypad. */
  readonly device?: string;
  /** button: buttons bound to this scene. */
  readonly scene?: string;
  /** Return ids greater than this (the previous page's `next`). */
  readonly after?: string;
  /** 1..1000, default 100. */
  readonly limit?: number;
}

function checkLimit(limit: number, max: number, min = 1): number {
  if (!Number.isInteger(limit) || limit < min || limit > max) {
    throw new StateQueryError('INVALID_QUERY', `limit must be an integer between ${min} and ${max} (got ${limit})`);
  }
  return limit;
}

export function listObjects<K extends ObjectKind>(db: SqlDatabase, kind: K, query: ListQuery): ListPage<ObjectValues[K]> {
  const limit = checkLimit(query.limit ?? LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT);
  const after = query.after ?? '';
  const allowed: readonly string[] = LIST_FILTERS[kind];
  const given = (['parent', 'area', 'device', 'scene'] as const).filter((f) => query[f] !== undefined);
  for (const f of given) {
    if (!allowed.includes(f)) {
      throw new StateQueryError('INVALID_QUERY', `${kind} cannot be filtered by ${f} (filters: ${allowed.join(', ') || 'none'})`);
    }
  }
  if (given.length > 1) throw new StateQueryError('INVALID_QUERY', `filter by one field at a time (got ${given.join(', ')})`);
  // One row more than asked tells whether another page exists.
  const field = given[0] as ListFilterField | undefined;
  const rows = field === undefined ? readPage(db, kind, after, limit + 1) : readFilteredPage(db, kind, field, query[field] ?? null, after, limit + 1);
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  return { items, next: more ? items[items.length - 1]!.id : null, appliedIndex: readMeta(db, 'applied_index') };
}

export function countAll(db: SqlDatabase): ObjectCounts {
  const counts = {} as Record<ObjectKind, number>;
  for (const kind of OBJECT_KINDS) counts[kind] = countObjects(db, kind);
  return counts;
}

export function readMeta(db: SqlDatabase, key: 'applied_index' | 'changes_floor' | 'max_requests' | 'max_changes'): number {
  const row = db.one('SELECT value FROM meta WHERE key = ?', [key]);
  if (row === null) throw new Error(`meta ${key} missing`);
  return int(row, 0);
}

export function changesSince(db: SqlDatabase, revision: number, limit = CHANGES_DEFAULT_LIMIT): ChangesPage {
  if (!Number.isSafeInteger(revision) || revision < 0) throw new StateQueryError('INVALID_QUERY', `revision must be a non-negative integer (got ${revision})`);
  checkLimit(limit, CHANGES_MAX_LIMIT, MAX_BATCH_COMMANDS);
  const floor = readMeta(db, 'changes_floor');
  if (revision < floor) {
    throw new StateQueryError('COMPACTED', `changes up to revision ${floor} are no longer kept (asked since ${revision}): list the objects again, then ask for changes since the revision of that listing`);
  }
  const rows = db.all('SELECT revision, kind, id, op FROM changes WHERE revision > ? ORDER BY seq LIMIT ?', [revision, limit + 1]);
  let changes: ChangeRecord[] = rows.map((r) => ({ revision: int(r, 0), kind: text(r, 1) as ObjectKind, id: text(r, 2), op: text(r, 3) as ChangeOp }));
  const more = changes.length > limit;
  if (more) {
    // End the page on a whole revision: drop the revision the cut went through.
    const cut = changes[limit]!.revision;
    changes = changes.slice(0, limit).filter((c) => c.revision !== cut);
  }
  return { changes, more, appliedIndex: readMeta(db, 'applied_index') };
}
