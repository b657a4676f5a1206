// Errors of the state machine. `code` strings are stable.
import type { ApplyError } from './results.ts';

/** Internal: thrown while applying a command, turned into a rejected Outcome. */
export class ApplyRejection extends Error {
  constructor(readonly error: ApplyError) {
    super(error.message);
    this.name = 'ApplyRejection';
  }
}

/** A query that cannot be answered as asked. */
export class StateQueryError extends Error {
  constructor(
    readonly code: 'COMPACTED' | 'INVALID_QUERY',
    message: string,
  ) {
    super(message);
    this.name = 'StateQueryError';
  }
}

/** A snapshot image that cannot be restored. */
export class StateImageError extends Error {
  constructor(
    readonly code: 'IMAGE_INVALID' | 'IMAGE_TOO_NEW',
    message: string,
  ) {
    super(message);
    this.name = 'StateImageError';
  }
}

/** Misuse by the caller (entries out of order, closed machine): the board must stop. */
export class StateMachineError extends Error {
  constructor(
    readonly code: 'INDEX_OUT_OF_ORDER' | 'CLOSED',
    message: string,
  ) {
    super(message);
    this.name = 'StateMachineError';
  }
}
