// The MQTT broker every board embeds: aedes behind a front end that also serves MQTT 5 clients
// (aedes 1.2 speaks only 3.1/3.1.1; see mqtt5/front-end.ts), on TCP or, with certificates, TLS.
// It can also answer requests published under a command prefix (mqtt5/request-gateway.ts).
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { ListenError } from './listen-error.ts';
import './mqtt-packet-numbers.ts';
import { Aedes, type Client } from 'aedes';
import type { AedesLink } from './mqtt5/aedes-link.ts';
import { composeHooks, type BrokerHooks } from './mqtt5/broker-hooks.ts';
import { logToStderr, type BrokerLogger } from './mqtt5/broker-log.ts';
import { acceptConnection } from './mqtt5/front-end.ts';
import { PropertyEnvelope } from './mqtt5/property-envelope.ts';
import { RequestGateway, type RequestOptions } from './mqtt5/request-gateway.ts';

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
  /** Simultaneous client connections; more are refused by the listener. Default 1,000. */
  maxConnections?: number;
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

export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const log = options.log ?? logToStderr;
  const maxPacketSize = options.maxPacketSize ?? defaultMaxPacketSize;
  const envelope = new PropertyEnvelope();
  // Internal streams of MQTT 5 sessions; weak, so a closed session leaves nothing behind.
  const v5Links = new WeakSet<object>();
  let gateway: RequestGateway | undefined;
  const composed = composeHooks(options.hooks, {
    envelope,
    isV5Session: (client: Client) => v5Links.has(client.conn),
    gateway: () => gateway,
  });
  const aedes = await Aedes.createBroker({
    // Bounded per-client queue of packets received before CONNECT completes.
    queueLimit: 256,
    // A client whose socket stays full this long is disconnected (bounds what waits for it).
    drainTimeout: 30_000,
    heartbeatInterval: 60_000,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    ...composed.hooks,
  });
  if (options.requests) gateway = new RequestGateway(aedes, options.requests, composed.authorizePublish, log);
  const clientError = (client: Client | null, error: Error): void => {
    log({ kind: 'client-error', clientId: client?.id ?? null, message: error.message });
  };
  aedes.on('clientError', clientError);
  aedes.on('connectionError', clientError);

  const sockets = new Set<Socket>();
  const onSocket = (socket: Socket): void => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    acceptConnection(socket, {
      aedes,
      maxPacketSize,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      log,
      v5: {
        aedes,
        envelope,
        limits: { maxPacketSize, receiveMaximum: v5ReceiveMaximum, maxPendingSubscriptions: v5MaxPendingSubscriptions },
        registerLink: (link: AedesLink) => { v5Links.add(link); },
      },
    });
  };
  const tls = options.tls;
  const server: Server = tls
    ? createTlsServer({
      key: tls.key, cert: tls.cert, ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
      requestCert: tls.requireClientCert === true, rejectUnauthorized: tls.requireClientCert === true,
    }, onSocket).on('tlsClientError', (error: Error, socket: Socket) => {
      log({ kind: 'connection-closed', code: 'MALFORMED_PACKET', message: `TLS handshake failed: ${error.message}`, remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}` });
    })
    : createServer(onSocket);
  server.maxConnections = options.maxConnections ?? 1_000;

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
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => aedes.close(() => r()));
    },
  };
}
