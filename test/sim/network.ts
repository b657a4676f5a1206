// A simulated network: per-message delay (hence reordering), loss, duplication and partitions.
import type { Message, NodeId } from '../../src/raft/types.ts';
import type { SeededRandom } from '../../src/raft/random.ts';

export interface NetworkFaults {
  dropRate: number;
  duplicateRate: number;
  /** Delay in time units is uniform in [1, maxDelay]. */
  maxDelay: number;
  /**
   * Share of messages held on the wire for a long time instead (a stalled TCP
   * connection, a queue behind a dead link): uniform in [longDelayMin, longDelayMax],
   * across elections, crashes and restarts.
   */
  longDelayRate?: number;
  /** A higher long-delay rate for the messages a read depends on (read answers and heartbeat answers). */
  readPathLongDelayRate?: number;
  longDelayMin?: number;
  longDelayMax?: number;
}

interface InFlight {
  /** When it arrives; moved later by stalls and pauses. */
  at: number;
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
  /** Single links cut in both directions ("a>b" and "b>a"): a partial partition. */
  private readonly cutLinks = new Set<string>();
  /**
   * Stalled links ("a>b" → until): everything sent on the link is held and
   * arrives, in order, when the stall ends (a TCP connection stuck behind a dead route).
   */
  private readonly stalls = new Map<string, number>();
  /** Paused receivers → when they resume. */
  private readonly paused = new Map<NodeId, number>();
  /** Messages the adversary holds on the wire until it lets them go (see hold()). */
  private holdIf: ((m: Message) => boolean) | undefined;
  private held: InFlight[] = [];
  readonly counts = { sent: 0, dropped: 0, duplicated: 0, reordered: 0, partitioned: 0, longDelayed: 0, stalled: 0 };
  private lastAt = 0;

  constructor(private readonly rng: SeededRandom, public faults: NetworkFaults) {}

  partition(groups: readonly (readonly NodeId[])[]): void {
    this.group.clear();
    groups.forEach((g, i) => g.forEach((id) => this.group.set(id, i)));
  }

  heal(): void {
    this.group.clear();
    this.cutLinks.clear();
  }

  /** The end of all faults: no more stalls or pauses (what is already on the wire still arrives). */
  healAll(now = 0): void {
    this.heal();
    this.release(now + 1);
    this.stalls.clear();
    this.paused.clear();
  }

  isPartitioned(): boolean {
    return this.group.size > 0 || this.cutLinks.size > 0;
  }

  /** Cuts the link between a and b only (each can still reach everyone else). */
  cutLink(a: NodeId, b: NodeId): void {
    this.cutLinks.add(`${a}>${b}`);
    this.cutLinks.add(`${b}>${a}`);
  }

  /** Holds everything sent from `from` to `to` until `until`; it then arrives in send order. */
  stall(from: NodeId, to: NodeId, until: number): void {
    this.stalls.set(`${from}>${to}`, until);
    for (const f of this.queue) {
      if (f.msg.from === from && f.msg.to === to && f.at < until) f.at = until;
    }
  }

  /** The receiver is paused (SIGSTOP): what reaches it before `until` waits in its socket buffer until then. */
  pause(to: NodeId, until: number): void {
    this.paused.set(to, until);
  }

  isPaused(id: NodeId, now: number): boolean {
    const until = this.paused.get(id);
    if (until === undefined) return false;
    if (until > now) return true;
    this.paused.delete(id);
    return false;
  }

  connected(a: NodeId, b: NodeId): boolean {
    if (this.cutLinks.has(`${a}>${b}`)) return false;
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

  /** From now on, messages matching `pred` stay on the wire until release(). */
  hold(pred: (m: Message) => boolean): void {
    this.holdIf = pred;
  }

  get heldCount(): number {
    return this.held.length;
  }

  /** Stops holding; what was held arrives at `at`, in send order (ahead of anything sent later). */
  release(at: number): void {
    this.holdIf = undefined;
    for (const f of this.held) {
      f.at = at;
      this.queue.push(f);
    }
    this.held = [];
  }

  private enqueue(now: number, m: Message): void {
    if (this.holdIf?.(m)) {
      this.held.push({ at: Infinity, sentAt: now, seq: this.seq++, msg: m });
      return;
    }
    const readPath = m.type === 'read-index-response' || m.type === 'heartbeat-response' || m.type === 'read-index';
    const rate = readPath ? (this.faults.readPathLongDelayRate ?? this.faults.longDelayRate ?? 0) : (this.faults.longDelayRate ?? 0);
    const long = rate > 0 && this.rng.chance(rate);
    const min = this.faults.longDelayMin ?? 0;
    const delay = long ? min + this.rng.nextInt((this.faults.longDelayMax ?? min) - min + 1) : 1 + this.rng.nextInt(this.faults.maxDelay);
    if (long) this.counts.longDelayed++;
    let at = now + Math.max(1, delay);
    const stalledUntil = this.stalls.get(`${m.from}>${m.to}`);
    if (stalledUntil !== undefined) {
      if (stalledUntil > now) {
        at = Math.max(at, stalledUntil);
        this.counts.stalled++;
      } else this.stalls.delete(`${m.from}>${m.to}`);
    }
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
    for (const f of this.queue) {
      if (f.at <= now && this.isPaused(f.msg.to, now)) f.at = this.paused.get(f.msg.to) as number;
      (f.at <= now ? ready : rest).push(f);
    }
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
