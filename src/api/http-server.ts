// The REST listener (node:http, or node:https when a certificate is configured).
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { ListenError } from '../transport/listen-error.ts';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface HttpListenOptions {
  host: string;
  port: number;
  tls?: { cert: Buffer | string; key: Buffer | string } | undefined;
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
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: { code: 'INTERNAL', message: (err as Error).message } });
        else res.destroy();
      });
  };
  const server: Server = options.tls
    ? (createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, onRequest) as unknown as Server)
    : createHttpServer(onRequest);
  // Caps: idle keep-alive sockets close after 5 s, header size is node's default 16 KiB.
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 30_000;
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    s.setNoDelay(true);
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
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
      await closed;
    },
  };
}
