// Caps on the connections one listener holds, per kind and per source address,
// so that a flood of one kind never locks out another:
//  - pending: accepted, not yet logged in (TLS handshake, CONNECT, HTTP headers).
//    When full, the oldest pending connection of the busiest address is closed
//    to make room: a flood pushes itself out, a real client completes its
//    login in milliseconds and leaves the pool;
//  - sessions, by class (members, clients with a token, anonymous clients):
//    each class has its own total and per-address cap; a login beyond them is
//    refused (members are never capped beyond their number: one session each).
import type { Socket } from 'node:net';

export type SessionClass = 'member' | 'client' | 'anonymous';

export interface ConnectionCaps {
  readonly pendingTotal: number;
  readonly pendingPerAddress: number;
  readonly clientTotal: number;
  readonly clientPerAddress: number;
  readonly anonymousTotal: number;
  readonly anonymousPerAddress: number;
}

export const defaultMqttCaps: ConnectionCaps = Object.freeze({
  pendingTotal: 64,
  pendingPerAddress: 16,
  clientTotal: 256,
  clientPerAddress: 64,
  anonymousTotal: 128,
  anonymousPerAddress: 16,
});

/**
 * Largest MQTT packet per kind of connection: a CONNECT and anything before the login is
 * decided; then an anonymous client (reads and small publishes), a client with a token
 * (requests: a command is at most 64 KiB), a member (Raft batches, up to the broker's cap).
 * What a flood can make the board buffer is the number of connections times these.
 */
export const PACKET_BYTES = Object.freeze({ preAuth: 64 * 1024, anonymous: 64 * 1024, client: 256 * 1024 });

/** Hard cap on a listener's sockets: the sum of the caps above and room for members. */
export const MAX_SOCKETS_PER_LISTENER = 1024;

interface Entry {
  readonly address: string;
  state: 'pending' | SessionClass;
}

export interface LimiterEvents {
  /** A pending connection was closed to make room (the flood's). */
  evicted(address: string, reason: string): void;
}

export class ConnectionLimiter {
  // Insertion order is age order: the first pending entry of an address is its oldest.
  private readonly entries = new Map<Socket, Entry>();
  private readonly counts = new Map<string, number>();

  constructor(private readonly caps: ConnectionCaps, private readonly events: LimiterEvents) {}

  /** A new connection: pending until it logs in; may close an older pending one. */
  admit(socket: Socket): void {
    const address = normalise(socket.remoteAddress);
    this.entries.set(socket, { address, state: 'pending' });
    this.bump(address, 'pending', 1);
    socket.once('close', () => this.release(socket));
    const mine = this.count(address, 'pending');
    if (mine > this.caps.pendingPerAddress) this.evictOldestPending(address, `more than ${this.caps.pendingPerAddress} connections from ${address} not logged in`);
    else if (this.total('pending') > this.caps.pendingTotal) this.evictOldestPending(this.busiestPendingAddress(), `more than ${this.caps.pendingTotal} connections not logged in`);
  }

  /** A login succeeded: true when its class has room (then it counts there), false to refuse it. */
  login(socket: Socket, cls: SessionClass): boolean {
    const e = this.entries.get(socket);
    if (e === undefined || e.state !== 'pending') return e !== undefined;
    if (cls !== 'member') {
      const [total, perAddress] = cls === 'client' ? [this.caps.clientTotal, this.caps.clientPerAddress] : [this.caps.anonymousTotal, this.caps.anonymousPerAddress];
      if (this.total(cls) >= total || this.count(e.address, cls) >= perAddress) return false;
    }
    this.bump(e.address, 'pending', -1);
    e.state = cls;
    this.bump(e.address, cls, 1);
    return true;
  }

  stats(): Record<'pending' | SessionClass, number> {
    return { pending: this.total('pending'), member: this.total('member'), client: this.total('client'), anonymous: this.total('anonymous') };
  }

  private release(socket: Socket): void {
    const e = this.entries.get(socket);
    if (e === undefined) return;
    this.entries.delete(socket);
    this.bump(e.address, e.state, -1);
  }

  private evictOldestPending(address: string, reason: string): void {
    for (const [socket, e] of this.entries) {
      if (e.state === 'pending' && e.address === address) {
        this.release(socket);
        socket.destroy();
        this.events.evicted(address, reason);
        return;
      }
    }
  }

  private busiestPendingAddress(): string {
    let best = '';
    let most = -1;
    for (const [key, n] of this.counts) {
      if (!key.startsWith('pending ') || key === 'pending *') continue;
      if (n > most) {
        most = n;
        best = key.slice('pending '.length);
      }
    }
    return best;
  }

  private bump(address: string, state: string, by: number): void {
    for (const key of [`${state} ${address}`, `${state} *`]) {
      const n = (this.counts.get(key) ?? 0) + by;
      if (n <= 0) this.counts.delete(key);
      else this.counts.set(key, n);
    }
  }

  private count(address: string, state: string): number {
    return this.counts.get(`${state} ${address}`) ?? 0;
  }

  private total(state: string): number {
    return this.counts.get(`${state} *`) ?? 0;
  }
}

/** IPv4-mapped IPv6 addresses count as their IPv4 address. */
function normalise(address: string | undefined): string {
  if (address === undefined) return '?';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
