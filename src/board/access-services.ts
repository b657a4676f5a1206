// The API's access operations on a board: join tokens, admitting a joining
// board, and the rule that only voters take writes (an external board's
// forwarded proposals are dropped by the leader, so it refuses at once).
import { randomUUID } from 'node:crypto';
import { BOARD_ID_PATTERN, DIGEST_PATTERN, MAX_JOIN_TOKEN_TTL_MS, type CommandEnvelope } from '../model/index.ts';
import { ApiError, invalid, statusOfCode } from '../api/errors.ts';
import type { BoardServices, JoinAnswer, JoinRequest, JoinTokenAnswer } from '../api/services.ts';
import type { Outcome } from '../state/results.ts';
import type { RaftLoop } from './raft-loop.ts';
import { digestOf, newSecret } from './credentials-file.ts';

export interface AccessServicesDeps {
  readonly id: string;
  readonly loop: RaftLoop;
  /** The proposer's clock, written into access commands. */
  readonly nowMs: () => number;
}

const HOST_PATTERN = /^[A-Za-z0-9.:_[\]%-]{1,253}$/;

function isVoter(loop: RaftLoop, id: string): boolean {
  const cs = loop.confState;
  return cs.voters.includes(id) || cs.votersOutgoing.includes(id);
}

/** Wraps a board's services with the access operations and the voters-only write rule. */
export function withAccessServices(base: BoardServices, d: AccessServicesDeps): BoardServices {
  const propose = (envelope: CommandEnvelope): Promise<Outcome> => {
    if (!isVoter(d.loop, d.id)) {
      const voters = d.loop.confState.voters.join(', ');
      return Promise.reject(new ApiError('NOT_A_VOTER', 421, `${d.id} is not a voter and takes no writes; send them to a voter (${voters || 'none known yet'})`));
    }
    return base.propose(envelope);
  };
  const settle = (outcome: Outcome): number => {
    if (outcome.ok) return outcome.revision;
    const { code, message, ...rest } = outcome.error;
    throw new ApiError(code, statusOfCode(code), message, rest);
  };

  async function issueJoinToken(ttlMs: number): Promise<JoinTokenAnswer> {
    if (!Number.isInteger(ttlMs) || ttlMs < 60_000 || ttlMs > MAX_JOIN_TOKEN_TTL_MS) {
      throw invalid(`ttlSeconds must be from 60 to ${MAX_JOIN_TOKEN_TTL_MS / 1000}`);
    }
    const token = newSecret();
    const nowMs = d.nowMs();
    const expiresAtMs = nowMs + ttlMs;
    const revision = settle(await propose({ requestId: `token-${randomUUID()}`, command: { type: 'issue-join-token', tokenDigest: digestOf(token), expiresAtMs, nowMs } }));
    return { token, expiresAt: new Date(expiresAtMs).toISOString(), revision };
  }

  async function join(r: JoinRequest): Promise<JoinAnswer> {
    if (!BOARD_ID_PATTERN.test(r.id)) throw invalid(`id must match ${BOARD_ID_PATTERN}`);
    if (!HOST_PATTERN.test(r.host)) throw invalid('host must be a host name or an address');
    if (!Number.isInteger(r.port) || r.port < 1 || r.port > 65535) throw invalid('port must be 1..65535');
    if (!DIGEST_PATTERN.test(r.verifier)) throw invalid('verifier must be the SHA-256 (hex) of the board\'s member secret');
    if (r.token.length < 16 || r.token.length > 128) throw new ApiError('JOIN_REFUSED', 403, 'the join token is unknown, expired or used by another board');
    const tokenDigest = digestOf(r.token);
    // Checked on the applied state first, so strangers cannot fill the log with joins.
    await base.linearizableBarrier();
    const state = base.state();
    const nowMs = d.nowMs();
    const member = state.credentials().find((c) => c.id === r.id);
    const already = member !== undefined && member.verifier === r.verifier;
    const cs = d.loop.confState;
    const inConfiguration = cs.voters.includes(r.id) || cs.learners.includes(r.id) || cs.votersOutgoing.includes(r.id);
    if (!already && (member !== undefined || inConfiguration)) {
      // The board was a member and no longer holds its secret (its data directory was emptied or
      // replaced): admitted again under the same id it would vote with forgotten state. It must come
      // back as a new incarnation, under a new member id (src/board/incarnation.ts).
      throw new ApiError('MEMBER_EXISTS', 409, `${r.id} is already a member of this installation and this board no longer holds its credential: it must join again as a new incarnation`);
    }
    if (!already) {
      if (!state.joinTokenUsable(tokenDigest, r.id, r.verifier, nowMs)) {
        throw new ApiError('JOIN_REFUSED', 403, 'the join token is unknown, expired or used by another board');
      }
      settle(await propose({ requestId: `join-${randomUUID()}`, command: { type: 'join', board: r.id, verifier: r.verifier, tokenDigest, nowMs } }));
      try {
        await changeMember('add', { id: r.id, host: r.host, port: r.port, role: 'external' });
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 'ALREADY_EXISTS')) throw err;
      }
    }
    const members = base.state().credentials().filter((c) => c.id !== r.id).map((c) => ({ id: c.id, verifier: c.verifier }));
    return { id: r.id, members, revision: base.state().appliedIndex() };
  }

  const changeMember: BoardServices['changeMember'] = (op, request) => {
    if (!isVoter(d.loop, d.id)) return Promise.reject(new ApiError('NOT_A_VOTER', 421, `${d.id} is not a voter: send membership changes to a voter`));
    return base.changeMember(op, request);
  };

  return { ...base, propose, changeMember, issueJoinToken, join };
}
