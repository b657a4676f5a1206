// The Transport a simulated board uses: messages go into the simulated network
// (delay, loss, duplication, partitions) and come back through deliver(); the
// harness reports links lost and back as a real transport would.
import type { Message, NodeId } from '../../src/raft/types.ts';
import type {
  MessageHandler, PeerAddress, PeerStats, SnapshotStatusHandler, Transport, UnreachableHandler,
} from '../../src/transport/transport.ts';
import type { NodeClock } from './sim-clock.ts';

export interface SimWire {
  /** Hands a message to the network (it may be lost, delayed, duplicated). */
  send(m: Message): void;
}

export class SimTransport implements Transport {
  private onMsg: MessageHandler = () => {};
  private onSnap: SnapshotStatusHandler = () => {};
  private onLost: UnreachableHandler = () => {};
  private onBack: UnreachableHandler = () => {};
  private readonly peers = new Map<NodeId, PeerAddress>();
  private closed = false;

  constructor(public self: NodeId, private readonly wire: SimWire, private readonly clock: NodeClock) {}

  /** The board came back as a new incarnation (a new member id) before it started talking. */
  rename(member: NodeId): void {
    this.self = member;
  }

  send(msg: Message): void {
    if (this.closed || msg.to === this.self) return;
    this.wire.send(msg);
    // A snapshot travels as one message here; its sender hears it went out (the chunked
    // transfer's acknowledgements are the real transport's business).
    if (msg.type === 'snapshot') this.clock.soon(() => this.onSnap(msg.to, true));
  }

  /** The network delivers a message to this board. */
  deliver(msg: Message): void {
    if (!this.closed) this.onMsg(msg);
  }

  reportLink(peer: NodeId, up: boolean): void {
    if (!this.closed) this.clock.soon(() => (up ? this.onBack(peer) : this.onLost(peer)));
  }

  onMessage(handler: MessageHandler): void {
    this.onMsg = handler;
  }

  onSnapshotStatus(handler: SnapshotStatusHandler): void {
    this.onSnap = handler;
  }

  onUnreachable(handler: UnreachableHandler): void {
    this.onLost = handler;
  }

  onReachable(handler: UnreachableHandler): void {
    this.onBack = handler;
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
    for (const id of this.peers.keys()) {
      out.set(id, {
        queued: 0, queuedBytes: 0, sent: 0, dropped: 0, received: 0, rejected: 0, connected: true, via: 'memory',
        snapshotsSent: 0, snapshotsFailed: 0, lastHeardMsAgo: null, deadLinks: 0,
      });
    }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
