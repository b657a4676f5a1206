// The MQTT broker every board embeds: aedes behind a front end that also serves MQTT 5 clients
// (aedes 1.2 speaks only 3.1/3.1.1; see mqtt5/front-end.ts), on TCP or, with certificates, TLS.
// It can also answer requests published under a command prefix (mqtt5/request-gateway.ts).
import { createServer, type Server, type Socket } from 'node:net';
import { Server as TlsServer, type TLSSocket } from 'node:tls';
import { generate } from 'mqtt-packet';
import { ListenError } from './listen-error.ts';
import './mqtt-packet-numbers.ts';
import { Aedes, type Client } from 'aedes';
import type { AedesLink } from './mqtt5/aedes-link.ts';
import { composeHooks, type BrokerHooks } from './mqtt5/broker-hooks.ts';
import { logToStderr, type BrokerLogger } from './mqtt5/broker-log.ts';
import { acceptConnection } from './mqtt5/front-end.ts';
import { PropertyEnvelope } from './mqtt5/property-envelope.ts';
import { RequestGateway, type RequestOptions } from './mqtt5/request-gateway.ts';
import { ConnectionLimiter, MAX_SOCKETS_PER_LISTENER, PACKET_BYTES, defaultMqttCaps, type ConnectionCaps, type SessionClass } from './connection-limiter.ts';
import type { FrameGuard } from './mqtt5/frame-guard.ts';
import { answerAndClose, sniffTls } from './tls-sniff.ts';
import { readConnectVersion } from './mqtt5/frame-guard.ts';

export type { BrokerHooks } from './mqtt5/broker-hooks.ts';
export type { BrokerLogEntry, BrokerLogger } from './mqtt5/broker-log.ts';
export type { RequestContext, RequestHandler, RequestOptions } from './mqtt5/request-gateway.ts';

export interface BrokerTlsOptions {
  /** PEM private key and certificate chain of this board. */
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  /** PEM CA bundle for client certificates. */
  readonly ca?: string | Buffer;
  /** Refuse clients without a certificate signed by `ca`. Default false (clients log in with username/password). */
  readonly requireClientCert?: boolean;
}

export interface BrokerOptions {
  host: string;
  port: number;
  /** Hooks for authentication and authorization, applied to MQTT 3.1.1 and MQTT 5 clients alike. */
  hooks?: BrokerHooks;
  /** With certificates the listener speaks MQTT over TLS (and only that). */
  tls?: BrokerTlsOptions;
  /** Answer requests published under requests.prefix (MQTT 5 response topic, or the JSON fallback). */
  requests?: RequestOptions;
  /** Largest MQTT packet accepted from any client; bigger ones close that connection. Default 1 MiB. */
  maxPacketSize?: number;
  /** Which class a logged-in client's session counts in (caps per class and source address). Default: anonymous. */
  classify?: (client: Client) => SessionClass;
  /** Connection caps (connection-limiter.ts); the listener never holds more than MAX_SOCKETS_PER_LISTENER sockets. */
  caps?: Partial<ConnectionCaps>;
  /** A connection must deliver its CONNECT within this time. Default 10 s. */
  connectTimeoutMs?: number;
  /** Refused connections, client errors, failed requests. Default: one JSON line on stderr each. */
  log?: BrokerLogger;
}

export interface RunningBroker {
  readonly aedes: Aedes;
  readonly server: Server;
  /** The port actually bound (differs from the option when it was 0). */
  readonly port: number;
  /** True when the listener speaks TLS. */
  readonly secure: boolean;
  /** Connections by kind (pending logins and sessions per class). */
  stats(): Record<'pending' | SessionClass, number>;
  close(): Promise<void>;
}

/** The broker's port could not be bound (PORT_IN_USE, LISTEN_FAILED). */
export class BrokerListenError extends ListenError {
  constructor(host: string, port: number, cause: NodeJS.ErrnoException) {
    super('MQTT broker', host, port, cause);
  }
}

export const defaultMaxPacketSize = 1024 * 1024;
/** Advertised to MQTT 5 clients: unacknowledged QoS 1/2 publishes each may send us. */
const v5ReceiveMaximum = 64;
/** Per MQTT 5 connection: SUBSCRIBE/UNSUBSCRIBE packets awaiting aedes's answer. */
const v5MaxPendingSubscriptions = 16;
/** Inbound QoS 2 publishes a client may hold unreleased (each up to maxPacketSize in memory). */
const maxInflightInbound = 16;
/** A will is kept in memory for as long as its client stays: keep it small. */
export const MAX_WILL_BYTES = 4 * 1024;

