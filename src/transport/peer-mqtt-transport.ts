// The board-to-board Raft transport over MQTT.
//
// Every board runs its own aedes broker. One MQTT connection per pair of boards carries both
// directions: the dialer D publishes to raftlight/<c>/raft/<B> on B's broker and subscribes
// there to raftlight/<c>/raft/<D>; B hears D through its broker's 'publish' event and answers
// by publishing on its own broker to raftlight/<c>/raft/<D>. A board dials only when it has
// something to send and no connection exists either way; when both boards dialed at once the
// connection dialed by the smaller id is kept. The broker must run createMemberAuth's hooks:
// they are what makes the client id of an inbound connection trustworthy.
import type { Aedes, AedesPublishPacket, Client, Subscription } from 'aedes';
import type { Message, NodeId } from '../raft/types.ts';
import type {
  MessageHandler, PeerAddress, PeerStats, SnapshotStatusHandler, Transport, UnreachableHandler,
} from './transport.ts';
import { CodecError, batchOverhead, decodeBatch, decodeMessage, encodeBatch, encodeMessage, validateNodeId } from './codec.ts';
import { decodeChunkFrame, encodeChunkFrame, type ChunkFrame } from './peer-chunk-frames.ts';
import { PeerLink, type PeerChannel } from './peer-link.ts';
import { backoffDelay, defaultMqttTransportLimits, type MqttTransportLimits } from './peer-limits.ts';
import { OutboundConnection, toBuffer, type PeerTlsOptions } from './peer-outbound.ts';
import { SnapshotReceiver } from './peer-snapshot-receiver.ts';
import { SnapshotSendSession } from './peer-snapshot-sender.ts';
import { chunkTopic, memberIdFromClientId, messageTopic, parseRaftTopic, validateClusterName } from './peer-topics.ts';
import { MAX_SIDE_PAYLOAD_BYTES, type SideChannel, type SideHandler } from './side-channel.ts';

/** Raft answers these within a heartbeat; answers themselves, proposals and transfers get none. */
function expectsAnswer(m: Message): boolean {
  return m.type === 'append' || m.type === 'heartbeat' || m.type === 'vote' || m.type === 'pre-vote' || m.type === 'read-index';
}

/** How long a duplicate connection is kept after traffic moved off it. */
const DUPLICATE_GRACE_MS = 2_000;

export interface TransportLogEvent {
  readonly code: string;
  readonly peer: NodeId | null;
  readonly detail: string;
}

export interface MqttTransportOptions {
  readonly cluster: string;
  readonly self: NodeId;
  /** The cluster's member secret: the password this board uses on its peers' brokers. */
  readonly memberSecret: string;
  /** This board's broker, started with createMemberAuth(...).hooks. */
  readonly aedes: Aedes;
  readonly peers?: ReadonlyMap<NodeId, PeerAddress>;
  readonly limits?: Partial<MqttTransportLimits>;
  /** Dial peers over TLS (their brokers listen with certificates). */
  readonly tls?: PeerTlsOptions;
  /** Every dropped or refused input and every connection change (rate-limit in the caller). */
  readonly log?: (event: TransportLogEvent) => void;
  /** Random source for backoff jitter (tests may fix it). */
  readonly random?: () => number;
}

export interface MqttTransport extends Transport, SideChannel {
  /** Payloads that were not valid Raft traffic (any peer), and payloads from unknown clients. */
  readonly garbage: { readonly rejected: number };
}

export function createMqttTransport(options: MqttTransportOptions): MqttTransport {
  return new MqttTransportImpl(options);
}

class MqttTransportImpl implements MqttTransport {
  readonly self: NodeId;
  readonly garbage = { rejected: 0 };
  private readonly cluster: string;
  private readonly limits: MqttTransportLimits;
  private readonly snapshotLimits;
  private readonly links = new Map<NodeId, PeerLink>();
  private readonly receiver: SnapshotReceiver;
  private readonly random: () => number;
  private messageHandler: MessageHandler = () => {};
  private snapshotHandler: SnapshotStatusHandler = () => {};
  private unreachableHandler: UnreachableHandler = () => {};
  private reachableHandler: UnreachableHandler = () => {};
  private sideHandler: SideHandler = () => {};
  readonly sideCounters = { sent: 0, dropped: 0, received: 0 };
  private nextTransfer: number;
  private activeSnapshotSends = 0;
  private closed = false;
  private readonly detach: () => void;
  /** Duplicate connections waiting out their grace period (at most one per peer). */
  private readonly retiring = new Map<NodeJS.Timeout, OutboundConnection>();
  private readonly livenessTimer: NodeJS.Timeout;

