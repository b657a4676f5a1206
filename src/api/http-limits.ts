// Caps on the REST listener's connections. Each address holds at most
// perAddress connections and the listener at most total; beyond that the
// oldest idle connection (no request being answered: still sending headers,
// or kept alive between requests) of the busiest address is closed, so a
// slow-header flood from one address cannot starve the others. The limiter
// also keeps the timeouts (the HTTP server is fed sockets and never listens
// itself, so node's own header and request timeouts are not swept):
//  - an idle connection (before its first request, between requests) must
//    deliver a request's headers within headersTimeoutMs;
//  - a request's body must arrive within requestTimeoutMs.
// Responses may take as long as they need (event streams).
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

export interface HttpCaps {
  readonly total: number;
  readonly perAddress: number;
  /** All headers of a request must arrive within this (node closes the connection with 408). */
  readonly headersTimeoutMs: number;
  /** The whole request, body included. */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
}

// Per address: room for an integration server's keep-alive pool (the bench's 64 writers) —
// a new connection is refused only when every connection of its address is answering a request.
export const defaultHttpCaps: HttpCaps = Object.freeze({
  total: 256,
  perAddress: 128,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
});

interface Entry {
  readonly address: string;
  busy: number;
  timer: NodeJS.Timeout | undefined;
}

export class HttpConnectionLimiter {
  private readonly entries = new Map<Socket, Entry>();
  private readonly perAddress = new Map<string, number>();
  evictions = 0;

  constructor(private readonly caps: HttpCaps) {}

  admit(socket: Socket): void {
    const address = (socket.remoteAddress ?? '?').replace(/^::ffff:/, '');
    const entry: Entry = { address, busy: 0, timer: undefined };
    this.entries.set(socket, entry);
    this.idle(socket, entry);
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    socket.once('close', () => this.release(socket));
    if ((this.perAddress.get(address) ?? 0) > this.caps.perAddress) this.evict(address, socket);
    else if (this.entries.size > this.caps.total) this.evict(this.busiest(), socket);
  }

  /** A request's headers arrived on this connection: it is busy until its response ends (call the result then). */
  begin(socket: Socket, req: IncomingMessage): () => void {
    const e = this.entries.get(socket);
    if (e === undefined) return () => undefined;
    e.busy++;
    clearTimeout(e.timer);
    e.timer = undefined;
    const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
    if (hasBody) {
      e.timer = setTimeout(() => socket.destroy(), this.caps.requestTimeoutMs);
      e.timer.unref();
      req.once('end', () => {
        clearTimeout(e.timer);
        e.timer = undefined;
      });
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      e.busy--;
      if (e.busy === 0 && this.entries.get(socket) === e) this.idle(socket, e);
    };
  }

  private idle(socket: Socket, e: Entry): void {
    clearTimeout(e.timer);
    e.timer = setTimeout(() => socket.destroy(), this.caps.headersTimeoutMs);
    e.timer.unref();
  }

  private evict(address: string, newest: Socket): void {
    for (const [socket, e] of this.entries) {
      if (e.address === address && e.busy === 0) {
        this.release(socket);
        socket.destroy();
        this.evictions++;
        return;
      }
    }
    // Everything from there is busy answering: the newcomer waits its turn elsewhere.
    this.release(newest);
    newest.destroy();
    this.evictions++;
  }

  private busiest(): string {
    let best = '';
    let most = -1;
    for (const [address, n] of this.perAddress) if (n > most) [best, most] = [address, n];
    return best;
  }

  private release(socket: Socket): void {
    const e = this.entries.get(socket);
    if (e === undefined) return;
    clearTimeout(e.timer);
    this.entries.delete(socket);
    const n = (this.perAddress.get(e.address) ?? 1) - 1;
    if (n <= 0) this.perAddress.delete(e.address);
    else this.perAddress.set(e.address, n);
  }
}
