// Commands that change who may join the installation. The API builds them (never
// clients): the proposer puts its clock in `nowMs`, so expiry is decided the
// same way on every board when the command is applied.

/** Join tokens waiting to be used or to expire; one more is refused (bounds the table). */
export const MAX_JOIN_TOKENS = 256;
/** How long a join token lives unless the issuer says otherwise. */
export const DEFAULT_JOIN_TOKEN_TTL_MS = 3600 * 1000;
/** Longest a join token may live. */
export const MAX_JOIN_TOKEN_TTL_MS = 7 * 24 * 3600 * 1000;
/** A SHA-256 digest in lower-case hex: what the state keeps of a secret or a token. */
export const DIGEST_PATTERN = /^[0-9a-f]{64}$/;
/** Board ids as the Raft transport names them (MQTT-topic safe). */
/** A member id: a board id, or `<board>.<suffix>` for a later incarnation of that board (src/board/incarnation.ts). */
export const BOARD_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}(\.[a-z0-9]{6})?$/;

/** Records a join token (only its digest) that admits one board until expiresAtMs. */
export interface IssueJoinTokenCommand {
  readonly type: 'issue-join-token';
  readonly tokenDigest: string;
  readonly expiresAtMs: number;
  readonly nowMs: number;
}

/** Spends a join token: `board` may log in as a member with the secret whose digest is `verifier`. */
export interface JoinCommand {
  readonly type: 'join';
  readonly board: string;
  readonly verifier: string;
  readonly tokenDigest: string;
  readonly nowMs: number;
}

export type AccessCommand = IssueJoinTokenCommand | JoinCommand;

export function isAccessCommand(c: { readonly type: string }): c is AccessCommand {
  return c.type === 'issue-join-token' || c.type === 'join';
}
