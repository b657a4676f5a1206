// A TCP proxy for tests: stands between a board's clients and its MQTT port
// and can hold (delay until released) each direction of each connection, as a
// stalled or frozen route would. Connections are named by the MQTT client that
// opened them (the username of its CONNECT packet: a board's id).
import { createServer, connect, type Server, type Socket } from 'node:net';

/** 'up': what the dialer sends to the proxied server; 'down': what the server sends back. */
export type Direction = 'up' | 'down';

export interface ProxiedConnection {
  /** The dialer's MQTT username (a board id), once its CONNECT was read. */
  dialer: string | null;
  readonly client: Socket;
  readonly server: Socket;
}

type HoldRule = (c: ProxiedConnection, dir: Direction) => boolean;

interface Pipe {
  readonly conn: ProxiedConnection;
  readonly dir: Direction;
  readonly from: Socket;
  readonly to: Socket;
  held: Buffer[];
}

/** Reads the username out of an MQTT 3.1.1/5 CONNECT packet; null when not (yet) readable. */
export function connectUsername(buf: Buffer): string | null {
  if (buf.length < 2 || buf[0] !== 0x10) return null;
  let i = 1;
  let mult = 1;
  let remaining = 0;
  for (;;) {
    if (i >= buf.length) return null;
    const b = buf[i++]!;
    remaining += (b & 0x7f) * mult;
    mult *= 128;
    if ((b & 0x80) === 0) break;
  }
  if (buf.length < i + remaining) return null;
  const str = (at: number): [string, number] => {
    const len = buf.readUInt16BE(at);
    return [buf.subarray(at + 2, at + 2 + len).toString('utf8'), at + 2 + len];
  };
  let [, p] = str(i); // protocol name
  const level = buf[p]!;
  const flags = buf[p + 1]!;
  p += 4; // level, flags, keepalive
  if (level === 5) p = skipProperties(buf, p);
  [, p] = str(p); // client id
  if (flags & 0x04) {
    if (level === 5) p = skipProperties(buf, p); // will properties
    [, p] = str(p); // will topic
    [, p] = str(p); // will payload
  }
  if (!(flags & 0x80)) return '';
  return str(p)[0];
}

export class TcpProxy {
  readonly connections: ProxiedConnection[] = [];
  private readonly pipes: Pipe[] = [];
  private rule: HoldRule = () => false;
  private blackhole = false;

  /** The proxied port; may be set after start (before the first connection). */
  targetPort: number;

  private constructor(private readonly server: Server, readonly port: number, targetPort: number) {
    this.targetPort = targetPort;
  }

  static async start(targetPort: number, host = '127.0.0.1'): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => proxy?.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    const addr = server.address();
    if (addr === null || typeof addr === 'string') throw new Error('proxy has no port');
    proxy = new TcpProxy(server, addr.port, targetPort);
    return proxy;
  }

  /** Hold every chunk for which `rule` says so, until release() (or a new rule) lets it go. */
  hold(rule: HoldRule): void {
    this.rule = rule;
    this.flush();
  }

  /** Stop holding; what was held is forwarded now, in order. */
  release(): void {
    this.rule = () => false;
    this.flush();
  }

  /** Nothing passes, and new connections hang (a route that drops every packet); undone by release(). */
  blackholeAll(on: boolean): void {
    this.blackhole = on;
    if (on) this.rule = () => true;
    else this.release();
  }

  async close(): Promise<void> {
    for (const c of this.connections) {
      c.client.destroy();
      c.server.destroy();
    }
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private accept(client: Socket): void {
    client.setNoDelay(true);
    const server = connect({ host: '127.0.0.1', port: this.targetPort });
    server.setNoDelay(true);
    const conn: ProxiedConnection = { dialer: null, client, server };
    this.connections.push(conn);
    const up: Pipe = { conn, dir: 'up', from: client, to: server, held: [] };
    const down: Pipe = { conn, dir: 'down', from: server, to: client, held: [] };
    this.pipes.push(up, down);
    let first = Buffer.alloc(0);
    client.on('data', (d: Buffer) => {
      if (conn.dialer === null) {
        first = Buffer.concat([first, d]);
        conn.dialer = connectUsername(first);
      }
      this.forward(up, d);
    });
    server.on('data', (d: Buffer) => this.forward(down, d));
    const end = (): void => {
      client.destroy();
      server.destroy();
      const i = this.connections.indexOf(conn);
      if (i >= 0) this.connections.splice(i, 1);
      for (const p of [up, down]) {
        const j = this.pipes.indexOf(p);
        if (j >= 0) this.pipes.splice(j, 1);
      }
    };
    client.on('error', end);
    server.on('error', end);
    client.on('close', end);
    server.on('close', end);
  }

  private forward(p: Pipe, d: Buffer): void {
    if (this.blackhole || p.held.length > 0 || this.rule(p.conn, p.dir)) p.held.push(d);
    else p.to.write(d);
  }

  private flush(): void {
    for (const p of this.pipes) {
      if (p.held.length === 0 || this.blackhole || this.rule(p.conn, p.dir)) continue;
      for (const d of p.held.splice(0)) p.to.write(d);
    }
  }
}

/** MQTT 5: skips a property block (a variable-byte length, then that many bytes); returns the offset after it. */
function skipProperties(buf: Uint8Array, at: number): number {
  let p = at;
  let len = 0;
  let m = 1;
  for (;;) {
    const b = buf[p++]!;
    len += (b & 0x7f) * m;
    m *= 128;
    if ((b & 0x80) === 0) break;
  }
  return p + len;
}
