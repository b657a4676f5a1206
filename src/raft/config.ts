// How a RaftNode is tuned. Time is counted in ticks; the caller decides how long a tick is.
import type { Storage, NodeId } from './types.ts';
import type { RandomSource } from './random.ts';
import { RaftError } from './types.ts';
import { RaftErrorCode } from './errors.ts';

/**
 * TEST ONLY: deliberately broken behaviours, used to prove that the
 * simulation's checkers can fail. Never set any of these in production.
 */
export interface RaftBugs {
  /** Commit an entry of an earlier term by counting replicas (Raft §5.4.2 forbids it). */
  readonly commitPreviousTermByCounting?: boolean;
  /** Grant votes without the "candidate's log is at least as up-to-date" check (§5.4.1). */
  readonly voteWithoutLogCheck?: boolean;
  /** Hand entries to the state machine as soon as they are stable, before they commit. */
  readonly applyBeforeCommit?: boolean;
  /** Answer ReadIndex at once without confirming leadership with a quorum. */
  readonly readIndexWithoutQuorum?: boolean;
  /**
   * Count a heartbeat acknowledgement for every pending read, even one registered
   * after that heartbeat left (an old, delayed acknowledgement confirms a new read).
   */
  readonly readAckAnyRound?: boolean;
}

export interface RaftConfig {
  readonly id: NodeId;
  readonly storage: Storage;
  /** Randomness for election timeouts; inject a seeded source for determinism. */
  readonly random: RandomSource;
  /** Base election timeout; the effective one is random in [electionTicks, 2*electionTicks). */
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  /** Campaign in two phases so a rejoining node cannot disrupt a healthy leader (thesis §9.6). */
  readonly preVote?: boolean;
  /** A leader steps down when it has not heard from a quorum for an election timeout. */
  readonly checkQuorum?: boolean;
  /** Bytes of entry data per append message (at least one entry is always sent). */
  readonly maxSizePerMsg?: number;
  /** Append messages in flight per follower in replicate state. */
  readonly maxInflightMsgs?: number;
  /** Entry bytes in flight per follower (0 = no byte limit). */
  readonly maxInflightBytes?: number;
  /** Bytes the leader accepts that are not yet committed; beyond it proposals fail (backpressure). */
  readonly maxUncommittedEntriesSize?: number;
  /** Bytes of committed entries handed out per Ready. */
  readonly maxCommittedSizePerReady?: number;
  /** Last applied index after a restart (defaults to the snapshot index). */
  readonly applied?: number;
  /** ReadIndex requests waiting for the leader's first commit in its term (cap). */
  readonly maxPendingReadIndex?: number;
  /**
   * The leader writes its log in parallel with replicating it (Raft thesis
   * §10.2.1): its appends and heartbeats come in Ready.earlyMessages, which
   * may be sent before the Ready is persisted, and the leader counts its own
   * entries toward commit only after advance() says they are durable.
   */
  readonly parallelLeaderWrite?: boolean;
  /** TEST ONLY: see RaftBugs. */
  readonly bugs?: RaftBugs;
}

export interface ResolvedConfig {
  readonly id: NodeId;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly maxSizePerMsg: number;
  readonly maxInflightMsgs: number;
  readonly maxInflightBytes: number;
  readonly maxUncommittedEntriesSize: number;
  readonly maxCommittedSizePerReady: number;
  readonly maxPendingReadIndex: number;
  readonly parallelLeaderWrite: boolean;
  readonly bugs: RaftBugs;
}

export const defaultConfig = {
  electionTicks: 10,
  heartbeatTicks: 1,
  preVote: true,
  checkQuorum: true,
  maxSizePerMsg: 1024 * 1024,
  maxInflightMsgs: 256,
  maxInflightBytes: 0,
  maxUncommittedEntriesSize: 8 * 1024 * 1024,
  maxCommittedSizePerReady: 4 * 1024 * 1024,
  maxPendingReadIndex: 1024,
} as const;

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new RaftError(RaftErrorCode.invalidConfig, `${name} must be a non-negative integer, got ${v}`);
  }
  return v;
}

export function resolveConfig(c: RaftConfig): ResolvedConfig {
  if (typeof c.id !== 'string' || c.id.length === 0) {
    throw new RaftError(RaftErrorCode.invalidConfig, 'id must be a non-empty string');
  }
  const r: ResolvedConfig = {
    id: c.id,
    electionTicks: positiveInt('electionTicks', c.electionTicks ?? defaultConfig.electionTicks),
    heartbeatTicks: positiveInt('heartbeatTicks', c.heartbeatTicks ?? defaultConfig.heartbeatTicks),
    preVote: c.preVote ?? defaultConfig.preVote,
    checkQuorum: c.checkQuorum ?? defaultConfig.checkQuorum,
    maxSizePerMsg: positiveInt('maxSizePerMsg', c.maxSizePerMsg ?? defaultConfig.maxSizePerMsg),
    maxInflightMsgs: positiveInt('maxInflightMsgs', c.maxInflightMsgs ?? defaultConfig.maxInflightMsgs),
    maxInflightBytes: positiveInt('maxInflightBytes', c.maxInflightBytes ?? defaultConfig.maxInflightBytes),
    maxUncommittedEntriesSize: positiveInt(
      'maxUncommittedEntriesSize',
      c.maxUncommittedEntriesSize ?? defaultConfig.maxUncommittedEntriesSize,
    ),
    maxCommittedSizePerReady: positiveInt(
      'maxCommittedSizePerReady',
      c.maxCommittedSizePerReady ?? defaultConfig.maxCommittedSizePerReady,
    ),
    maxPendingReadIndex: positiveInt('maxPendingReadIndex', c.maxPendingReadIndex ?? defaultConfig.maxPendingReadIndex),
    parallelLeaderWrite: c.parallelLeaderWrite ?? false,
    bugs: c.bugs ?? {},
  };
  if (r.heartbeatTicks < 1) throw new RaftError(RaftErrorCode.invalidConfig, 'heartbeatTicks must be at least 1');
  if (r.electionTicks <= r.heartbeatTicks) {
    throw new RaftError(RaftErrorCode.invalidConfig, 'electionTicks must be greater than heartbeatTicks');
  }
  if (r.maxInflightMsgs < 1) throw new RaftError(RaftErrorCode.invalidConfig, 'maxInflightMsgs must be at least 1');
  return r;
}
