// Everything the MQTT transport holds about one peer: its address, its send queue, the
// connections in either direction, reconnect state, a snapshot being sent, and counters.
import type { Client } from 'aedes';
import type { NodeId } from '../raft/types.ts';
import type { PeerAddress, PeerStats } from './transport.ts';
import { BoundedQueue, type QueueCaps } from './peer-queue.ts';
import type { OutboundConnection } from './peer-outbound.ts';
import type { SnapshotSendSession } from './peer-snapshot-sender.ts';

/** The connection currently used to reach a peer. */
export interface PeerChannel {
  readonly via: 'outbound' | 'inbound';
  writable(): boolean;
  publish(topic: string, payload: Uint8Array): void;
}

export class PeerLink {
  address: PeerAddress | undefined;
  readonly queue: BoundedQueue;
  /** Our connection to the peer's broker (dialing or ready). */
  outbound: OutboundConnection | undefined;
  /** The peer's member client on our broker, once it subscribed to its topic. */
  inbound: Client | undefined;
  /** Failed dials in a row, for the backoff. */
  failures = 0;
  /** Earliest time (ms, Date.now) of the next dial. */
  nextDialAt = 0;
  dialTimer: NodeJS.Timeout | undefined;
  flushScheduled = false;
  snapshot: SnapshotSendSession | undefined;
  /** Last time (ms) anything arrived from the peer, on either connection. */
  lastHeardAt = 0;
  /** When the oldest message sent since we last heard from the peer left (0: nothing unanswered). */
  unansweredSince = 0;
  counters = { sent: 0, dropped: 0, received: 0, rejected: 0, snapshotsSent: 0, snapshotsFailed: 0, deadLinks: 0 };

  constructor(readonly id: NodeId, caps: QueueCaps) {
    this.queue = new BoundedQueue(caps);
  }

  stats(channel: PeerChannel | undefined): PeerStats {
    return {
      queued: this.queue.length,
      queuedBytes: this.queue.bytes,
      ...this.counters,
      connected: channel !== undefined,
      via: channel?.via ?? null,
      lastHeardMsAgo: this.lastHeardAt === 0 ? null : Date.now() - this.lastHeardAt,
    };
  }
}