export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const log = options.log ?? logToStderr;
  const maxPacketSize = options.maxPacketSize ?? defaultMaxPacketSize;
  const envelope = new PropertyEnvelope();
  // Internal streams of MQTT 5 sessions; weak, so a closed session leaves nothing behind.
  const v5Links = new WeakSet<object>();
  let gateway: RequestGateway | undefined;
  const limiter = new ConnectionLimiter({ ...defaultMqttCaps, ...options.caps }, {
    evicted: (address, reason) => log({ kind: 'connection-closed', code: 'EVICTED', message: reason, remote: address }),
  });
  // The TCP socket under each connection stream aedes sees (3.1.1 streams and MQTT 5 links),
  // and the guard that checks its packet sizes.
  const socketOf = new WeakMap<object, Socket>();
  const guardOf = new WeakMap<object, FrameGuard>();
  const packetBytes = (cls: SessionClass): number => Math.min(maxPacketSize, cls === 'member' ? maxPacketSize : PACKET_BYTES[cls]);
  const composed = composeHooks(options.hooks, {
    envelope,
    isV5Session: (client: Client) => v5Links.has(client.conn),
    gateway: () => gateway,
    maxWillBytes: MAX_WILL_BYTES,
    admitSession: (client) => {
      const socket = socketOf.get(client.conn);
      if (socket === undefined) return null;
      const cls = options.classify?.(client) ?? 'anonymous';
      if (!limiter.login(socket, cls)) return { reasonCode: 0x97, reason: `too many ${cls} sessions (on this board or from this address): try again later` };
      // Without a classifier every session gets the broker's cap (tests, a bare broker).
      const guard = guardOf.get(client.conn);
      if (guard) guard.maxPacketSize = options.classify ? packetBytes(cls) : maxPacketSize;
      return null;
    },
  });
  const aedes = await Aedes.createBroker({
    // Bounded per-client queue of packets received before CONNECT completes (clients wait for CONNACK).
    queueLimit: 4,
    // A client whose socket stays full this long is disconnected (bounds what waits for it).
    drainTimeout: 30_000,
    heartbeatInterval: 60_000,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    maxInflightInbound,
    ...composed.hooks,
  });
  if (options.requests) gateway = new RequestGateway(aedes, options.requests, composed.authorizePublish, log);
  const clientError = (client: Client | null, error: Error): void => {
    log({ kind: 'client-error', clientId: client?.id ?? null, message: error.message });
  };
  aedes.on('clientError', clientError);
  aedes.on('connectionError', clientError);

  const sockets = new Set<Socket>();
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  /** Serves MQTT on `stream` (the TCP socket, or the TLS socket over it). */
  const serve = (raw: Socket, stream: Socket): void => {
    acceptConnection(stream, {
      aedes,
      maxPacketSize,
      connectTimeoutMs,
      log,
      preAuthPacketSize: Math.min(maxPacketSize, PACKET_BYTES.preAuth),
      registerConnection: (conn: object, guard: FrameGuard) => {
        socketOf.set(conn, raw);
        guardOf.set(conn, guard);
      },
      v5: {
        aedes,
        envelope,
        limits: { maxPacketSize, preAuthPacketSize: Math.min(maxPacketSize, PACKET_BYTES.preAuth), receiveMaximum: v5ReceiveMaximum, maxPendingSubscriptions: v5MaxPendingSubscriptions },
        registerLink: (link: AedesLink, guard: FrameGuard) => {
          v5Links.add(link);
          socketOf.set(link, raw);
          guardOf.set(link, guard);
        },
        vetPublish: (link, packet) => composed.vetPublish(link, packet),
      },
    });
  };
  const tls = options.tls;
  // Not listening itself: raw sockets that start a TLS handshake are handed to it.
  const tlsServer = tls ? new TlsServer({
    key: tls.key, cert: tls.cert, ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
    requestCert: tls.requireClientCert === true, rejectUnauthorized: tls.requireClientCert === true,
    handshakeTimeout: connectTimeoutMs,
  }) : undefined;
  // A TLSSocket made from a socket handed in by 'connection' keeps that socket as _parent.
  const rawOf = (secure: TLSSocket): Socket | undefined => (secure as TLSSocket & { _parent?: Socket })._parent;
  tlsServer?.on('secureConnection', (secure: TLSSocket) => {
    const raw = rawOf(secure);
    if (raw !== undefined) serve(raw, secure);
    else secure.destroy();
  });
  tlsServer?.on('tlsClientError', (error: Error, secure: TLSSocket) => {
    const raw = rawOf(secure);
    log({ kind: 'connection-closed', code: 'TLS_HANDSHAKE_FAILED', message: `TLS handshake failed: ${error.message}`, remote: `${raw?.remoteAddress ?? '?'}:${raw?.remotePort ?? '?'}` });
  });
  const onSocket = (socket: Socket): void => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    limiter.admit(socket);
    if (tlsServer === undefined) return serve(socket, socket);
    // The TLS server wraps the socket in a TLSSocket of its own ('connection' is its input).
    sniffTls(socket, connectTimeoutMs, (raw) => tlsServer.emit('connection', raw), (raw, first) => {
      log({ kind: 'connection-closed', code: 'PLAIN_ON_TLS_PORT', message: 'a client without TLS on the TLS port', remote: `${raw.remoteAddress ?? '?'}:${raw.remotePort ?? '?'}` });
      answerAndClose(raw, plainConnack(first));
    });
  };
  const server: Server = createServer(onSocket);
  server.maxConnections = MAX_SOCKETS_PER_LISTENER;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new BrokerListenError(options.host, options.port, err)));
    server.listen(options.port, options.host, () => resolve());
  }).catch(async (err: unknown) => {
    await new Promise<void>((r) => aedes.close(() => r()));
    throw err;
  });
  // After listening, an accept error (e.g. EMFILE) is logged instead of crashing the board.
  server.on('error', (error: Error) => log({ kind: 'client-error', clientId: null, message: `listener: ${error.message}` }));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    aedes,
    server,
    port,
    secure: tls !== undefined,
    stats: () => limiter.stats(),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => aedes.close(() => r()));
    },
  };
}

/** What an MQTT client that forgot TLS gets: a CONNACK refusal it can print. */
function plainConnack(first: Buffer): Buffer {
  const reason = 'this port speaks MQTT over TLS: connect with TLS and the installation\'s CA (mqtts://, --cafile)';
  let version: 3 | 4 | 5 = 4;
  try {
    version = readConnectVersion(first);
  } catch {
    // not even a CONNECT: answer as 3.1.1
  }
  if (version === 5) return generate({ cmd: 'connack', reasonCode: 0x87, sessionPresent: false, properties: { reasonString: reason } }, { protocolVersion: 5 });
  return Buffer.from([0x20, 0x02, 0x00, 0x05]);
}
