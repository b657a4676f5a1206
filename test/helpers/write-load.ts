// A constant write load on an installation of real boards: a few writers create objects one
// after another through the current voters (external boards take no writes), remember every
// write a board acknowledged (201) and when, and afterwards check that every acknowledged write
// is present and measure the stretches without a successful write.
import type { Installation } from '../../src/bench/launcher.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A write slower than this is recorded (with where it went) to explain gaps. */
const SLOW_MS = 150;
/**
 * A write (or status) without an answer for this long is given up and retried through another
 * board with the same request id: a frozen board takes connections and never answers.
 */
const WRITE_TIMEOUT_MS = 2_000;
/** A board that gave no answer gets no writes for this long. */
const SILENT_SKIP_MS = 3_000;
/** Failed and slow writes recorded at most (the rest are only counted). */
const MAX_RECORDED = 1_000;

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
  /** The first failed attempts (capped): when it started, how long it took, through which board, what came back. */
  readonly failures: Array<{ at: number; ms: number; via: string; what: string; id: string }> = [];
  /** Acknowledged writes that took longer than SLOW_MS (capped): when they started, how long, through which board. */
  readonly slow: Array<{ at: number; ms: number; via: string }> = [];
  readonly startedAt = performance.now();
  private voters: string[] = [];
  private running = true;
  /** Boards that did not answer in time, skipped until then. */
  private readonly silentUntil = new Map<string, number>();
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
        const s = await this.inst.status(id, WRITE_TIMEOUT_MS);
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
      const now = performance.now();
      const targets = this.voters.filter((id) => this.inst.boards.has(id) && this.inst.isRunning(id) && (this.silentUntil.get(id) ?? 0) < now);
      if (targets.length === 0) {
        await sleep(20);
        continue;
      }
      const via = targets[turn++ % targets.length]!;
      const id = `${this.o.prefix ?? 'load'}-${w}-${n}`;
      const t0 = performance.now();
      const fail = (what: string): void => {
        this.failed++;
        if (this.failures.length < MAX_RECORDED) this.failures.push({ at: t0, ms: performance.now() - t0, via, what, id });
      };
      try {
        const r = await this.inst.json(via, '/v1/areas', {
          method: 'POST', headers: { 'content-type': 'application/json', 'request-id': id },
          body: JSON.stringify({ id, name: id, type: 'room', parent: null }),
        }, WRITE_TIMEOUT_MS);
        if (r.status === 201) {
          const at = performance.now();
          this.acked.push({ id, at });
          if (at - t0 > SLOW_MS && this.slow.length < MAX_RECORDED) this.slow.push({ at: t0, ms: at - t0, via });
          n++;
        } else {
          // A write that timed out: was it applied on that board all the same (before the retry)?
          const applied = r.status === 504 ? await this.presentOn(via, id) : '';
          fail(`HTTP ${r.status} ${JSON.stringify(r.body.error ?? r.body).slice(0, 160)}${applied}`);
          await sleep(10);
        }
      } catch (err) {
        // No answer (a frozen board): try the others for a while; the retry reuses the request id.
        this.silentUntil.set(via, performance.now() + SILENT_SKIP_MS);
        fail((err as Error).message);
        await sleep(10);
      }
      await sleep(this.o.pauseMs ?? 10);
    }
  }

  private async presentOn(via: string, id: string): Promise<string> {
    try {
      const r = await this.inst.json(via, `/v1/areas/${encodeURIComponent(id)}`);
      return r.status === 200 ? ` (yet applied on ${via}: ${JSON.stringify(r.body).slice(0, 80)})` : ` (not applied on ${via}: HTTP ${r.status})`;
    } catch (err) {
      return ` (${via} did not answer: ${(err as Error).message})`;
    }
  }

  /**
   * Sends nothing more through `id` (a board the scenario froze: a client cannot tell it from a
   * slow one, but the outage measured is the installation's, through the boards that are up).
   */
  avoid(id: string): void {
    this.silentUntil.set(id, Infinity);
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

  /** Failed and slow writes that started in [from, to], for a note explaining a gap. */
  explain(from: number, to: number): string {
    const f = this.failures.filter((x) => x.at >= from && x.at <= to).map((x) => `+${Math.round(x.at - from)} ${x.via} ${x.what} after ${Math.round(x.ms)} ms`);
    const s = this.slow.filter((x) => x.at >= from && x.at <= to).map((x) => `+${Math.round(x.at - from)} ${x.via} ok after ${Math.round(x.ms)} ms`);
    return [...f, ...s].join('; ');
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
