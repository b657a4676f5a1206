// The replicated state machine: applies committed log entries to the SQLite
// database, deterministically and transactionally, and answers queries.
import { createHash } from 'node:crypto';
import { CommandDecodeError, ENCODING_VERSION, decodeCommand, encodeCommand, flattenCommand, isAccessCommand } from '../model/index.ts';
import type { CommandEnvelope, ObjectKind, ObjectValues } from '../model/index.ts';
import { applyObjectCommand } from './apply-command.ts';
import { int, text } from './database.ts';
import type { SqlDatabase } from './database.ts';
import { ApplyRejection, StateImageError, StateMachineError } from './errors.ts';
import { createDatabase, openImage } from './migrate.ts';
import { changesSince, countAll, listObjects, readMeta } from './queries.ts';
import type { ListQuery } from './queries.ts';
import type { ApplyError, ApplyResult, Change, ChangesPage, ListPage, ObjectCounts, Outcome, StoredObject } from './results.ts';
import { readObject } from './rows.ts';
import { readConfState, readMembers, writeMembership } from './membership.ts';
import type { Member } from './membership.ts';
import type { ConfState } from '../raft/types.ts';
import { loadSqlJs } from './sqljs.ts';
import { applyAccessCommand, joinTokenUsable, readCredentials, seedCredentials, type MemberCredential } from './access.ts';

/** Default cap on remembered request ids (exactly-once window). */
export const DEFAULT_MAX_REQUESTS = 10_000;
/** Default cap on kept change records ("changes since" window). */
export const DEFAULT_MAX_CHANGES = 10_000;

export interface StateMachineOptions {
  /** sql.js's WASM bytes (the bundled executable embeds them); default: read from node_modules. */
  readonly wasmBinary?: Uint8Array;
  /**
   * Request ids remembered for exactly-once retries (the oldest are forgotten first).
   * Stored in the database at creation: every board of a cluster must use the same value.
   */
  readonly maxRequests?: number;
  /** Change records kept for "changes since revision"; stored like maxRequests. */
  readonly maxChanges?: number;
}

export interface RestoreOptions {
  readonly wasmBinary?: Uint8Array;
}

export class StateMachine {
  private closed = false;
  private applied: number;
  /** Inside batch(): entries use savepoints within the batch's one transaction. */
  private inBatch = false;
  // Fixed at creation and stored in the image, so every board prunes alike.
  private readonly maxRequests: number;
  private readonly maxChanges: number;

  private constructor(private readonly db: SqlDatabase) {
    this.applied = readMeta(db, 'applied_index');
    this.maxRequests = readMeta(db, 'max_requests');
    this.maxChanges = readMeta(db, 'max_changes');
  }

  /** An empty state machine at applied index 0. */
  static async create(options: StateMachineOptions = {}): Promise<StateMachine> {
    const maxRequests = options.maxRequests ?? DEFAULT_MAX_REQUESTS;
    const maxChanges = options.maxChanges ?? DEFAULT_MAX_CHANGES;
    if (!Number.isSafeInteger(maxRequests) || maxRequests < 1) throw new RangeError(`maxRequests must be a positive integer (got ${maxRequests})`);
    if (!Number.isSafeInteger(maxChanges) || maxChanges < 1) throw new RangeError(`maxChanges must be a positive integer (got ${maxChanges})`);
    const db = createDatabase(await loadSqlJs(options.wasmBinary));
    db.run("INSERT INTO meta (key, value) VALUES ('max_requests', ?), ('max_changes', ?)", [maxRequests, maxChanges]);
    return new StateMachine(db);
  }

  /** A state machine from an `export()` image; throws StateImageError if the image is not sound. */
  static async restore(bytes: Uint8Array, options: RestoreOptions = {}): Promise<StateMachine> {
    const db = openImage(await loadSqlJs(options.wasmBinary), bytes);
    try {
      return new StateMachine(db);
    } catch (e) {
      db.close();
      throw new StateImageError('IMAGE_INVALID', `state image lacks its bookkeeping: ${(e as Error).message}`);
    }
  }

  appliedIndex(): number {
    return this.applied;
  }

  /**
   * Applies the committed entry at `index` (must be appliedIndex() + 1). An
   * empty payload is the leader's no-op. Never throws for bad commands: they
   * come back as a rejected outcome, and the index advances either way.
   */
  apply(index: number, data: Uint8Array): ApplyResult {
    this.checkNext(index);
    if (data.length === 0) {
      this.applyNoop(index);
      return { index, requestId: null, outcome: { ok: true, revision: index }, duplicate: false, changes: [] };
    }
    let envelope: CommandEnvelope;
    try {
      envelope = decodeCommand(data);
    } catch (e) {
      if (!(e instanceof CommandDecodeError)) throw e;
      this.applyNoop(index);
      return { index, requestId: null, outcome: { ok: false, error: { code: 'DECODE_FAILED', message: e.message, fields: e.errors } }, duplicate: false, changes: [] };
    }
    return this.transaction(index, () => this.applyEnvelope(index, envelope, entryFingerprint(data, envelope)));
  }