  constructor(private readonly options: MqttTransportOptions) {
    validateClusterName(options.cluster);
    validateNodeId(options.self);
    this.cluster = options.cluster;
    this.self = options.self;
    this.limits = { ...defaultMqttTransportLimits, ...options.limits };
    this.snapshotLimits = { ...this.limits.codec, maxMessageBytes: this.limits.maxSnapshotBytes };
    this.random = options.random ?? Math.random;
    // Transfer ids start at a random point so a restarted sender is not confused with its past self.
    this.nextTransfer = Math.floor(this.random() * 0x7fffffff);
    this.receiver = new SnapshotReceiver(
      { maxSnapshotBytes: this.limits.maxSnapshotBytes, maxReassemblyBytes: this.limits.maxReassemblyBytes, idleMs: this.limits.reassemblyIdleMs },
      {
        reply: (peer, frame) => this.sendFrame(peer, frame),
        deliver: (peer, encoded) => this.deliverSnapshot(peer, encoded),
        log: (peer, detail) => this.log('SNAPSHOT_RECEIVE', peer, detail),
      },
    );
    for (const [id, address] of options.peers ?? []) this.addPeer(id, address);
    this.detach = this.attachBroker(options.aedes);
    this.livenessTimer = setInterval(() => this.checkLiveness(), this.limits.livenessCheckMs);
    this.livenessTimer.unref();
  }

  // ---- Transport interface ----

  send(msg: Message): void {
    if (this.closed) return;
    if (msg.to === this.self) return;
    const link = this.linkFor(msg.to);
    if (link === undefined) return;
    if (msg.type === 'snapshot') return this.startSnapshot(link, msg);
    let encoded: Uint8Array;
    try {
      encoded = encodeMessage(msg, this.limits.codec);
    } catch (err) {
      link.counters.dropped++;
      this.log('SEND_ENCODE_FAILED', link.id, err instanceof Error ? err.message : String(err));
      return;
    }
    if (!link.queue.push(encoded)) {
      link.counters.dropped++;
      return;
    }
    if (expectsAnswer(msg) && link.unansweredSince === 0) link.unansweredSince = Date.now();
    if (this.channelOf(link) === undefined) {
      this.ensureConnection(link);
      return;
    }
    this.scheduleFlush(link);
  }

  onMessage(handler: MessageHandler): void {
    this.messageHandler = handler;
  }

  sendSide(to: NodeId, payload: Uint8Array): boolean {
    const link = this.closed || to === this.self ? undefined : this.links.get(to);
    const channel = link && this.channelOf(link);
    if (channel === undefined || !channel.writable() || payload.byteLength > MAX_SIDE_PAYLOAD_BYTES) {
      this.sideCounters.dropped++;
      return false;
    }
    channel.publish(chunkTopic(this.cluster, to), encodeChunkFrame({ kind: 'side', payload }, this.limits.chunkBytes));
    this.sideCounters.sent++;
    return true;
  }

  onSide(handler: SideHandler): void {
    this.sideHandler = handler;
  }

  onSnapshotStatus(handler: SnapshotStatusHandler): void {
    this.snapshotHandler = handler;
  }

  onUnreachable(handler: UnreachableHandler): void {
    this.unreachableHandler = handler;
  }

  onReachable(handler: UnreachableHandler): void {
    this.reachableHandler = handler;
  }

  setPeers(peers: ReadonlyMap<NodeId, PeerAddress>): void {
    for (const id of [...this.links.keys()]) if (!peers.has(id)) this.removePeer(id);
    for (const [id, address] of peers) this.addPeer(id, address);
  }

  addPeer(id: NodeId, address: PeerAddress): void {
    validateNodeId(id);
    if (id === this.self) return;
    const link = this.links.get(id) ?? this.createLink(id);
    const changed = link.address !== undefined && (link.address.host !== address.host || link.address.port !== address.port);
    link.address = { host: address.host, port: address.port };
    if (changed && link.outbound) link.outbound.close('peer address changed');
  }

  removePeer(id: NodeId): void {
    const link = this.links.get(id);
    if (link === undefined) return;
    clearTimeout(link.dialTimer);
    link.dialTimer = undefined;
    if (link.snapshot) this.cancelSnapshot(link, 'peer removed');
    link.outbound?.close('peer removed', true);
    link.outbound = undefined;
    link.queue.clear();
    link.address = undefined;
    // A peer still connected to our broker (e.g. a board joining) stays reachable through it.
    if (link.inbound === undefined || link.inbound.closed) this.links.delete(id);
  }

