// In-process transports joined by a hub, with fault hooks for tests.
//
// Messages go through the real codec (so tests exercise encoding) and are delivered
// asynchronously (setImmediate), or only when the test calls hub.deliver() in manual mode,
// which makes runs deterministic. Per-link queues are bounded like the MQTT transport's.
import type { Message, NodeId } from '../raft/types.ts';
import type {
  MessageHandler, PeerAddress, PeerStats, SnapshotStatusHandler, Transport, UnreachableHandler,
} from './transport.ts';
import { decodeMessage, defaultCodecLimits, encodeMessage, type CodecLimits } from './codec.ts';
import { BoundedQueue, defaultQueueCaps, type QueueCaps } from './peer-queue.ts';
import { TransportError } from './transport.ts';

export interface MemoryHubOptions {
  /** Deliver on setImmediate (default) or only when deliver() is called. */
  readonly autoDeliver?: boolean;
  readonly queue?: QueueCaps;
  readonly codec?: CodecLimits;
}

/** Return false to drop the message (it counts as dropped for its sender). */
export type MessageFilter = (msg: Message) => boolean;

export interface MemoryHub {
  /** Creates the transport of board `id` (one per id while it is open). */
  transport(id: NodeId): Transport;
  /** Messages from a to b are dropped while they are in different groups; boards in no group are isolated. */
  partition(...groups: NodeId[][]): void;
  heal(): void;
  /** Drop every message the filter refuses (null removes the filter). */
  setFilter(filter: MessageFilter | null): void;
  /** Delivers everything queued now; returns how many messages were delivered. */
  deliver(): number;
  /** Messages waiting in all queues. */
  pending(): number;
}

interface Pending {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly bytes: Uint8Array;
  readonly snapshot: boolean;
}

export function createMemoryHub(options: MemoryHubOptions = {}): MemoryHub {
  return new Hub(options);
}

class Hub implements MemoryHub {
  readonly members = new Map<NodeId, MemoryTransport>();
  private groups: Map<NodeId, number> | null = null;
  private filter: MessageFilter | null = null;
  /** Messages in flight, in send order; each sender's share is capped by its per-peer queues. */
  private inFlight: Pending[] = [];
  private scheduled = false;
  readonly autoDeliver: boolean;
  readonly queueCaps: QueueCaps;
  readonly codec: CodecLimits;

  constructor(options: MemoryHubOptions) {
    this.autoDeliver = options.autoDeliver ?? true;
    this.queueCaps = options.queue ?? defaultQueueCaps;
    this.codec = options.codec ?? defaultCodecLimits;
  }

  transport(id: NodeId): Transport {
    if (this.members.has(id)) throw new TransportError('TRANSPORT_DUPLICATE_ID', `board ${id} already has an open transport`);
    const t = new MemoryTransport(id, this);
    this.members.set(id, t);
    return t;
  }

  partition(...groups: NodeId[][]): void {
    this.groups = new Map();
    groups.forEach((g, i) => g.forEach((id) => this.groups!.set(id, i)));
  }

  heal(): void {
    this.groups = null;
  }

  setFilter(filter: MessageFilter | null): void {
    this.filter = filter;
  }

  /** Whether a message may pass the fault hooks now. */
  passes(msg: Message): boolean {
    if (this.groups !== null) {
      const a = this.groups.get(msg.from);
      if (a === undefined || a !== this.groups.get(msg.to)) return false;
    }
    return this.filter === null || this.filter(msg);
  }

  enqueue(p: Pending): void {
    this.inFlight.push(p);
    if (this.autoDeliver && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.deliver();
      });
    }
  }

  deliver(): number {
    const batch = this.inFlight;
    this.inFlight = [];
    let delivered = 0;
    for (const p of batch) {
      const sender = this.members.get(p.from);
      sender?.dequeued(p);
      const receiver = this.members.get(p.to);
      if (receiver === undefined) {
        sender?.undeliverable(p);
        continue;
      }
      receiver.receive(p.bytes, p.snapshot ? { ...this.codec, maxMessageBytes: Number.MAX_SAFE_INTEGER } : this.codec);
      sender?.delivered(p);
      delivered++;
    }
    return delivered;
  }

  pending(): number {
    return this.inFlight.length;
  }
}

class MemoryTransport implements Transport {
  private messageHandler: MessageHandler = () => {};
  private snapshotHandler: SnapshotStatusHandler = () => {};
  private unreachableHandler: UnreachableHandler = () => {};
  private readonly peers = new Map<NodeId, PeerAddress>();
  private readonly queues = new Map<NodeId, BoundedQueue>();
  private readonly counters = new Map<NodeId, { sent: number; dropped: number; received: number; rejected: number; snapshotsSent: number; snapshotsFailed: number }>();
  private closed = false;