  /** Advances the applied index for an entry without a command (no-op, configuration change). */
  applyNoop(index: number): void {
    this.checkNext(index);
    this.transaction(index, () => undefined);
  }

  /**
   * Applies a conf-change entry: stores the resulting configuration and the
   * member addresses its context carries (JSON `{ addresses: { id: { host, port } } }`).
   */
  applyMembership(index: number, confState: ConfState, context: string | undefined): void {
    this.checkNext(index);
    this.transaction(index, () => writeMembership(this.db, index, confState, context));
  }

  private applyEnvelope(index: number, envelope: CommandEnvelope, fingerprint: string): ApplyResult {
    const { requestId } = envelope;
    const seen = this.db.one('SELECT outcome, fingerprint FROM requests WHERE request_id = ?', [requestId]);
    if (seen !== null) {
      // Images from before fingerprints were kept have '' and match anything.
      const stored = text(seen, 1);
      if (stored !== '' && stored !== fingerprint) {
        const outcome: Outcome = { ok: false, error: { code: 'REQUEST_ID_REUSED', message: `request id ${requestId} was used for a different command` } };
        return { index, requestId, outcome, duplicate: true, changes: [] };
      }
      return { index, requestId, outcome: JSON.parse(text(seen, 0)) as Outcome, duplicate: true, changes: [] };
    }
    const command = envelope.command;
    const commands = flattenCommand(command);
    let changes: Change[] = [];
    let outcome: Outcome;
    let position = 0;
    try {
      if (isAccessCommand(command)) applyAccessCommand(this.db, command, index);
      for (; position < commands.length; position++) changes.push(applyObjectCommand(this.db, commands[position]!, index));
      outcome = { ok: true, revision: index };
    } catch (e) {
      // Undo every command of the entry; the outcome and the index are still recorded below.
      this.db.run('ROLLBACK TO entry');
      const failed = commands[position];
      const context = failed === undefined ? {} : { commandIndex: position, kind: failed.kind, id: failed.id };
      outcome = { ok: false, error: { ...rejectionOf(e), ...context } };
      changes = [];
    }
    for (const c of changes) this.db.run('INSERT INTO changes (revision, kind, id, op) VALUES (?, ?, ?, ?)', [index, c.kind, c.id, c.op]);
    this.db.run('INSERT INTO requests (request_id, revision, outcome, fingerprint) VALUES (?, ?, ?, ?)', [requestId, index, JSON.stringify(outcome), fingerprint]);
    return { index, requestId, outcome, duplicate: false, changes };
  }

  /** Keeps the newest max_requests request ids and max_changes change records. */
  private prune(): void {
    this.db.run('DELETE FROM requests WHERE seq <= (SELECT max(seq) FROM requests) - ?', [this.maxRequests]);
    this.pruneChanges();
  }

  /** Keeps the newest max_changes records, dropping whole revisions; remembers the newest dropped one. */
  private pruneChanges(): void {
    const edge = this.db.one('SELECT revision FROM changes WHERE seq <= (SELECT max(seq) FROM changes) - ? ORDER BY seq DESC LIMIT 1', [this.maxChanges]);
    if (edge === null) return;
    const floor = int(edge, 0);
    this.db.run('DELETE FROM changes WHERE revision <= ?', [floor]);
    this.db.run("UPDATE meta SET value = ? WHERE key = 'changes_floor'", [floor]);
  }

  /**
   * Applies several entries (the calls `body` makes) in one SQLite
   * transaction: each entry is still all-or-nothing (a savepoint), but the
   * pages they share are written once, not once per entry. If an entry fails
   * unexpectedly, the entries before it stay applied and the error is rethrown.
   */
  batch<T>(body: () => T): T {
    this.checkOpen();
    if (this.inBatch) return body();
    this.db.run('BEGIN');
    this.inBatch = true;
    try {
      return body();
    } finally {
      this.inBatch = false;
      // Entries inside the batch skip their own index update: one for the batch.
      this.db.run("UPDATE meta SET value = ? WHERE key = 'applied_index'", [this.applied]);
      this.db.run('COMMIT');
    }
  }

  /** Runs `body` and records `index` as applied, atomically; any unexpected error undoes both. */
  private transaction<T>(index: number, body: () => T): T {
    // A savepoint outside a transaction begins one; its release commits. Cached
    // statements: no SQL parsing per entry.
    this.db.run('SAVEPOINT entry');
    try {
      const result = body();
      // Every PRUNE_EVERY indexes (the same ones on every board, whatever the entry is),
      // not every entry: the windows hold up to PRUNE_EVERY entries more than their caps.
      if (index % PRUNE_EVERY === 0) this.prune();
      if (!this.inBatch) this.db.run("UPDATE meta SET value = ? WHERE key = 'applied_index'", [index]);
      this.db.run('RELEASE entry');
      this.applied = index;
      return result;
    } catch (e) {
      this.db.exec('ROLLBACK TO entry; RELEASE entry');
      throw e;
    }
  }

