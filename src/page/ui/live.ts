// The page's connection to its board: server-sent events read with fetch (so a read token
// can travel in the Authorization header, which EventSource cannot send), reconnecting by
// itself with a short backoff, and noticing a stalled connection by the missing keepalives.

export type LinkState = 'connecting' | 'live' | 'reconnecting' | 'unauthorized';

export interface LiveHandlers {
  event(name: string, data: unknown): void;
  state(s: LinkState, detail: string): void;
}

/** The board sends a keepalive every 10 s: twice that without a byte means the link is dead. */
const STALL_MS = 25_000;
const BACKOFF_MS = [300, 600, 1200, 2000, 3000];

export function authHeaders(token: string | null): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

export class LiveLink {
  private abort: AbortController | null = null;
  private failures = 0;
  private stopped = false;
  private retryTimer: number | undefined;

  constructor(private readonly url: string, private readonly token: () => string | null, private readonly h: LiveHandlers) {}

  start(): void {
    this.stopped = false;
    this.failures = 0;
    clearTimeout(this.retryTimer);
    this.abort?.abort();
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.abort?.abort();
  }

  private async run(): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    this.h.state(this.failures === 0 ? 'connecting' : 'reconnecting', '');
    let stall: number | undefined;
    const armStall = (): void => {
      clearTimeout(stall);
      stall = window.setTimeout(() => abort.abort(), STALL_MS);
    };
    try {
      armStall();
      const res = await fetch(this.url, { headers: { accept: 'text/event-stream', ...authHeaders(this.token()) }, cache: 'no-store', signal: abort.signal });
      if (res.status === 401) {
        clearTimeout(stall);
        this.h.state('unauthorized', 'this board needs a token to read');
        return;
      }
      if (!res.ok || res.body === null) throw new Error(`HTTP ${res.status}`);
      this.failures = 0;
      this.h.state('live', '');
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        armStall();
        buffer += value;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          this.dispatch(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
        }
      }
      throw new Error('the board closed the stream');
    } catch (err) {
      clearTimeout(stall);
      if (this.stopped || this.abort !== abort) return;
      const wait = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)]!;
      this.failures++;
      this.h.state('reconnecting', err instanceof Error ? err.message : String(err));
      this.retryTimer = window.setTimeout(() => void this.run(), wait);
    }
  }

  private dispatch(block: string): void {
    let name = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      if (line.startsWith('event: ')) name = line.slice(7);
      else if (line.startsWith('data: ')) data += line.slice(6);
    }
    if (data === '') return;
    try {
      this.h.event(name, JSON.parse(data));
    } catch {
      // A malformed event is skipped; the next full state repairs the page.
    }
  }
}