  constructor(readonly self: NodeId, private readonly hub: Hub) {}

  send(msg: Message): void {
    if (this.closed || msg.to === this.self) return;
    const c = this.countersFor(msg.to);
    const snapshot = msg.type === 'snapshot';
    if (!this.hub.passes(msg)) {
      c.dropped++;
      if (snapshot) this.snapshotDone(msg.to, false);
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = encodeMessage(msg, snapshot ? { ...this.hub.codec, maxMessageBytes: Number.MAX_SAFE_INTEGER } : this.hub.codec);
    } catch {
      c.dropped++;
      if (snapshot) this.snapshotDone(msg.to, false);
      return;
    }
    const queue = this.queueFor(msg.to);
    // Snapshots bypass the byte cap (the MQTT transport streams them outside the queue too).
    if (!snapshot && !queue.push(bytes)) {
      c.dropped++;
      return;
    }
    this.hub.enqueue({ from: this.self, to: msg.to, bytes, snapshot });
  }

  onMessage(handler: MessageHandler): void {
    this.messageHandler = handler;
  }
  onSnapshotStatus(handler: SnapshotStatusHandler): void {
    this.snapshotHandler = handler;
  }
  onUnreachable(handler: UnreachableHandler): void {
    this.unreachableHandler = handler;
  }
  onReachable(_handler: UnreachableHandler): void {
    // In memory, every peer is always connected: nothing to report.
  }


  setPeers(peers: ReadonlyMap<NodeId, PeerAddress>): void {
    this.peers.clear();
    for (const [id, a] of peers) this.peers.set(id, a);
  }
  addPeer(id: NodeId, address: PeerAddress): void {
    this.peers.set(id, address);
  }
  removePeer(id: NodeId): void {
    this.peers.delete(id);
  }

  stats(): Map<NodeId, PeerStats> {
    const out = new Map<NodeId, PeerStats>();
    const ids = new Set([...this.peers.keys(), ...this.counters.keys()]);
    for (const id of ids) {
      const q = this.queues.get(id);
      out.set(id, {
        queued: q?.length ?? 0,
        queuedBytes: q?.bytes ?? 0,
        lastHeardMsAgo: null,
        deadLinks: 0,
        ...this.countersFor(id),
        connected: !this.closed && this.hub.members.has(id),
        via: 'memory',
      });
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.hub.members.get(this.self) === this) this.hub.members.delete(this.self);
  }

  // ---- called by the hub ----

  dequeued(p: Pending): void {
    if (!p.snapshot) this.queues.get(p.to)?.shift();
  }

  delivered(p: Pending): void {
    this.countersFor(p.to).sent++;
    if (p.snapshot) this.snapshotDone(p.to, true);
  }

  undeliverable(p: Pending): void {
    this.countersFor(p.to).dropped++;
    if (p.snapshot) this.snapshotDone(p.to, false);
    this.later(() => this.unreachableHandler(p.to));
  }

  receive(bytes: Uint8Array, limits: typeof defaultCodecLimits): void {
    if (this.closed) return;
    let msg: Message;
    try {
      msg = decodeMessage(bytes, limits);
    } catch {
      return;
    }
    this.countersFor(msg.from).received++;
    this.messageHandler(msg);
  }

  private snapshotDone(peer: NodeId, ok: boolean): void {
    const c = this.countersFor(peer);
    if (ok) c.snapshotsSent++;
    else c.snapshotsFailed++;
    this.later(() => this.snapshotHandler(peer, ok));
  }

  /** Status reports never re-enter the caller of send; in manual mode they still run on setImmediate. */
  private later(fn: () => void): void {
    setImmediate(() => {
      if (!this.closed) fn();
    });
  }

  private queueFor(id: NodeId): BoundedQueue {
    let q = this.queues.get(id);
    if (q === undefined) {
      q = new BoundedQueue(this.hub.queueCaps);
      this.queues.set(id, q);
    }
    return q;
  }

  private countersFor(id: NodeId): { sent: number; dropped: number; received: number; rejected: number; snapshotsSent: number; snapshotsFailed: number } {
    let c = this.counters.get(id);
    if (c === undefined) {
      c = { sent: 0, dropped: 0, received: 0, rejected: 0, snapshotsSent: 0, snapshotsFailed: 0 };
      this.counters.set(id, c);
    }
    return c;
  }
}