  private checkNext(index: number): void {
    if (this.closed) throw new StateMachineError('CLOSED', 'state machine is closed');
    if (index !== this.applied + 1) {
      throw new StateMachineError('INDEX_OUT_OF_ORDER', `entry ${index} applied after ${this.applied}: entries must be applied in order, without gaps`);
    }
  }

  // ---- Queries ----

  get<K extends ObjectKind>(kind: K, id: string): StoredObject<ObjectValues[K]> | null {
    this.checkOpen();
    return readObject(this.db, kind, id);
  }

  list<K extends ObjectKind>(kind: K, query: ListQuery = {}): ListPage<ObjectValues[K]> {
    this.checkOpen();
    return listObjects(this.db, kind, query);
  }

  /** Changes with revision > `revision`, oldest first; StateQueryError COMPACTED if they are no longer all kept. */
  changesSince(revision: number, limit?: number): ChangesPage {
    this.checkOpen();
    return changesSince(this.db, revision, limit);
  }

  /** The configuration as of the applied index; null before the first conf-change entry. */
  confState(): ConfState | null {
    this.checkOpen();
    return readConfState(this.db);
  }

  /** The founding boards' member credentials, once, right after the bootstrap configuration. */
  seedCredentials(verifiers: Readonly<Record<string, string>>, voters: readonly string[]): void {
    this.checkOpen();
    if (this.applied !== 1 || readCredentials(this.db).length > 0) throw new StateMachineError('CLOSED', 'credentials are seeded only into a new bootstrap state');
    seedCredentials(this.db, verifiers, voters);
  }

  /** Member credentials (digests of members' secrets), sorted by board id. */
  credentials(): MemberCredential[] {
    this.checkOpen();
    return readCredentials(this.db);
  }

  /** Whether `board` could spend the join token with this digest now (checked again when applied). */
  joinTokenUsable(tokenDigest: string, board: string, verifier: string, nowMs: number): boolean {
    this.checkOpen();
    return joinTokenUsable(this.db, tokenDigest, board, verifier, nowMs);
  }

  /** The fingerprint remembered with a request id, or null when the id is not remembered. */
  requestFingerprint(requestId: string): string | null {
    this.checkOpen();
    const row = this.db.one('SELECT fingerprint FROM requests WHERE request_id = ?', [requestId]);
    return row === null ? null : text(row, 0);
  }

  /** Current members (sorted by id) with their addresses where known. */
  members(): Member[] {
    this.checkOpen();
    return readMembers(this.db);
  }

  counts(): ObjectCounts {
    this.checkOpen();
    return countAll(this.db);
  }

  /** The database image: a snapshot's data. Applies continue normally afterwards. */
  export(): Uint8Array {
    this.checkOpen();
    return this.db.export();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new StateMachineError('CLOSED', 'state machine is closed');
  }
}

/**
 * What a request id is remembered with: the digest of its command's canonical
 * bytes, as encodeCommand writes them with the request id "x".
 */
export function commandFingerprint(envelope: CommandEnvelope): string {
  return createHash('sha256').update(encodeCommand({ requestId: 'x', command: envelope.command }, Number.MAX_SAFE_INTEGER)).digest('hex').slice(0, 32);
}

const COMMAND_HEAD = Buffer.from('{"command":');
const FINGERPRINT_TAIL = Buffer.from(',"requestId":"x","v":1}');

/**
 * commandFingerprint from the entry's bytes as they are in the log, without
 * encoding the command again. Canonical bytes (what every proposer writes) are
 * `{"command":C,"requestId":"ID","v":1}` (keys sorted, request ids need no
 * escaping), so the fingerprint's bytes are C's bytes with the request id
 * replaced. Anything else is encoded again, as before. A function of the bytes
 * alone: every board gets the same fingerprint for the same entry.
 */
export function entryFingerprint(data: Uint8Array, envelope: CommandEnvelope): string {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const tail = `,"requestId":${JSON.stringify(envelope.requestId)},"v":${ENCODING_VERSION}}`;
  const commandEnd = bytes.length - tail.length;
  if (commandEnd > COMMAND_HEAD.length && bytes.subarray(0, COMMAND_HEAD.length).equals(COMMAND_HEAD) && bytes.toString('latin1', commandEnd) === tail) {
    return createHash('sha256').update(bytes.subarray(0, commandEnd)).update(FINGERPRINT_TAIL).digest('hex').slice(0, 32);
  }
  return commandFingerprint(envelope);
}

/** Request ids and change records are pruned at every index divisible by this. */
const PRUNE_EVERY = 64;

function rejectionOf(e: unknown): ApplyError {
  if (e instanceof ApplyRejection) return e.error;
  // sql.js reports SQLite errors as plain Errors; a constraint failure is deterministic, anything else is not.
  if (e instanceof Error && /constraint failed/i.test(e.message)) return { code: 'CONSTRAINT', message: e.message };
  throw e;
}
