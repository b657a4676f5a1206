// Bringing a database to the current schema, and checking a restored image.
import type { SqlJsStatic } from 'sql.js';
import { SqlDatabase, int, text } from './database.ts';
import { StateImageError } from './errors.ts';
import { APPLICATION_ID, MIGRATIONS, MIGRATIONS_TABLE_SQL, SCHEMA_VERSION } from './schema.ts';

const SQLITE_HEADER = 'SQLite format 3\0';

function pragmaInt(db: SqlDatabase, name: string): number {
  const row = db.one(`PRAGMA ${name}`);
  return row === null ? 0 : int(row, 0);
}

/** Runs every migration after `from`, each in its own transaction. */
export function migrate(db: SqlDatabase, from: number): void {
  for (const m of MIGRATIONS) {
    if (m.version <= from) continue;
    db.exec('BEGIN');
    try {
      db.exec(m.sql);
      db.run('INSERT INTO migrations (version, name) VALUES (?, ?)', [m.version, m.name]);
      db.exec(`PRAGMA user_version = ${m.version}`);
      db.exec('COMMIT');
    } catch (e) {
      db.exec('ROLLBACK');
      throw e;
    }
  }
}

export function createDatabase(sql: SqlJsStatic): SqlDatabase {
  const db = new SqlDatabase(new sql.Database());
  db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
  db.exec(MIGRATIONS_TABLE_SQL);
  migrate(db, 0);
  return db;
}

/** Opens an exported image, checks it is a sound raftlight database, and migrates it forward. */
export function openImage(sql: SqlJsStatic, bytes: Uint8Array): SqlDatabase {
  if (bytes.length < 512 || new TextDecoder('latin1').decode(bytes.subarray(0, 16)) !== SQLITE_HEADER) {
    throw new StateImageError('IMAGE_INVALID', `state image is not an SQLite database (${bytes.length} bytes, header mismatch)`);
  }
  let db: SqlDatabase;
  try {
    db = new SqlDatabase(new sql.Database(bytes));
  } catch (e) {
    throw new StateImageError('IMAGE_INVALID', `state image cannot be opened: ${(e as Error).message}`);
  }
  try {
    checkImage(db);
    migrate(db, pragmaInt(db, 'user_version'));
    return db;
  } catch (e) {
    db.close();
    if (e instanceof StateImageError) throw e;
    throw new StateImageError('IMAGE_INVALID', `state image is damaged: ${(e as Error).message}`);
  }
}

function checkImage(db: SqlDatabase): void {
  const appId = pragmaInt(db, 'application_id');
  if (appId !== APPLICATION_ID) {
    throw new StateImageError('IMAGE_INVALID', `not a raftlight state database (application_id ${appId}, expected ${APPLICATION_ID})`);
  }
  const version = pragmaInt(db, 'user_version');
  if (version > SCHEMA_VERSION) {
    throw new StateImageError('IMAGE_TOO_NEW', `state image has schema version ${version}; this build knows up to ${SCHEMA_VERSION}: upgrade this board`);
  }
  if (version < 1) throw new StateImageError('IMAGE_INVALID', `state image has no schema (user_version ${version})`);
  const integrity = db.all('PRAGMA integrity_check').map((r) => text(r, 0));
  if (integrity.length !== 1 || integrity[0] !== 'ok') {
    throw new StateImageError('IMAGE_INVALID', `state image fails the integrity check: ${integrity.slice(0, 5).join('; ')}`);
  }
  const dangling = db.all('PRAGMA foreign_key_check');
  if (dangling.length > 0) {
    throw new StateImageError('IMAGE_INVALID', `state image has ${dangling.length} rows with a missing reference (first in table ${text(dangling[0]!, 0)})`);
  }
  const recorded = db.all('SELECT version FROM migrations ORDER BY version').map((r) => int(r, 0));
  const expected = MIGRATIONS.filter((m) => m.version <= version).map((m) => m.version);
  if (recorded.join(',') !== expected.join(',')) {
    throw new StateImageError('IMAGE_INVALID', `state image's migrations [${recorded.join(', ')}] do not match its schema version ${version}`);
  }
}
