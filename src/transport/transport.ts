// The interface the board runtime uses to exchange Raft messages with its peers.
// Implementations: the MQTT transport (src/transport/peer-mqtt-transport.ts) and the
// in-memory hub for tests (src/transport/memory.ts).
import type { Message, NodeId } from '../raft/types.ts';

export interface PeerAddress {
  /** Host of the peer's MQTT broker. */
  readonly host: string;
  /** Port of the peer's MQTT broker. */
  readonly port: number;
}

export interface PeerStats {
  /** Messages waiting in this peer's send queue. */
  readonly queued: number;
  /** Encoded bytes waiting in this peer's send queue. */
  readonly queuedBytes: number;
  /** Messages handed to the network (including snapshot messages). */
  readonly sent: number;
  /** Messages dropped: queue full, peer unreachable, unknown address, encoding refused. */
  readonly dropped: number;
  /** Valid messages received from this peer. */
  readonly received: number;
  /** Payloads from this peer that failed to decode or were refused. */
  readonly rejected: number;
  /** Whether a usable connection to the peer exists right now. */
  readonly connected: boolean;
  /** Which side dialed the connection in use ('memory' for the in-memory transport). */
  readonly via: 'outbound' | 'inbound' | 'memory' | null;
  readonly snapshotsSent: number;
  readonly snapshotsFailed: number;
  /** Milliseconds since anything arrived from the peer (null: never). */
  readonly lastHeardMsAgo: number | null;
  /** Connections closed because the peer stopped answering (a dead or blackholed link). */
  readonly deadLinks: number;
}

export type MessageHandler = (msg: Message) => void;
export type SnapshotStatusHandler = (peer: NodeId, ok: boolean) => void;
export type UnreachableHandler = (peer: NodeId) => void;

export interface Transport {
  readonly self: NodeId;
  /**
   * Queues a message for msg.to and returns at once. When the peer's queue is full, or the
   * peer has no address and no connection, the message is dropped and counted (Raft
   * retransmits). A 'snapshot' message is sent in chunks; its outcome is reported through
   * onSnapshotStatus.
   */
  send(msg: Message): void;
  /** Sets the handler for received messages (replaces the previous one). Called asynchronously. */
  onMessage(handler: MessageHandler): void;
  /** Outcome of each snapshot message sent: feed it to the core's reportSnapshot. */
  onSnapshotStatus(handler: SnapshotStatusHandler): void;
  /** A peer could not be reached (dial failed or connection lost): feed it to reportUnreachable. */
  onUnreachable(handler: UnreachableHandler): void;
  /** A new connection to a peer is up (either side dialed): feed it to reportReachable. */
  onReachable(handler: UnreachableHandler): void;
  /** Replaces the whole peer address book; peers absent from it are disconnected. */
  setPeers(peers: ReadonlyMap<NodeId, PeerAddress>): void;
  addPeer(id: NodeId, address: PeerAddress): void;
  removePeer(id: NodeId): void;
  /** Per-peer counters, for peers known by address or heard from. */
  stats(): Map<NodeId, PeerStats>;
  /** Stops all connections and timers; pending messages are dropped. Idempotent. */
  close(): Promise<void>;
}

/** Error with a stable code for transport misuse (bad options, bad peer ids). */
export class TransportError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'TransportError';
  }
}
