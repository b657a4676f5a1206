// Propagation delay: one MQTT subscription per board to raftlight/<cluster>/events;
// a revision has propagated when every board has published its event.
import mqtt, { type MqttClient } from 'mqtt';

interface Arrival {
  boards: number;
  first: number;
  last: number;
}

/** Cap: revisions tracked at once; the oldest are dropped first (a soak writes ~100/s, this holds > 1 h of them). */
export const MAX_TRACKED_REVISIONS = 500_000;

export class PropagationWatcher {
  private readonly clients = new Map<string, MqttClient>();
  private readonly arrivals = new Map<number, Arrival>();
  private readonly seenBy = new Map<string, number>();
  malformed = 0;

  constructor(private readonly cluster: string) {}

  /** Subscribes to one board's broker; resolves once subscribed (or after 30 s, counted as not watching). */
  watch(boardId: string, host: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const c = mqtt.connect({ host, port, protocolVersion: 4, clientId: `bench-${process.pid}-${boardId}`, reconnectPeriod: 1000, connectTimeout: 5000 });
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
    this.seenBy.set(boardId, Math.max(this.seenBy.get(boardId) ?? 0, revision));
    const a = this.arrivals.get(revision);
    if (a) {
      a.boards++;
      a.last = now;
      return;
    }
    if (this.arrivals.size >= MAX_TRACKED_REVISIONS) {
      const oldest = this.arrivals.keys().next().value;
      if (oldest !== undefined) this.arrivals.delete(oldest);
    }
    this.arrivals.set(revision, { boards: 1, first: now, last: now });
  }

  /** When the revision had reached `boards` boards (ms epoch), or null if it has not (yet). */
  completedAt(revision: number, boards: number): number | null {
    const a = this.arrivals.get(revision);
    return a && a.boards >= boards ? a.last : null;
  }

  arrivalsOf(revision: number): number {
    return this.arrivals.get(revision)?.boards ?? 0;
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => new Promise<void>((r) => c.end(true, {}, () => r()))));
    this.clients.clear();
  }
}
