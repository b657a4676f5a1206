// What a board says when it stops for good: one line with the error's stable
// code, where it happened, and what the operator (or the supervisor) should
// do. docs/operations.md has the same table.
import { RaftError } from '../raft/index.ts';
import { StorageError, WalCorruptError, WalWriteError } from '../storage/errors.ts';
import { StateMachineError } from '../state/errors.ts';

export interface FatalReport {
  readonly code: string;
  readonly message: string;
  /** The component (and file, for storage) where it happened. */
  readonly where: string;
  /** What to do about it. */
  readonly action: string;
}

const RESTART = 'the supervisor restarts the board';

const ACTIONS: Readonly<Record<string, string>> = {
  WAL_WRITE_FAILED: `the disk refused a write or an fsync (full, failing or read-only): nothing unsafe was acknowledged; free space or replace the disk, then ${RESTART}`,
  WAL_CORRUPT: `${RESTART}: it sets the damaged log aside and rejoins as a new incarnation, brought up to date by the others`,
  WAL_SEGMENT_MISSING: `${RESTART}: it sets the damaged log aside and rejoins as a new incarnation`,
  SNAPSHOT_CORRUPT: `${RESTART}: it falls back to an older snapshot, or rejoins as a new incarnation`,
  SNAPSHOT_WRITE_FAILED: `the disk refused a snapshot (full, failing or read-only): nothing unsafe was acknowledged; free space or repair the disk, then ${RESTART}`,
  LOG_INVALID_APPEND: `an internal error between the core and the log (a bug: report it with this log); ${RESTART}`,
  WAL_BUFFER_FULL: `the disk is far slower than the writes (64 MiB waiting); check the disk; ${RESTART}`,
  WAL_CLOSED: `a write after the log was closed (a bug: report it with this log); ${RESTART}`,
  RAFT_INVARIANT: `the Raft core found a rule broken (a bug or damaged state: report it with this log); ${RESTART}`,
  STATE_MACHINE_FAILED: `the configuration database failed (a bug or exhausted memory: report it with this log); ${RESTART}`,
  NEW_INCARNATION: `${RESTART}: it comes back under a new member id, is admitted again with its join token, and autopilot gives it the old member's seat`,
  INTERNAL: `an unexpected error (a bug: report it with this log); ${RESTART}`,
};

export function describeFatal(err: Error): FatalReport {
  let code = 'INTERNAL';
  let where = 'board';
  if (err instanceof WalCorruptError) {
    code = err.code;
    where = `${err.file} at byte ${err.offset}`;
  } else if (err instanceof WalWriteError) {
    code = err.code;
    where = err.file;
  } else if (err instanceof StorageError) {
    code = err.code;
    where = 'storage';
  } else if (err instanceof RaftError) {
    code = err.code;
    where = 'raft core';
  } else if ((err as { code?: unknown }).code === 'NEW_INCARNATION') {
    code = 'NEW_INCARNATION';
    where = 'join';
  } else if (err instanceof StateMachineError) {
    code = 'STATE_MACHINE_FAILED';
    where = 'state machine';
  }
  return { code, message: err.message, where, action: ACTIONS[code] ?? ACTIONS['INTERNAL']! };
}
