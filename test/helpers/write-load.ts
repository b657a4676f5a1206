// A constant write load on an installation of real boards: a few writers create objects one
// after another through the current voters (external boards take no writes), remember every
// write a board acknowledged (201) and when, and afterwards check that every acknowledged write
// is present and measure the stretches without a successful write.
import type { Installation } from '../../src/bench/launcher.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface WriteLoadOptions {
  /** Concurrent writers (each waits for its write before the next). */
  readonly writers?: number;
  /** Pause after each write of one writer. */
  readonly pauseMs?: number;
  /** Prefix of the objects' ids (one installation may carry several loads in turn). */
  readonly prefix?: string;
}

export class WriteLoad {
  /** Acknowledged writes: object id and when the acknowledgement arrived (performance.now()). */
  readonly acked: Array<{ id: string; at: number }> = [];
  failed = 0;
  readonly startedAt = performance.now();
  private voters: string[] = [];
  private running = true;
  private readonly done: Promise<void>;

  constructor(private readonly inst: Installation, private readonly o: WriteLoadOptions = {}) {
    this.done = Promise.all([this.followVoters(), ...Array.from({ length: o.writers ?? 3 }, (_, i) => this.writer(i))]).then(() => undefined);
  }

  /** The voters as the leader (else any running board) sees them, refreshed every 200 ms. */
  private async followVoters(): Promise<void> {
    while (this.running) {
      const running = [...this.inst.boards.keys()].filter((id) => this.inst.isRunning(id));
      let found: string[] | null = null;
      for (const id of running) {
        const s = await this.inst.status(id);
        if (s && Array.isArray(s.voters)) {
          found = s.voters as string[];
          if (s.raftRole === 'leader') break;
        }
      }
      if (found) this.voters = found;
      await sleep(200);
    }
  }

  private async writer(w: number): Promise<void> {
    let n = 0;
    let turn = w;
    while (this.running) {
      const targets = this.voters.filter((id) => this.inst.boards.has(id) && this.inst.isRunning(id));
      if (targets.length === 0) {
        await sleep(20);
        continue;
      }
      const via = targets[turn++ % targets.length]!;
      const id = `${this.o.prefix ?? 'load'}-${w}-${n}`;
      try {
        const r = await this.inst.json(via, '/v1/areas', {
          method: 'POST', headers: { 'content-type': 'application/json', 'request-id': id },
          body: JSON.stringify({ id, name: id, type: 'room', parent: null }),
        });
        if (r.status === 201) {
          this.acked.push({ id, at: performance.now() });
          n++;
        } else {
          this.failed++;
          await sleep(10);
        }
      } catch {
        this.failed++;
        await sleep(10);
      }
      await sleep(this.o.pauseMs ?? 10);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  /** Times of acknowledgements, in order. */
  private times(): number[] {
    return this.acked.map((a) => a.at).sort((a, b) => a - b);
  }

  /** The longest stretch without an acknowledged write, from the first acknowledgement on. */
  longestGapMs(): number {
    const t = this.times();
    let gap = 0;
    for (let i = 1; i < t.length; i++) gap = Math.max(gap, t[i]! - t[i - 1]!);
    return gap;
  }

  /**
   * The longest stretch without an acknowledged write that overlaps [from, from + windowMs]
   * (the stretch that spans `from` counts whole): the outage an event at `from` caused.
   */
  gapAround(from: number, windowMs: number): number {
    const t = this.times();
    let gap = 0;
    for (let i = 1; i < t.length; i++) {
      if (t[i]! >= from && t[i - 1]! <= from + windowMs) gap = Math.max(gap, t[i]! - t[i - 1]!);
    }
    // Nothing acknowledged since: the outage lasts until now.
    const last = t[t.length - 1];
    if (last !== undefined && last < from + windowMs) gap = Math.max(gap, Math.min(performance.now(), from + windowMs) - last);
    return gap;
  }

  /**
   * Every acknowledged write, read back from `via` with a linearizable read (pages of 1,000):
   * the ids that are missing.
   */
  async missing(via: string): Promise<string[]> {
    const present = new Set<string>();
    let after: string | undefined;
    for (let page = 0; page < 1_000; page++) {
      const q = `/v1/areas?limit=1000&consistency=linearizable${after !== undefined ? `&after=${encodeURIComponent(after)}` : ''}`;
      const r = await this.inst.json(via, q);
      if (r.status !== 200) throw new Error(`listing areas on ${via}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      for (const it of (r.body.items ?? []) as Array<{ id: string }>) present.add(it.id);
      if (typeof r.body.next !== 'string') break;
      after = r.body.next;
    }
    return this.acked.map((a) => a.id).filter((id) => !present.has(id));
  }
}
