// One outbound MQTT connection from this board to a peer's broker (mqtt.js, MQTT 3.1.1).
// It makes a single attempt: reconnecting, with backoff, is the transport's decision.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { MqttClient } from 'mqtt';
import type { NodeId } from '../raft/types.ts';
import type { PeerAddress } from './transport.ts';
import { chunkTopic, memberClientId, messageTopic } from './peer-topics.ts';

export interface OutboundOptions {
  readonly cluster: string;
  readonly self: NodeId;
  readonly peer: NodeId;
  readonly address: PeerAddress;
  readonly memberSecret: string;
  readonly keepaliveSec: number;
  /** TCP handshake only: the kernel answers it even when the peer's process is busy, so it can be short. */
  readonly tcpConnectTimeoutMs: number;
  /** The whole dial: TCP, TLS, CONNECT and CONNACK. */
  readonly connectTimeoutMs: number;
  readonly socketHighWaterBytes: number;
  /** Dial the peer's broker over TLS (when brokers are configured with certificates). */
  readonly tls?: PeerTlsOptions | undefined;
}

export interface PeerTlsOptions {
  /** CA bundle that signed the peers' certificates (default: the system's). */
  readonly ca?: string | Buffer | undefined;
  /** Check the peer's certificate (default true). */
  readonly rejectUnauthorized?: boolean | undefined;
}

export interface OutboundEvents {
  /** Connected and subscribed: the connection can carry both directions. */
  ready(): void;
  /** The socket accepts writes again after being above the high-water mark. */
  drain(): void;
  message(topic: string, payload: Buffer): void;
  /** The connection is gone (or never came up); called once. */
  closed(why: string, wasReady: boolean): void;
}

export class OutboundConnection {
  private readonly client: MqttClient;
  private socket: Socket | undefined;
  private isReady = false;
  private isClosed = false;
  /** Set when the TLS handshake failed: the reason the connection closes with. */
  private tlsFailure: string | undefined;

  constructor(private readonly options: OutboundOptions, private readonly events: OutboundEvents) {
    const { address } = options;
    this.client = new MqttClient(() => {
      const tls = options.tls;
      const socket: Socket = tls
        ? tlsConnect({
          host: address.host, port: address.port, servername: /^[\d.]+$|:/.test(address.host) ? undefined : address.host,
          ...(tls.ca !== undefined ? { ca: tls.ca } : {}), rejectUnauthorized: tls.rejectUnauthorized ?? true,
        })
        : netConnect({ host: address.host, port: address.port });
      if (tls) {
        let secured = false;
        socket.once('secureConnect', () => { secured = true; });
        socket.once('error', (err: Error) => {
          if (!secured) this.tlsFailure = `TLS handshake with ${address.host}:${address.port} failed: ${err.message}`;
        });
      }
      // Raft latency: do not let Nagle hold small messages back.
      socket.setNoDelay(true);
      // A SYN lost on a dead route is retried by TCP only after 1 s, then 3 s: give up on the
      // handshake early and let the transport dial again (after a partition heals, the next
      // dial gets through at once).
      const handshake = setTimeout(() => socket.destroy(new Error(`TCP connect timed out after ${options.tcpConnectTimeoutMs} ms`)), options.tcpConnectTimeoutMs);
      socket.once('connect', () => clearTimeout(handshake));
      socket.once('close', () => clearTimeout(handshake));
      socket.on('drain', () => this.events.drain());
      this.socket = socket;
      return socket;
    }, {
      protocolVersion: 4,
      clientId: memberClientId(options.cluster, options.self),
      username: options.self,
      password: options.memberSecret,
      clean: true,
      keepalive: options.keepaliveSec,
      connectTimeout: options.connectTimeoutMs,
      reconnectPeriod: 0,
      // Never buffer QoS 0 while offline: our bounded queue is the only buffer.
      queueQoSZero: false,
      resubscribe: false,
    });
    this.client.on('connect', () => this.onConnect());
    this.client.on('message', (topic, payload) => this.events.message(topic, payload));
    this.client.on('error', (err) => {
      const code = (err as Error & { code?: unknown }).code;
      // A CONNACK refusal: this board's credential is not (or no longer) known there.
      if (code === 4 || code === 5) return this.close(`login refused by ${address.host}:${address.port}: ${err.message}`);
      this.close(this.tlsFailure ?? `error: ${err.message}`);
    });
    this.client.on('close', () => this.close('connection closed'));
  }

  get ready(): boolean {
    return this.isReady && !this.isClosed;
  }

  /** Whether a publish now would not pile up in the socket buffer. */
  writable(): boolean {
    return this.ready && (this.socket?.writableLength ?? 0) < this.options.socketHighWaterBytes;
  }

  publish(topic: string, payload: Uint8Array): void {
    if (!this.ready) return;
    this.client.publish(topic, toBuffer(payload), { qos: 0, retain: false });
  }

  /** Closes the connection; `closed` fires unless `silent`. */
  close(why: string, silent = false): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const wasReady = this.isReady;
    this.isReady = false;
    this.client.removeAllListeners('message');
    this.client.on('error', () => {});
    this.client.end(true);
    if (!silent) this.events.closed(why, wasReady);
  }

  private onConnect(): void {
    const { cluster, self } = this.options;
    this.client.subscribe([messageTopic(cluster, self), chunkTopic(cluster, self)], { qos: 0 }, (err, granted) => {
      if (this.isClosed) return;
      if (err || !granted || granted.some((g) => g.qos === 128)) {
        return this.close(`subscription refused${err ? `: ${err.message}` : ''}`);
      }
      this.isReady = true;
      this.events.ready();
    });
  }
}

export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
