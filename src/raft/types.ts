// The data the Raft core exchanges with storage and with the network.
// These shapes are a contract: src/storage serves them, src/transport encodes them.

/** A board's identity inside a cluster (short, printable, MQTT-topic safe). */
export type NodeId = string;

export type EntryType = 'normal' | 'conf-change';

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  /** Opaque command bytes; an empty payload is the leader's no-op. */
  readonly data: Uint8Array;
}

/** What must survive a crash besides the log: Raft's persistent state. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId | null;
  readonly commit: number;
}

/**
 * Membership. Outside a joint configuration `votersOutgoing` and
 * `learnersNext` are empty and `autoLeave` is false.
 */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  /** Voters of the old configuration while a joint configuration is in force. */
  readonly votersOutgoing: readonly NodeId[];
  /** Voters that become learners when the joint configuration is left. */
  readonly learnersNext: readonly NodeId[];
  readonly autoLeave: boolean;
}

export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  /** The state machine's image (for raftlight: the exported SQLite database). */
  readonly data: Uint8Array;
}

export interface ReadState {
  readonly index: number;
  readonly context: Uint8Array;
}

export const emptyConfState: ConfState = Object.freeze({
  voters: [],
  learners: [],
  votersOutgoing: [],
  learnersNext: [],
  autoLeave: false,
});

export const emptyHardState: HardState = Object.freeze({ term: 0, vote: null, commit: 0 });

// ---- Messages: a discriminated union tagged by `type`. ----

interface Header {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

/** Leader → follower: entries after (logTerm, index), and the leader's commit. */
export interface AppendMessage extends Header {
  readonly type: 'append';
  readonly logTerm: number;
  readonly index: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

export interface AppendResponseMessage extends Header {
  readonly type: 'append-response';
  /** Accepted: the follower's last matching index. Rejected: the probed index. */
  readonly index: number;
  readonly reject: boolean;
  /** On reject: a hint for where the leader should probe next. */
  readonly rejectHint: number;
  /** On reject: the follower's term at rejectHint (fast backtracking). */
  readonly logTerm: number;
}

export interface VoteMessage extends Header {
  readonly type: 'vote' | 'pre-vote';
  readonly logTerm: number;
  readonly index: number;
  /** Set when the campaign follows a leadership transfer (bypasses leader lease). */
  readonly transfer: boolean;
}

export interface VoteResponseMessage extends Header {
  readonly type: 'vote-response' | 'pre-vote-response';
  readonly reject: boolean;
}

export interface HeartbeatMessage extends Header {
  readonly type: 'heartbeat';
  readonly commit: number;
  /** The leader's ReadIndex round this heartbeat confirms (0: no read waits); see read-only.ts. */
  readonly readRound: number;
}

export interface HeartbeatResponseMessage extends Header {
  readonly type: 'heartbeat-response';
  /** Echo of the heartbeat's readRound. */
  readonly readRound: number;
}

export interface SnapshotMessage extends Header {
  readonly type: 'snapshot';
  readonly snapshot: Snapshot;
}

/** Follower → leader: a forwarded proposal. */
export interface ProposeMessage extends Header {
  readonly type: 'propose';
  readonly entries: readonly Entry[];
}

/** Follower → leader: a forwarded ReadIndex request. */
export interface ReadIndexMessage extends Header {
  readonly type: 'read-index';
  readonly context: Uint8Array;
}

export interface ReadIndexResponseMessage extends Header {
  readonly type: 'read-index-response';
  readonly index: number;
  readonly context: Uint8Array;
}

/** Leader → transferee: start an election now. */
export interface TimeoutNowMessage extends Header {
  readonly type: 'timeout-now';
}

/** Follower → leader: a forwarded leadership transfer request. */
export interface TransferLeaderMessage extends Header {
  readonly type: 'transfer-leader';
  readonly transferee: NodeId;
}

export type Message =
  | AppendMessage
  | AppendResponseMessage
  | VoteMessage
  | VoteResponseMessage
  | HeartbeatMessage
  | HeartbeatResponseMessage
  | SnapshotMessage
  | ProposeMessage
  | ReadIndexMessage
  | ReadIndexResponseMessage
  | TimeoutNowMessage
  | TransferLeaderMessage;

export type MessageType = Message['type'];

// ---- Storage: what the core reads of the persisted log. ----

/**
 * The core reads the persisted log through this interface. Index ranges are
 * half-open: entries(lo, hi) returns [lo, hi). Implementations throw
 * CompactedError for indexes at or below the snapshot and UnavailableError
 * for indexes past the last one.
 */
export interface Storage {
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries in [lo, hi), at most maxBytes of data (always at least one entry). */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /** Term of entry i; valid for firstIndex()-1 .. lastIndex(). */
  term(i: number): number;
  firstIndex(): number;
  lastIndex(): number;
  /** The most recent snapshot; may throw SnapshotUnavailableError while one is being made. */
  snapshot(): Snapshot;
}

/** Error with a stable code that operators and API clients can match on. */
export class RaftError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'RaftError';
  }
}

export class CompactedError extends RaftError {
  constructor(index: number, firstIndex: number) {
    super('RAFT_LOG_COMPACTED', `entry ${index} is compacted (first available index is ${firstIndex})`);
  }
}

export class UnavailableError extends RaftError {
  constructor(index: number, lastIndex: number) {
    super('RAFT_LOG_UNAVAILABLE', `entry ${index} is not in the log yet (last index is ${lastIndex})`);
  }
}

export class SnapshotUnavailableError extends RaftError {
  constructor() {
    super('RAFT_SNAPSHOT_UNAVAILABLE', 'snapshot is temporarily unavailable');
  }
}

/** Byte size of an entry as counted for flow control and the uncommitted cap. */
export function entrySize(e: Entry): number {
  return e.data.byteLength + 16;
}
