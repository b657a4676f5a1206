// Propagation delay: one subscription per board (raftlight: MQTT on
// raftlight/<cluster>/events; etcd: a watch per member, see etcd-watch.ts);
// a revision has propagated when every board has reported it.
import mqtt, { type MqttClient } from 'mqtt';

const CHUNK = 65_536;
/** Cap: revisions tracked at once (10 bytes each); the oldest chunk is dropped first (a soak writes ~100/s: > 2 h). */
export const MAX_TRACKED_REVISIONS = 16 * CHUNK;

/** Per revision: how many boards published its event, and when the last one did (chunks of typed arrays). */
class Arrivals {
  private readonly chunks = new Map<number, { boards: Uint16Array; last: Float64Array }>();

  add(revision: number, now: number): void {
    const key = Math.floor(revision / CHUNK);
    let c = this.chunks.get(key);
    if (c === undefined) {
      if (this.chunks.size >= MAX_TRACKED_REVISIONS / CHUNK) this.chunks.delete(Math.min(...this.chunks.keys()));
      c = { boards: new Uint16Array(CHUNK), last: new Float64Array(CHUNK) };
      this.chunks.set(key, c);
    }
    const i = revision % CHUNK;
    if (c.boards[i]! < 0xffff) c.boards[i]!++;
    c.last[i] = now;
  }

  boards(revision: number): number {
    return this.chunks.get(Math.floor(revision / CHUNK))?.boards[revision % CHUNK] ?? 0;
  }

  last(revision: number): number {
    return this.chunks.get(Math.floor(revision / CHUNK))?.last[revision % CHUNK] ?? 0;
  }
}

export class PropagationWatcher {
  private readonly clients = new Map<string, MqttClient>();
  private readonly closers: (() => Promise<void>)[] = [];
  private readonly arrivals = new Arrivals();
  private readonly seenBy = new Map<string, number>();
  malformed = 0;

  constructor(private readonly cluster: string, private readonly tls: { ca?: Buffer } = {}) {}

  /** Subscribes to one board's broker; resolves once subscribed (or after 30 s, counted as not watching). */
  watch(boardId: string, host: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const c = mqtt.connect({
        host, port, protocolVersion: 4, clientId: `bench-${process.pid}-${boardId}`, reconnectPeriod: 1000, connectTimeout: 5000,
        ...(this.tls.ca ? { protocol: 'mqtts' as const, ca: this.tls.ca } : {}),
      });
      this.clients.set(boardId, c);
      const timer = setTimeout(() => resolve(false), 30_000);
      c.on('connect', () => {
        c.subscribe(`raftlight/${this.cluster}/events`, { qos: 0 }, (err) => {
          clearTimeout(timer);
          resolve(!err);
        });
      });
      c.on('error', () => undefined);
      c.on('message', (_topic, payload) => this.onEvent(boardId, payload));
    });
  }

  private onEvent(boardId: string, payload: Buffer): void {
    const now = Date.now();
    let revision: unknown;
    try {
      revision = (JSON.parse(payload.toString('utf8')) as { revision?: unknown }).revision;
    } catch {
      this.malformed++;
      return;
    }
    if (typeof revision !== 'number') {
      this.malformed++;
      return;
    }
    if (!Number.isSafeInteger(revision) || revision < 0) {
      this.malformed++;
      return;
    }
    this.record(boardId, revision, now);
  }

  /** One board reported a revision (each board reports each revision once). */
  record(boardId: string, revision: number, now = Date.now()): void {
    this.seenBy.set(boardId, Math.max(this.seenBy.get(boardId) ?? 0, revision));
    this.arrivals.add(revision, now);
  }

  /** A source other than MQTT (an etcd watch) registers how to close it. */
  onClose(closer: () => Promise<void>): void {
    this.closers.push(closer);
  }

  /** When the revision had reached `boards` boards (ms epoch), or null if it has not (yet). */
  completedAt(revision: number, boards: number): number | null {
    return this.arrivals.boards(revision) >= boards ? this.arrivals.last(revision) : null;
  }

  arrivalsOf(revision: number): number {
    return this.arrivals.boards(revision);
  }

  async close(): Promise<void> {
    await Promise.all([
      ...[...this.clients.values()].map((c) => new Promise<void>((r) => c.end(true, {}, () => r()))),
      ...this.closers.splice(0).map((close) => close()),
    ]);
    this.clients.clear();
  }
}
