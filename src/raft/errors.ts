// Errors the core raises to its callers, each with a stable code.
import { RaftError } from './types.ts';

export { RaftError };

/** Stable error codes; operators and API clients match on these. */
export const RaftErrorCode = {
  proposalDropped: 'RAFT_PROPOSAL_DROPPED',
  tooManyUncommitted: 'RAFT_TOO_MANY_UNCOMMITTED',
  confChangePending: 'RAFT_CONF_CHANGE_PENDING',
  invalidConfChange: 'RAFT_INVALID_CONF_CHANGE',
  invalidConfig: 'RAFT_INVALID_CONFIG',
  readyNotAdvanced: 'RAFT_READY_NOT_ADVANCED',
  invariant: 'RAFT_INVARIANT',
  transferRejected: 'RAFT_TRANSFER_REJECTED',
} as const;

export function proposalDropped(reason: string): RaftError {
  return new RaftError(RaftErrorCode.proposalDropped, `proposal dropped: ${reason}`);
}

/** A broken internal rule: the log or the state would otherwise be corrupted. */
export function invariant(message: string): RaftError {
  return new RaftError(RaftErrorCode.invariant, `raft invariant violated: ${message}`);
}
