// The REST listener (node:http, or node:https when a certificate is configured).
// One TCP listener accepts every connection, applies the connection caps
// (http-limits.ts), and hands the socket to the HTTP or HTTPS server; a client
// that speaks plain HTTP to the HTTPS port gets a readable 400.
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { ListenError } from '../transport/listen-error.ts';
import { answerAndClose, plainHttpOnTlsPort, sniffTls } from '../transport/tls-sniff.ts';
import { HttpConnectionLimiter, defaultHttpCaps, type HttpCaps } from './http-limits.ts';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface HttpListenOptions {
  host: string;
  port: number;
  tls?: { cert: Buffer | string; key: Buffer | string } | undefined;
  caps?: Partial<HttpCaps>;
  /** TLS handshakes that failed (peer address and reason). */
  onTlsError?: (remote: string, reason: string) => void;
}

export interface RunningHttp {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

/** The REST port could not be bound (PORT_IN_USE, LISTEN_FAILED). */
export class HttpListenError extends ListenError {
  constructor(host: string, port: number, cause: NodeJS.ErrnoException) {
    super('REST API', host, port, cause);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export async function listenHttp(options: HttpListenOptions, handler: Handler): Promise<RunningHttp> {
  const caps = { ...defaultHttpCaps, ...options.caps };
  const limiter = new HttpConnectionLimiter(caps);
  /** The TCP socket under a request (an HTTPS request's TLSSocket keeps it as _parent). */
  const rawOf = (s: Socket): Socket => (s as TLSSocket & { _parent?: Socket })._parent ?? s;
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const done = limiter.begin(rawOf(req.socket), req);
    res.once('close', done);
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: { code: 'INTERNAL', message: (err as Error).message } });
        else res.destroy();
      });
  };
  // Header and request timeouts are the limiter's (this server never listens, so node does not sweep them).
  const serverOptions = { keepAliveTimeout: caps.keepAliveTimeoutMs };
  const http: HttpServer = options.tls
    ? (createHttpsServer({ cert: options.tls.cert, key: options.tls.key, ...serverOptions, handshakeTimeout: caps.headersTimeoutMs }, onRequest) as unknown as HttpServer)
    : createHttpServer(serverOptions, onRequest);
  http.on('tlsClientError', (error: Error, socket: TLSSocket) => {
    const raw = rawOf(socket);
    options.onTlsError?.(`${raw.remoteAddress ?? '?'}:${raw.remotePort ?? '?'}`, error.message);
  });
  const sockets = new Set<Socket>();
  const server = createNetServer((socket: Socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => { /* close follows */ });
    limiter.admit(socket);
    if (socket.destroyed) return;
    if (!options.tls) return void http.emit('connection', socket);
    sniffTls(socket, caps.headersTimeoutMs, (raw) => http.emit('connection', raw), (raw) => answerAndClose(raw, plainHttpOnTlsPort()));
  });
  // A last resort against file-descriptor exhaustion; the limiter keeps far fewer.
  server.maxConnections = caps.total * 4;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new HttpListenError(options.host, options.port, err)));
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    server,
    port,
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets) s.destroy();
      http.closeAllConnections();
      await closed;
    },
  };
}
