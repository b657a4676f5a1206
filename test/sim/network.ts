// A simulated network: per-message delay (hence reordering), loss, duplication and partitions.
import type { Message, NodeId } from '../../src/raft/types.ts';
import type { SeededRandom } from '../../src/raft/random.ts';

export interface NetworkFaults {
  dropRate: number;
  duplicateRate: number;
  /** Delay in time units is uniform in [1, maxDelay]. */
  maxDelay: number;
}

interface InFlight {
  readonly at: number;
  /** When the sender handed it over; a power cut in the same time unit loses it. */
  readonly sentAt: number;
  readonly seq: number;
  readonly msg: Message;
}

/** Cap on messages in flight: beyond it new messages are lost (as a full socket buffer would). */
export const maxInFlight = 20_000;

export class SimNetwork {
  private queue: InFlight[] = [];
  private seq = 0;
  /** Nodes in different groups cannot talk; empty = fully connected. */
  private group = new Map<NodeId, number>();
  readonly counts = { sent: 0, dropped: 0, duplicated: 0, reordered: 0, partitioned: 0 };
  private lastAt = 0;

  constructor(private readonly rng: SeededRandom, public faults: NetworkFaults) {}

  partition(groups: readonly (readonly NodeId[])[]): void {
    this.group.clear();
    groups.forEach((g, i) => g.forEach((id) => this.group.set(id, i)));
  }

  heal(): void {
    this.group.clear();
  }

  isPartitioned(): boolean {
    return this.group.size > 0;
  }

  connected(a: NodeId, b: NodeId): boolean {
    if (this.group.size === 0) return true;
    return (this.group.get(a) ?? -1) === (this.group.get(b) ?? -1);
  }

  send(now: number, m: Message): void {
    this.counts.sent++;
    if (!this.connected(m.from, m.to)) {
      this.counts.partitioned++;
      return;
    }
    if (this.rng.chance(this.faults.dropRate) || this.queue.length >= maxInFlight) {
      this.counts.dropped++;
      return;
    }
    this.enqueue(now, m);
    if (this.rng.chance(this.faults.duplicateRate)) {
      this.counts.duplicated++;
      this.enqueue(now, m);
    }
  }

  private enqueue(now: number, m: Message): void {
    const at = now + 1 + this.rng.nextInt(this.faults.maxDelay);
    if (at < this.lastAt) this.counts.reordered++;
    this.lastAt = at;
    this.queue.push({ at, sentAt: now, seq: this.seq++, msg: m });
  }

  /**
   * A power cut: messages `from` handed over at or after `since` were still in the
   * board's send buffer and never reach the wire. Returns how many were lost.
   */
  powerCut(from: NodeId, since: number): number {
    const before = this.queue.length;
    this.queue = this.queue.filter((f) => f.msg.from !== from || f.sentAt < since);
    const lost = before - this.queue.length;
    this.counts.dropped += lost;
    return lost;
  }

  /** Messages due at `now`, in delivery order; those crossing a partition are lost. */
  due(now: number): Message[] {
    const ready: InFlight[] = [];
    const rest: InFlight[] = [];
    for (const f of this.queue) (f.at <= now ? ready : rest).push(f);
    if (ready.length === 0) return [];
    this.queue = rest;
    ready.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const out: Message[] = [];
    for (const f of ready) {
      if (this.connected(f.msg.from, f.msg.to)) out.push(f.msg);
      else this.counts.partitioned++;
    }
    return out;
  }

  get inFlight(): number {
    return this.queue.length;
  }
}
