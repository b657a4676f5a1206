// The MQTT broker every board embeds (aedes on a plain TCP listener).
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AedesOptions } from 'aedes';

export interface BrokerOptions {
  host: string;
  port: number;
  /** Hooks for authentication and authorization, passed to aedes as is. */
  hooks?: Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'preConnect'>;
}

export interface RunningBroker {
  readonly aedes: Aedes;
  readonly server: Server;
  /** The port actually bound (differs from the option when it was 0). */
  readonly port: number;
  close(): Promise<void>;
}

export class BrokerListenError extends Error {
  readonly code: string;
  constructor(host: string, port: number, cause: NodeJS.ErrnoException) {
    const why = cause.code === 'EADDRINUSE' ? 'the port is already in use'
      : cause.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)'
      : cause.message;
    super(`MQTT broker cannot listen on ${host}:${port}: ${why}`);
    this.code = cause.code === 'EADDRINUSE' ? 'PORT_IN_USE' : 'LISTEN_FAILED';
  }
}

export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const aedes = await Aedes.createBroker({
    // Bounded per-client queue: a slow subscriber loses QoS 0 traffic instead of growing memory.
    queueLimit: 256,
    heartbeatInterval: 60_000,
    connectTimeout: 10_000,
    ...options.hooks,
  });
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new BrokerListenError(options.host, options.port, err)));
    server.listen(options.port, options.host, () => resolve());
  }).catch(async (err: unknown) => {
    await new Promise<void>((r) => aedes.close(() => r()));
    throw err;
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    aedes,
    server,
    port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => aedes.close(() => r()));
    },
  };
}
