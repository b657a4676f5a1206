// A thin layer over a sql.js Database: cached prepared statements, typed rows,
// and the pragmas every connection needs.
import type { Database, SqlValue, Statement } from 'sql.js';

export type Row = readonly SqlValue[];
export type Params = readonly SqlValue[];

/**
 * Cap on cached statements. Every SQL text here is a constant in src/state, so
 * the cache holds at most one statement per constant (~50); the cap only
 * guards against a future caller passing generated SQL.
 */
const MAX_CACHED_STATEMENTS = 128;

export class SqlDatabase {
  private readonly statements = new Map<string, Statement>();

  constructor(readonly db: Database) {
    this.applyPragmas();
  }

  /** Connection settings; not stored in the image, so re-applied after open and export. */
  applyPragmas(): void {
    this.db.run('PRAGMA foreign_keys = ON');
    // The file lives in memory and durability comes from the Raft log and
    // snapshots: a rollback journal in memory and no syncs keep ROLLBACK and
    // savepoints working without file traffic through Emscripten's MEMFS.
    this.db.run('PRAGMA journal_mode = MEMORY');
    this.db.run('PRAGMA synchronous = OFF');
    // This connection is the file's only user: it keeps its lock, so no
    // transaction (an entry batch, a lone read) begins by locking the file and
    // reading its header again to see whether another process changed it.
    this.db.run('PRAGMA locking_mode = EXCLUSIVE');
    // The database file already lives in memory (Emscripten's MEMFS): SQLite's
    // page cache only copies its pages into the WASM heap, which never gives
    // memory back. 512 KiB instead of the default 2 MiB: 1.6 MiB less WASM
    // memory on a board under bursts, with no measurable cost per write.
    this.db.run('PRAGMA cache_size = -512');
  }

  private statement(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (stmt === undefined) {
      if (this.statements.size >= MAX_CACHED_STATEMENTS) this.freeStatements();
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  all(sql: string, params: Params = []): Row[] {
    const stmt = this.statement(sql);
    try {
      stmt.bind(params as SqlValue[]);
      const rows: Row[] = [];
      while (stmt.step()) rows.push(stmt.get());
      return rows;
    } finally {
      stmt.reset();
    }
  }

  one(sql: string, params: Params = []): Row | null {
    const stmt = this.statement(sql);
    try {
      stmt.bind(params as SqlValue[]);
      return stmt.step() ? stmt.get() : null;
    } finally {
      stmt.reset();
    }
  }

  run(sql: string, params: Params = []): void {
    const stmt = this.statement(sql);
    try {
      stmt.run(params as SqlValue[]);
    } finally {
      stmt.reset();
    }
  }

  /** Several statements, no parameters (schema, transactions). */
  exec(sql: string): void {
    this.db.exec(sql);
  }

  /**
   * Frees every cached statement; they are prepared again on next use. Done
   * before `export()`: older sql.js versions free statements and reopen the
   * database there (dropping pragmas), newer ones do not; this way both are safe.
   */
  freeStatements(): void {
    for (const stmt of this.statements.values()) stmt.free();
    this.statements.clear();
  }

  export(): Uint8Array {
    this.freeStatements();
    const bytes = this.db.export();
    this.applyPragmas();
    return bytes;
  }

  close(): void {
    this.freeStatements();
    this.db.close();
  }
}

export function text(row: Row, i: number): string {
  const v = row[i];
  if (typeof v !== 'string') throw new TypeError(`column ${i}: expected text, got ${typeof v}`);
  return v;
}

export function textOrNull(row: Row, i: number): string | null {
  const v = row[i];
  return v === null ? null : text(row, i);
}

export function int(row: Row, i: number): number {
  const v = row[i];
  if (typeof v !== 'number') throw new TypeError(`column ${i}: expected integer, got ${typeof v}`);
  return v;
}
