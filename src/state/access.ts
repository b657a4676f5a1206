// Who may speak Raft as a member, and who may join: applied inside the entry's
// transaction like any command, from values the command carries (the proposer's
// clock included), so every board decides the same way.
import { MAX_JOIN_TOKENS, type AccessCommand, type IssueJoinTokenCommand, type JoinCommand } from '../model/index.ts';
import { int, text, type SqlDatabase } from './database.ts';
import { ApplyRejection } from './errors.ts';

export interface MemberCredential {
  readonly id: string;
  readonly verifier: string;
  /** Index of the change that made the board a voter; null while it is not one. */
  readonly voterSince: number | null;
}

export function applyAccessCommand(db: SqlDatabase, command: AccessCommand, index: number): void {
  pruneExpired(db, command.nowMs);
  if (command.type === 'issue-join-token') issueJoinToken(db, command, index);
  else join(db, command, index);
}

function pruneExpired(db: SqlDatabase, nowMs: number): void {
  db.run('DELETE FROM join_tokens WHERE expires_at_ms < ?', [nowMs]);
  db.run('DELETE FROM member_credentials WHERE pending_until_ms IS NOT NULL AND pending_until_ms < ?', [nowMs]);
}

function issueJoinToken(db: SqlDatabase, c: IssueJoinTokenCommand, index: number): void {
  const outstanding = int(db.one('SELECT count(*) FROM join_tokens')!, 0);
  if (outstanding >= MAX_JOIN_TOKENS) {
    throw new ApplyRejection({ code: 'LIMIT_REACHED', message: `${outstanding} join tokens are outstanding (limit ${MAX_JOIN_TOKENS}); wait until some are used or expire` });
  }
  if (db.one('SELECT 1 FROM join_tokens WHERE token_digest = ?', [c.tokenDigest]) !== null) {
    throw new ApplyRejection({ code: 'ALREADY_EXISTS', message: 'this join token was issued already' });
  }
  db.run('INSERT INTO join_tokens (token_digest, expires_at_ms, revision) VALUES (?, ?, ?)', [c.tokenDigest, c.expiresAtMs, index]);
}

function join(db: SqlDatabase, c: JoinCommand, index: number): void {
  const token = db.one('SELECT expires_at_ms, used_by, used_verifier FROM join_tokens WHERE token_digest = ?', [c.tokenDigest]);
  // Expired tokens were pruned above: a missing row is unknown or expired, never telling which.
  if (token === null) throw new ApplyRejection({ code: 'JOIN_REFUSED', message: 'the join token is unknown or expired' });
  const usedBy = token[1] === null ? null : text(token, 1);
  const usedVerifier = token[2] === null ? null : text(token, 2);
  if (usedBy !== null && (usedBy !== c.board || usedVerifier !== c.verifier)) {
    throw new ApplyRejection({ code: 'JOIN_REFUSED', message: 'the join token was used by another board' });
  }
  const existing = db.one('SELECT verifier, pending_until_ms FROM member_credentials WHERE id = ?', [c.board]);
  if (existing !== null && text(existing, 0) !== c.verifier) {
    const pending = existing[1] !== null;
    throw new ApplyRejection({
      code: 'ALREADY_EXISTS',
      message: pending
        ? `another board is joining as ${c.board}; choose another id`
        : `board ${c.board} is a member already; remove it first (DELETE /v1/members/${c.board}) to let a new board take its id`,
    });
  }
  const expiresAt = int(token, 0);
  db.run('UPDATE join_tokens SET used_by = ?, used_verifier = ? WHERE token_digest = ?', [c.board, c.verifier, c.tokenDigest]);
  if (existing === null) {
    db.run('INSERT INTO member_credentials (id, verifier, revision, pending_until_ms) VALUES (?, ?, ?, ?)', [c.board, c.verifier, index, expiresAt]);
  }
}

/** Inside a configuration change: members' credentials stop being pending, removed members lose theirs. */
export function updateCredentialsForMembership(db: SqlDatabase, index: number, previous: readonly string[], members: readonly string[], voters: readonly string[]): void {
  const now = new Set(members);
  for (const id of previous) if (!now.has(id)) db.run('DELETE FROM member_credentials WHERE id = ?', [id]);
  for (const id of members) {
    db.run('UPDATE member_credentials SET pending_until_ms = NULL WHERE id = ? AND pending_until_ms IS NOT NULL', [id]);
    if (voters.includes(id)) db.run('UPDATE member_credentials SET voter_since = ? WHERE id = ? AND voter_since IS NULL', [index, id]);
    else db.run('UPDATE member_credentials SET voter_since = NULL WHERE id = ?', [id]);
  }
}

/** The founding boards' credentials, written once into the bootstrap state. */
export function seedCredentials(db: SqlDatabase, verifiers: Readonly<Record<string, string>>, voters: readonly string[]): void {
  for (const id of Object.keys(verifiers).sort()) {
    db.run('INSERT INTO member_credentials (id, verifier, revision, voter_since) VALUES (?, ?, 1, ?)', [id, verifiers[id]!, voters.includes(id) ? 1 : null]);
  }
}

/** Credentials of current members (pending joiners excluded). */
export function readCredentials(db: SqlDatabase): MemberCredential[] {
  return db.all('SELECT id, verifier, voter_since FROM member_credentials WHERE pending_until_ms IS NULL ORDER BY id')
    .map((r) => ({ id: text(r, 0), verifier: text(r, 1), voterSince: r[2] === null ? null : int(r, 2) }));
}

/** Whether a join token digest can still be spent by this board (edge check before proposing). */
export function joinTokenUsable(db: SqlDatabase, tokenDigest: string, board: string, verifier: string, nowMs: number): boolean {
  const row = db.one('SELECT expires_at_ms, used_by, used_verifier FROM join_tokens WHERE token_digest = ?', [tokenDigest]);
  if (row === null || int(row, 0) < nowMs) return false;
  return row[1] === null || (text(row, 1) === board && text(row, 2) === verifier);
}
