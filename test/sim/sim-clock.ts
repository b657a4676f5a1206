// Simulated time for the deterministic simulation. Every board gets its own
// BoardClock over one shared timeline; a board that crashes has its clock
// killed (its timers never fire again), one that is paused (SIGSTOP) runs no
// timer until it resumes. Work is run to quiescence between steps: "soon"
// callbacks and the promise jobs they start (the storage's awaits on the
// simulated disk) all finish before time moves on.
import type { BoardClock, Timer } from '../../src/board/clock.ts';

interface Scheduled {
  at: number;
  readonly seq: number;
  readonly every: number;
  readonly owner: NodeClock;
  readonly fn: () => void;
  cancelled: boolean;
}

/** Loops of settle() before it decides the work does not end (a bug in the code under test). */
const MAX_SETTLE_ROUNDS = 10_000;

export class SimTimeline {
  now = 0;
  private seq = 0;
  private timers: Scheduled[] = [];
  private soonQueue: { owner: NodeClock; fn: () => void }[] = [];

  clockFor(name: string): NodeClock {
    return new NodeClock(this, name);
  }

  schedule(owner: NodeClock, delay: number, every: number, fn: () => void): Scheduled {
    const t: Scheduled = { at: this.now + Math.max(1, Math.ceil(delay)), seq: this.seq++, every, owner, fn, cancelled: false };
    this.timers.push(t);
    return t;
  }

  queueSoon(owner: NodeClock, fn: () => void): void {
    this.soonQueue.push({ owner, fn });
  }

  /** Fires the timers due now (those of dead or paused boards wait or vanish), in order. */
  fireDue(): void {
    const due = this.timers.filter((t) => !t.cancelled && t.at <= this.now && t.owner.alive && !t.owner.pausedAt(this.now));
    if (due.length === 0) return;
    due.sort((a, b) => a.at - b.at || a.seq - b.seq);
    for (const t of due) {
      if (t.cancelled || !t.owner.alive) continue;
      if (t.every > 0) t.at = this.now + t.every;
      else t.cancelled = true;
      t.owner.run(t.fn);
    }
    this.timers = this.timers.filter((t) => !t.cancelled && t.owner.alive);
  }

  /** Runs soon-callbacks and the promise jobs behind them until nothing is left to do. */
  async settle(): Promise<void> {
    for (let round = 0; round < MAX_SETTLE_ROUNDS; round++) {
      await new Promise<void>((r) => setImmediate(r)); // every pending promise job runs first
      if (this.soonQueue.length === 0) return;
      const batch = this.soonQueue;
      this.soonQueue = [];
      for (const s of batch) if (s.owner.alive && !s.owner.pausedAt(this.now)) s.owner.run(s.fn);
      // A paused board's soon-callbacks wait for it to resume.
      for (const s of batch) if (s.owner.alive && s.owner.pausedAt(this.now)) this.soonQueue.push(s);
      if (this.soonQueue.length > 0 && this.soonQueue.every((s) => s.owner.pausedAt(this.now))) return;
    }
    throw new Error(`simulated work did not settle within ${MAX_SETTLE_ROUNDS} rounds at time ${this.now}`);
  }
}

export class NodeClock implements BoardClock {
  alive = true;
  private pausedUntil = 0;
  /** The first error a callback of this board threw (the harness fails the run on it). */
  thrown: unknown = undefined;

  constructor(private readonly timeline: SimTimeline, readonly name: string) {}

  now(): number {
    return this.timeline.now;
  }

  soon(fn: () => void): void {
    if (this.alive) this.timeline.queueSoon(this, fn);
  }

  after(ms: number, fn: () => void): Timer {
    const t = this.timeline.schedule(this, ms, 0, fn);
    return { cancel: () => void (t.cancelled = true) };
  }

  every(ms: number, fn: () => void): Timer {
    const t = this.timeline.schedule(this, ms, ms, fn);
    return { cancel: () => void (t.cancelled = true) };
  }

  /** The board's process is gone: nothing of it runs again. */
  kill(): void {
    this.alive = false;
  }

  pause(until: number): void {
    this.pausedUntil = until;
  }

  pausedAt(now: number): boolean {
    return now < this.pausedUntil;
  }

  run(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.thrown ??= err;
    }
  }
}