  stats(): Map<NodeId, PeerStats> {
    const out = new Map<NodeId, PeerStats>();
    for (const [id, link] of this.links) out.set(id, link.stats(this.channelOf(link)));
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.livenessTimer);
    this.detach();
    for (const [timer, connection] of this.retiring) {
      clearTimeout(timer);
      connection.close('transport closed', true);
    }
    this.retiring.clear();
    for (const link of this.links.values()) {
      clearTimeout(link.dialTimer);
      link.outbound?.close('transport closed', true);
      link.outbound = undefined;
      link.queue.clear();
      link.snapshot?.cancel('transport closed');
    }
    this.receiver.close();
  }

  // ---- Links and connections ----

  private createLink(id: NodeId): PeerLink {
    const link = new PeerLink(id, this.limits.queue);
    this.links.set(id, link);
    return link;
  }

  /** The link for a destination; peers we cannot name safely in a topic are refused. */
  private linkFor(id: NodeId): PeerLink | undefined {
    const existing = this.links.get(id);
    if (existing) return existing;
    try {
      validateNodeId(id);
    } catch {
      this.log('SEND_BAD_PEER_ID', null, `cannot send to ${JSON.stringify(id)}`);
      return undefined;
    }
    return this.createLink(id);
  }

  /** The connection to use now: when both exist, the one dialed by the smaller id. */
  private channelOf(link: PeerLink): PeerChannel | undefined {
    const out = link.outbound?.ready ? link.outbound : undefined;
    const inbound = link.inbound && !link.inbound.closed ? link.inbound : undefined;
    if (out && (!inbound || this.self < link.id)) {
      return { via: 'outbound', writable: () => out.writable(), publish: (t, p) => out.publish(t, p) };
    }
    if (inbound) {
      const hw = this.limits.socketHighWaterBytes;
      return {
        via: 'inbound',
        writable: () => !inbound.closed && inbound.conn.writableLength < hw,
        publish: (topic, payload) => this.options.aedes.publish(
          { cmd: 'publish', topic, payload: toBuffer(payload), qos: 0, retain: false, dup: false },
          () => {},
        ),
      };
    }
    return undefined;
  }

  /** Dials the peer unless a connection exists either way, a dial is under way, or backoff holds it. */
  private ensureConnection(link: PeerLink): void {
    if (this.closed || link.outbound || link.dialTimer || this.channelOf(link)) return;
    if (link.address === undefined) {
      const dropped = link.queue.clear();
      link.counters.dropped += dropped;
      this.log('PEER_NO_ADDRESS', link.id, `no address and no connection; ${dropped} messages dropped`);
      this.reportUnreachable(link.id);
      return;
    }
    const wait = link.nextDialAt - Date.now();
    if (wait > 0) {
      link.dialTimer = setTimeout(() => {
        link.dialTimer = undefined;
        if (this.links.get(link.id) === link && (link.queue.length > 0 || link.snapshot)) this.ensureConnection(link);
      }, wait);
      return;
    }
    this.dial(link, link.address);
  }

  private dial(link: PeerLink, address: PeerAddress): void {
    const connection: OutboundConnection = new OutboundConnection({
      cluster: this.cluster,
      self: this.self,
      peer: link.id,
      address,
      memberSecret: this.options.memberSecret,
      keepaliveSec: this.limits.keepaliveSec,
      tcpConnectTimeoutMs: this.limits.tcpConnectTimeoutMs,
      connectTimeoutMs: this.limits.connectTimeoutMs,
      socketHighWaterBytes: this.limits.socketHighWaterBytes,
      tls: this.options.tls,
    }, {
      ready: () => {
        link.failures = 0;
        link.nextDialAt = 0;
        this.restartAnswerClock(link);
        this.log('PEER_CONNECTED', link.id, `dialed ${address.host}:${address.port}`);
        this.resolveDuplicate(link);
        this.kick(link);
        this.reportReachable(link.id);
      },
      drain: () => this.kick(link),
      message: (topic, payload) => this.onPayload(link.id, topic, payload),
      closed: (why, wasReady) => {
        if (link.outbound === connection) link.outbound = undefined;
        if (this.closed) return;
        link.nextDialAt = Date.now() + backoffDelay(this.limits, link.failures++, this.random);
        this.log(disconnectCode(why), link.id, `${wasReady ? 'connection lost' : 'dial failed'}: ${why}`);
        if (this.channelOf(link) !== undefined) return;
        const dropped = link.queue.clear();
        link.counters.dropped += dropped;
        this.reportUnreachable(link.id);
      },
    });
    link.outbound = connection;
  }

  /**
   * Both boards dialed: the larger id gives up its own connection. Traffic moves to the
   * kept connection at once; the retired one stays open for a grace period so messages
   * already in flight on it still arrive.
   */
  private resolveDuplicate(link: PeerLink): void {
    if (link.outbound?.ready && link.inbound && !link.inbound.closed && this.self > link.id) {
      const out = link.outbound;
      link.outbound = undefined;
      this.log('PEER_DUPLICATE', link.id, 'both sides dialed: keeping the connection dialed by the smaller id');
      const timer = setTimeout(() => {
        this.retiring.delete(timer);
        out.close('duplicate connection retired', true);
      }, DUPLICATE_GRACE_MS);
      this.retiring.set(timer, out);
    }
  }

  private scheduleFlush(link: PeerLink): void {
    if (link.flushScheduled) return;
    link.flushScheduled = true;
    // Messages sent in the same turn (one Ready batch) leave in one publish.
    queueMicrotask(() => {
      link.flushScheduled = false;
      this.flush(link);
    });
  }

  /** Flushes the queue and pumps a snapshot in progress. */
  private kick(link: PeerLink): void {
    this.flush(link);
    link.snapshot?.pump();
  }

  private flush(link: PeerLink): void {
    const channel = this.channelOf(link);
    if (channel === undefined || this.closed) return;
    const topic = messageTopic(this.cluster, link.id);
    while (link.queue.length > 0 && channel.writable()) {
      const batch: Uint8Array[] = [];
      let size = batchOverhead(1);
      for (let next = link.queue.peek(); next !== undefined; next = link.queue.peek()) {
        const grown = size + next.byteLength + 8;
        if (batch.length > 0 && (grown > this.limits.maxBatchBytes || batch.length >= 1024)) break;
        batch.push(link.queue.shift()!);
        size = grown;
      }
      channel.publish(topic, encodeBatch(batch, Math.max(size, this.limits.maxBatchBytes)));
      link.counters.sent += batch.length;
    }
  }

  // ---- Liveness: a link that swallows our messages and answers nothing is dead ----

  /**
   * TCP does not notice a blackholed route for minutes, and MQTT's keepalive is
   * counted in many seconds. Raft answers every request (append, heartbeat,
   * vote, read index) within a heartbeat, so a link that has had a request
   * unanswered for deadLinkMs, with nothing at all heard meanwhile, is closed,
   * reported unreachable and dialed again at once.
   */
  /** A new connection: requests still waiting are measured from now, not from before the dial. */
  private restartAnswerClock(link: PeerLink): void {
    if (link.unansweredSince !== 0) link.unansweredSince = Date.now();
  }

  private checkLiveness(): void {
    if (this.closed) return;
    const now = Date.now();
    for (const link of this.links.values()) {
      if (link.unansweredSince === 0 || now - link.unansweredSince < this.limits.deadLinkMs) continue;
      if (now - link.lastHeardAt < this.limits.deadLinkMs) continue;
      link.unansweredSince = 0;
      const channel = this.channelOf(link);
      if (channel === undefined) continue;
      link.counters.deadLinks++;
      this.log('PEER_SILENT', link.id, `nothing heard for ${now - Math.max(link.lastHeardAt, 0)} ms while our messages went unanswered: closing the link and dialing again`);
      link.outbound?.close('peer silent', true);
      link.outbound = undefined;
      if (link.inbound && !link.inbound.closed) link.inbound.close();
      link.inbound = undefined;
      link.failures = 0;
      link.nextDialAt = 0;
      this.reportUnreachable(link.id);
      if (link.queue.length > 0 || link.snapshot) this.ensureConnection(link);
    }
  }

  // ---- The local broker: inbound connections and their traffic ----

  private attachBroker(aedes: Aedes): () => void {
    const onSubscribe = (subs: Subscription[], client: Client): void => {
      const peer = memberIdFromClientId(this.cluster, client.id);
      if (peer === null || peer === this.self || this.closed) return;
      if (!subs.some((s) => s.topic === messageTopic(this.cluster, peer))) return;
      const link = this.links.get(peer) ?? this.createLink(peer);
      if (link.inbound === client) return;
      link.inbound = client;
      this.restartAnswerClock(link);
      client.conn.on('drain', () => this.kick(link));
      this.log('PEER_ACCEPTED', peer, 'peer connected to this broker');
      this.resolveDuplicate(link);
      this.kick(link);
      this.reportReachable(peer);
    };
    const onDisconnect = (client: Client): void => {
      const peer = memberIdFromClientId(this.cluster, client.id);
      const link = peer === null ? undefined : this.links.get(peer);
      if (link === undefined || link.inbound !== client) return;
      link.inbound = undefined;
      if (this.closed) return;
      this.log('PEER_DISCONNECTED', link.id, 'peer\'s connection to this broker closed');
      if (this.channelOf(link) === undefined) this.reportUnreachable(link.id);
      if (link.queue.length > 0 || link.snapshot) this.ensureConnection(link);
    };
    const onPublish = (packet: AedesPublishPacket, client: Client | null): void => {
      if (client === null || this.closed) return;
      const target = parseRaftTopic(this.cluster, packet.topic);
      if (target === null || target.to !== this.self) return;
      const peer = memberIdFromClientId(this.cluster, client.id);
      if (peer === null) {
        this.garbage.rejected++;
        this.log('RECEIVE_UNKNOWN_CLIENT', null, `raft payload from non-member client ${client.id}`);
        return;
      }
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      this.onPayload(peer, packet.topic, payload);
    };
    aedes.on('subscribe', onSubscribe);
    aedes.on('clientDisconnect', onDisconnect);
    aedes.on('publish', onPublish);
    return () => {
      aedes.removeListener('subscribe', onSubscribe);
      aedes.removeListener('clientDisconnect', onDisconnect);
      aedes.removeListener('publish', onPublish);
    };
  }

  /** Traffic from `peer` (identified by its connection, never by the payload). */
  private onPayload(peer: NodeId, topic: string, payload: Uint8Array): void {
    const target = parseRaftTopic(this.cluster, topic);
    if (target === null || target.to !== this.self || this.closed) return;
    const link = this.links.get(peer) ?? this.createLink(peer);
    link.lastHeardAt = Date.now();
    link.unansweredSince = 0;
    try {
      if (target.kind === 'chunk') return this.onChunkFrame(link, decodeChunkFrame(payload, this.limits.chunkBytes));
      const frames = decodeBatch(payload, this.limits.maxBatchBytes);
      for (const frame of frames) {
        let msg: Message;
        try {
          msg = decodeMessage(frame, this.limits.codec);
        } catch (err) {
          this.reject(link, err);
          continue;
        }
        if (msg.from !== peer || msg.to !== this.self || msg.type === 'snapshot') {
          this.reject(link, new CodecError('CODEC_INVALID_FIELD', `message ${msg.type} ${msg.from}→${msg.to} on ${peer}'s connection`));
          continue;
        }
        link.counters.received++;
        this.dispatch(msg);
      }
    } catch (err) {
      this.reject(link, err);
    }
  }

  private reject(link: PeerLink, err: unknown): void {
    link.counters.rejected++;
    this.garbage.rejected++;
    const detail = err instanceof CodecError ? `${err.code}: ${err.message}` : String(err);
    this.log('RECEIVE_REJECTED', link.id, detail);
  }

  // ---- Snapshots ----

  private startSnapshot(link: PeerLink, msg: Extract<Message, { type: 'snapshot' }>): void {
    if (link.snapshot) this.cancelSnapshot(link, 'superseded by a newer snapshot');
    if (this.activeSnapshotSends >= this.limits.maxConcurrentSnapshotSends) {
      return this.snapshotFailed(link, `${this.activeSnapshotSends} snapshot transfers already running`);
    }
    let encoded: Uint8Array;
    try {
      encoded = encodeMessage(msg, this.snapshotLimits);
    } catch (err) {
      return this.snapshotFailed(link, err instanceof Error ? err.message : String(err));
    }
    this.activeSnapshotSends++;
    const session: SnapshotSendSession = new SnapshotSendSession(this.nextTransfer++ % 0x7fffffff, encoded, {
      chunkBytes: this.limits.chunkBytes,
      window: this.limits.snapshotWindow,
      ackTimeoutMs: this.limits.snapshotAckTimeoutMs,
      maxRetries: this.limits.snapshotMaxRetries,
    }, {
      trySend: (frame) => {
        const channel = this.channelOf(link);
        if (channel === undefined) this.ensureConnection(link);
        if (channel === undefined || !channel.writable()) return false;
        channel.publish(chunkTopic(this.cluster, link.id), encodeChunkFrame(frame, this.limits.chunkBytes));
        return true;
      },
      finished: (ok, why) => {
        this.activeSnapshotSends--;
        if (link.snapshot === session) link.snapshot = undefined;
        if (ok) {
          link.counters.sent++;
          link.counters.snapshotsSent++;
          this.log('SNAPSHOT_SENT', link.id, `${encoded.byteLength} bytes`);
          this.reportSnapshot(link.id, true);
        } else {
          this.snapshotFailed(link, why);
        }
      },
    });
    link.snapshot = session;
    if (this.channelOf(link) === undefined) this.ensureConnection(link);
    else session.pump();
  }

  private cancelSnapshot(link: PeerLink, why: string): void {
    const session = link.snapshot;
    if (session === undefined) return;
    this.sendFrame(link.id, { kind: 'abort', transfer: session.transfer, reason: 'cancelled' });
    session.cancel(why);
  }

  private snapshotFailed(link: PeerLink, why: string): void {
    link.counters.snapshotsFailed++;
    link.counters.dropped++;
    this.log('SNAPSHOT_FAILED', link.id, why);
    this.reportSnapshot(link.id, false);
  }

  private onChunkFrame(link: PeerLink, frame: ChunkFrame): void {
    if (frame.kind === 'side') return this.dispatchSide(link.id, frame.payload);
    if (frame.kind === 'data') return this.receiver.onData(link.id, frame);
    if (frame.kind === 'abort') this.receiver.onAbort(link.id, frame.transfer);
    const session = link.snapshot;
    if (session === undefined || session.transfer !== frame.transfer) return;
    if (frame.kind === 'ack') session.onAck(frame.next);
    else session.onAbort(frame.reason);
  }

  private sendFrame(peer: NodeId, frame: ChunkFrame): void {
    const link = this.links.get(peer);
    const channel = link && this.channelOf(link);
    // Acks and aborts are tiny; if they are lost the sender's timeout recovers.
    channel?.publish(chunkTopic(this.cluster, peer), encodeChunkFrame(frame, this.limits.chunkBytes));
  }

  private deliverSnapshot(peer: NodeId, encoded: Uint8Array): boolean {
    let msg: Message;
    try {
      msg = decodeMessage(encoded, this.snapshotLimits);
    } catch (err) {
      this.reject(this.links.get(peer) ?? this.createLink(peer), err);
      return false;
    }
    const link = this.links.get(peer) ?? this.createLink(peer);
    if (msg.type !== 'snapshot' || msg.from !== peer || msg.to !== this.self) {
      this.reject(link, new CodecError('CODEC_INVALID_FIELD', `chunked ${msg.type} ${msg.from}→${msg.to} on ${peer}'s connection`));
      return false;
    }
    link.counters.received++;
    this.dispatch(msg);
    return true;
  }

  /** A failing handler is the board's bug, but must not take the broker's event loop down. */
  private dispatch(msg: Message): void {
    try {
      this.messageHandler(msg);
    } catch (err) {
      this.log('HANDLER_FAILED', msg.from, err instanceof Error ? err.stack ?? err.message : String(err));
    }
  }

  private dispatchSide(peer: NodeId, payload: Uint8Array): void {
    this.sideCounters.received++;
    try {
      this.sideHandler(peer, payload);
    } catch (err) {
      this.log('HANDLER_FAILED', peer, err instanceof Error ? err.stack ?? err.message : String(err));
    }
  }

  // ---- Reporting (always asynchronous: never re-enter the caller of send) ----

  private reportSnapshot(peer: NodeId, ok: boolean): void {
    setImmediate(() => {
      if (!this.closed) this.snapshotHandler(peer, ok);
    });
  }

  private reportUnreachable(peer: NodeId): void {
    setImmediate(() => {
      if (!this.closed) this.unreachableHandler(peer);
    });
  }

  private reportReachable(peer: NodeId): void {
    setImmediate(() => {
      if (!this.closed) this.reachableHandler(peer);
    });
  }

  private log(code: string, peer: NodeId | null, detail: string): void {
    this.options.log?.({ code, peer, detail });
  }
}

/** Failed handshakes and refused logins are the operator's business; other disconnects are routine. */
function disconnectCode(why: string): string {
  if (why.startsWith('TLS handshake')) return 'PEER_TLS_FAILED';
  if (why.startsWith('login refused')) return 'PEER_LOGIN_REFUSED';
  return 'PEER_DISCONNECTED';
}
