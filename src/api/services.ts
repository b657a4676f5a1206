// What the API needs from a running board. The board runtime implements it;
// tests can run the API against a real one-voter board.
import type { CommandEnvelope } from '../model/index.ts';
import type { StateMachine } from '../state/index.ts';
import type { Outcome } from '../state/results.ts';

export type MemberRole = 'voter' | 'external';

export interface MemberRequest {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly role: MemberRole;
}

/** A board asking to join, with the token that admits it (POST /v1/join). */
export interface JoinRequest {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** SHA-256 (hex) of the joining board's member secret. */
  readonly verifier: string;
  readonly token: string;
}

export interface JoinAnswer {
  readonly id: string;
  /** The other members' credential digests, so the new board recognises them. */
  readonly members: ReadonlyArray<{ readonly id: string; readonly verifier: string }>;
  readonly revision: number;
}

export interface JoinTokenAnswer {
  /** Shown once: only its digest is stored. */
  readonly token: string;
  readonly expiresAt: string;
  readonly revision: number;
}

export interface BoardServices {
  readonly id: string;
  readonly cluster: string;
  /** The current state machine (it is replaced when a snapshot is installed). */
  state(): StateMachine;
  /**
   * Proposes a command and resolves with its outcome once this board has
   * applied it. Rejects with ApiError NO_LEADER, BACKPRESSURE or TIMEOUT when
   * it cannot be committed, instead of waiting forever.
   */
  propose(envelope: CommandEnvelope): Promise<Outcome>;
  /** Resolves once this board has applied everything committed when it was called (ReadIndex). */
  linearizableBarrier(): Promise<void>;
  status(): Record<string, unknown>;
  peers(): Record<string, unknown>;
  /** A consistent copy of the SQLite database (a file `sqlite3` opens). */
  exportDatabase(): Uint8Array;
  changeMember(op: 'add' | 'promote' | 'demote' | 'remove', request: MemberRequest | { id: string }): Promise<Record<string, unknown>>;
  /** Issues a join token valid for ttlMs (write access is checked by the caller). */
  issueJoinToken?(ttlMs: number): Promise<JoinTokenAnswer>;
  /** Admits a board that presents a join token. */
  join?(request: JoinRequest): Promise<JoinAnswer>;
}
