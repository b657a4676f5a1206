// The board's side of the API contract (src/api/services.ts): proposals,
// linearizable reads, membership changes, status, each a command to the Ready
// loop (the core's only owner). A request refused here (429, 413, a full loop
// queue) is refused before the core ever sees it.
import { encodeCommand, type CommandEnvelope } from '../model/index.ts';
import type { ConfChange } from '../raft/index.ts';
import { ApiError } from '../api/errors.ts';
import type { BoardServices, MemberRequest } from '../api/services.ts';
import type { Outcome } from '../state/results.ts';
import type { Transport } from '../transport/transport.ts';
import type { RaftLoop } from './raft-loop.ts';
import type { ProposalWaiters, ReadWaiters } from './waiters.ts';
import { randomUUID } from 'node:crypto';
import { encodeMemberContext } from './members.ts';

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

/** The loop's queue is full (or the board is stopping): the request never reached the core. */
function busy(): ApiError {
  return new ApiError('BACKPRESSURE', 429, 'the board is busy (its Raft queue is full) or stopping; retry later');
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
      let done: Promise<Outcome>;
      try {
        done = d.proposals.register(envelope.requestId); // refused here (429) means never proposed
      } catch (err) {
        return Promise.reject(err as Error);
      }
      if (!d.loop.submit({ type: 'propose', requestId: envelope.requestId, data })) d.proposals.fail(envelope.requestId, busy());
      return done;
    },
    async linearizableBarrier(): Promise<void> {
      const { context, done } = d.reads.begin(); // throws BACKPRESSURE before asking the core
      if (!d.loop.submit({ type: 'read', context })) d.reads.fail(context, busy());
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
      const done = d.proposals.register(requestId);
      if (!d.loop.submit({ type: 'conf-change', requestId, change: cc })) d.proposals.fail(requestId, busy());
      const outcome = await done;
      const now = d.loop.confState;
      return {
        op, id, revision: outcome.ok ? outcome.revision : null,
        voters: now.voters, externals: now.learners,
      };
    },
  };
}
