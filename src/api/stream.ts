// GET /v1/stream: server-sent events for the installer's page, from the board's own HTTP
// server (so it works over HTTPS and follows the same read rule as REST). A client first
// gets the state it starts from, then every live event. Bounded: at most MAX_STREAM_CLIENTS
// at once, and a client whose socket holds more than STREAM_BUFFER_CAP_BYTES unsent is cut
// off (it reconnects and starts over) instead of the board buffering for it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, errorBody } from './errors.ts';
import { sendJson } from './http-server.ts';
import type { ReadAccess } from './read-access.ts';

export const MAX_STREAM_CLIENTS = 8;
export const STREAM_BUFFER_CAP_BYTES = 1024 * 1024;
/** A comment line this often keeps proxies and the page's stall detector content. */
export const STREAM_KEEPALIVE_MS = 10_000;

export interface LiveEvent {
  readonly event: string;
  readonly data: unknown;
}

export interface LiveSource {
  /** What a new client starts from. */
  initial(): LiveEvent[];
  /** Live events until the returned function is called. */
  subscribe(send: (e: LiveEvent) => void): () => void;
}

export function formatEvent(e: LiveEvent): string {
  return `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

export class LiveStream {
  private readonly clients = new Set<ServerResponse>();
  private unsubscribe: (() => void) | null = null;
  private keepalive: NodeJS.Timeout | null = null;
  readonly counters = { opened: 0, refused: 0, cutOff: 0 };

  constructor(private readonly source: LiveSource, private readonly mayRead: ReadAccess) {}

  get size(): number {
    return this.clients.size;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    if (!this.mayRead(req)) {
      sendJson(res, 401, errorBody(new ApiError('UNAUTHORIZED', 401, 'reading this board needs "Authorization: Bearer <token>"')), {
        'www-authenticate': 'Bearer realm="raftlight"',
      });
      return;
    }
    if (this.clients.size >= MAX_STREAM_CLIENTS) {
      this.counters.refused++;
      sendJson(res, 503, errorBody(new ApiError('TOO_MANY_STREAMS', 503, `this board serves at most ${MAX_STREAM_CLIENTS} live pages at once`)), {
        'retry-after': '5',
      });
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.socket?.setNoDelay(true);
    this.counters.opened++;
    this.clients.add(res);
    res.on('close', () => this.drop(res));
    if (this.unsubscribe === null) this.unsubscribe = this.source.subscribe((e) => this.broadcast(formatEvent(e)));
    this.keepalive ??= setInterval(() => this.broadcast(': keepalive\n\n'), STREAM_KEEPALIVE_MS);
    this.write(res, 'retry: 1000\n\n' + this.source.initial().map(formatEvent).join(''));
  }

  closeAll(): void {
    for (const res of this.clients) res.destroy();
    this.clients.clear();
    this.idle();
  }

  private broadcast(text: string): void {
    for (const res of this.clients) this.write(res, text);
  }

  private write(res: ServerResponse, text: string): void {
    if (res.writableLength > STREAM_BUFFER_CAP_BYTES) {
      this.counters.cutOff++;
      res.destroy();
      this.drop(res);
      return;
    }
    res.write(text);
  }

  private drop(res: ServerResponse): void {
    if (!this.clients.delete(res)) return;
    if (this.clients.size === 0) this.idle();
  }

  private idle(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.keepalive) clearInterval(this.keepalive);
    this.keepalive = null;
  }
}
