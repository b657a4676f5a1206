// The leader's propagation figures: how long after the leader knew an entry committed each
// board applied it, and how long until every board had. (The leader's own apply comes after
// its fsync of the same batch, often after its followers': commit is the fair start.) Boards
// report "applied index I, N ms before this report left" (apply marks); the leader places
// that on its own clock at the report's arrival, so no clocks are compared (the error is the
// report's one-way transit, which makes a delay look longer, never shorter).
import { DelayAccumulator, DelayRing } from './telemetry-series.ts';

/** The leader's commit times kept for matching marks (entries, newest). */
export const LEADER_COMMIT_WINDOW = 1024;
/** Entries waiting for every board's mark at once; the oldest is given up first. */
export const MAX_PENDING_ENTRIES = 64;
/** An entry not marked by every board within this long is given up (a board is down or slow). */
export const PENDING_TIMEOUT_MS = 30_000;

interface Pending {
  readonly leaderAt: number;
  readonly seen: Set<string>;
  maxUs: number;
}

export class PropagationTracker {
  private readonly appliedAt = new Float64Array(LEADER_COMMIT_WINDOW);
  private readonly appliedIndex = new Float64Array(LEADER_COMMIT_WINDOW);
  private readonly pending = new Map<number, Pending>();
  private readonly bucket = new DelayAccumulator();
  readonly history = new DelayRing();
  /** Entries given up (not every board marked them in time). */
  incomplete = 0;

  /** The leader knew `index` committed at `atMs`. */
  leaderCommitted(index: number, atMs: number): void {
    const slot = index % LEADER_COMMIT_WINDOW;
    this.appliedIndex[slot] = index;
    this.appliedAt[slot] = atMs;
  }

  /**
   * A board applied `index` at `atMs` (leader clock); `expected` boards besides the leader
   * must mark an entry before it counts as applied everywhere. Returns this board's delay
   * in µs, or null when the leader no longer remembers the entry.
   */
  mark(board: string, index: number, atMs: number, expected: number): number | null {
    const slot = index % LEADER_COMMIT_WINDOW;
    if (this.appliedIndex[slot] !== index) return null;
    const leaderAt = this.appliedAt[slot]!;
    const us = Math.max(0, Math.round((atMs - leaderAt) * 1000));
    let p = this.pending.get(index);
    if (p === undefined) {
      if (this.pending.size >= MAX_PENDING_ENTRIES) this.giveUpOldest();
      p = { leaderAt, seen: new Set(), maxUs: 0 };
      this.pending.set(index, p);
    }
    p.seen.add(board);
    if (us > p.maxUs) p.maxUs = us;
    if (p.seen.size >= expected) {
      this.bucket.add(p.maxUs);
      this.pending.delete(index);
    }
    return us;
  }

  /** Closes a 10-second period (and gives up entries that waited too long). */
  sample(nowMs: number): void {
    for (const [index, p] of this.pending) {
      if (nowMs - p.leaderAt > PENDING_TIMEOUT_MS) {
        this.pending.delete(index);
        this.incomplete++;
      }
    }
    this.history.push(nowMs, this.bucket.take());
  }

  /** A new term: forget what was pending (the history stays with this board). */
  reset(): void {
    this.pending.clear();
    this.appliedIndex.fill(0);
  }

  private giveUpOldest(): void {
    const oldest = this.pending.keys().next();
    if (!oldest.done) {
      this.pending.delete(oldest.value);
      this.incomplete++;
    }
  }
}
