// The board's side of the API contract (src/api/services.ts): proposals,
// linearizable reads, membership changes, status. Turns the core's errors
// into API errors that fail fast instead of hanging.
import { encodeCommand, type CommandEnvelope } from '../model/index.ts';
import { RaftError, RaftErrorCode, type ConfChange } from '../raft/index.ts';
import { ApiError } from '../api/errors.ts';
import type { BoardServices, MemberRequest } from '../api/services.ts';
import type { Outcome } from '../state/results.ts';
import type { Transport } from '../transport/transport.ts';
import type { RaftLoop } from './raft-loop.ts';
import type { ProposalWaiters, ReadWaiters } from './waiters.ts';
import { randomUUID } from 'node:crypto';
import { encodeMemberContext } from './members.ts';

export function raftToApiError(err: unknown): Error {
  if (!(err instanceof RaftError)) return err as Error;
  switch (err.code) {
    case RaftErrorCode.proposalDropped:
      return new ApiError('NO_LEADER', 503, `cannot commit now: ${err.message}; retry once a leader is elected`);
    case RaftErrorCode.tooManyUncommitted:
      return new ApiError('BACKPRESSURE', 429, 'too many uncommitted writes on the leader; retry later');
    case RaftErrorCode.confChangePending:
      return new ApiError('CONF_CHANGE_PENDING', 409, 'another membership change is still in progress; retry shortly');
    case RaftErrorCode.invalidConfChange:
    case RaftErrorCode.transferRejected:
      return new ApiError('INVALID_MEMBERSHIP', 400, err.message);
    default:
      return new ApiError(err.code, 500, err.message);
  }
}

export interface ServicesDeps {
  id: string;
  cluster: string;
  loop: RaftLoop;
  transport: Transport;
  proposals: ProposalWaiters;
  reads: ReadWaiters;
  status: () => Record<string, unknown>;
  peers: () => Record<string, unknown>;
}

export function createServices(d: ServicesDeps): BoardServices {
  return {
    id: d.id,
    cluster: d.cluster,
    state: () => d.loop.state,
    propose(envelope: CommandEnvelope): Promise<Outcome> {
      let data: Uint8Array;
      try {
        data = encodeCommand(envelope); // the size limit is enforced here, before the log
      } catch (err) {
        return Promise.reject(new ApiError('PAYLOAD_TOO_LARGE', 413, (err as Error).message, { limitBytes: (err as { limit?: number }).limit }));
      }
      const done = d.proposals.wait(envelope.requestId);
      try {
        d.loop.node.propose(data);
        d.loop.schedule();
      } catch (err) {
        d.proposals.fail(envelope.requestId, raftToApiError(err));
      }
      return done;
    },
    async linearizableBarrier(): Promise<void> {
      const { context, done } = d.reads.begin();
      if (context.byteLength > 0) {
        try {
          d.loop.node.readIndex(context);
          d.loop.schedule();
        } catch (err) {
          d.reads.fail(context, raftToApiError(err));
        }
      }
      return done;
    },
    status: d.status,
    peers: d.peers,
    exportDatabase: () => d.loop.state.export(),
    async changeMember(op, request) {
      const requestId = `member-${randomUUID()}`;
      const cs = d.loop.confState;
      const { id } = request;
      const isVoter = cs.voters.includes(id);
      const isLearner = cs.learners.includes(id);
      let cc: ConfChange;
      if (op === 'add') {
        const r = request as MemberRequest;
        if (isVoter || isLearner) throw new ApiError('ALREADY_EXISTS', 409, `board ${id} is already a member`);
        d.transport.addPeer(id, { host: r.host, port: r.port });
        cc = {
          transition: 'auto',
          changes: [{ kind: r.role === 'voter' ? 'add-voter' : 'add-learner', node: id }],
          context: encodeMemberContext({ requestId, addresses: { [id]: { host: r.host, port: r.port } } }),
        };
      } else {
        if (!isVoter && !isLearner) throw new ApiError('NOT_FOUND', 404, `board ${id} is not a member`);
        if (op === 'promote' && isVoter) throw new ApiError('ALREADY_EXISTS', 409, `board ${id} is already a voter`);
        if (op === 'demote' && isLearner) throw new ApiError('ALREADY_EXISTS', 409, `board ${id} is already an external board`);
        const kind = op === 'promote' ? 'add-voter' : op === 'demote' ? 'add-learner' : 'remove-node';
        cc = { transition: 'auto', changes: [{ kind, node: id }], context: encodeMemberContext({ requestId, addresses: {} }) };
      }
      const done = d.proposals.wait(requestId);
      try {
        d.loop.node.proposeConfChange(cc);
        d.loop.schedule();
      } catch (err) {
        d.proposals.fail(requestId, raftToApiError(err));
      }
      const outcome = await done;
      const now = d.loop.confState;
      return {
        op, id, revision: outcome.ok ? outcome.revision : null,
        voters: now.voters, externals: now.learners,
      };
    },
  };
}
