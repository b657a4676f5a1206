// Fixed-size rings of 10-second samples: the bounded in-memory histories behind the
// installer's plots. Times are on the holding board's monotonic clock (ms); on the wire
// they travel as ages ("this sample is N ms old"), so boards never compare clocks.
import type { DelaySample, Sample } from './telemetry-codec.ts';

/** One sample every 10 seconds, one hour kept. */
export const SAMPLE_INTERVAL_MS = 10_000;
export const SERIES_CAPACITY = 360;

const U32_MAX = 0xffff_ffff;
const clampU32 = (v: number): number => (v <= 0 || !Number.isFinite(v) ? 0 : v >= U32_MAX ? U32_MAX : Math.round(v));

/** A ring of `fields` unsigned 32-bit values per sample, with the sample's time. */
class Ring {
  private readonly at: Float64Array;
  private readonly values: Uint32Array;
  private start = 0;
  private count = 0;

  constructor(private readonly fields: number, readonly capacity: number) {
    this.at = new Float64Array(capacity);
    this.values = new Uint32Array(capacity * fields);
  }

  get length(): number {
    return this.count;
  }

  push(atMs: number, values: readonly number[]): void {
    const slot = (this.start + this.count) % this.capacity;
    if (this.count === this.capacity) this.start = (this.start + 1) % this.capacity;
    else this.count++;
    this.at[slot] = atMs;
    for (let f = 0; f < this.fields; f++) this.values[slot * this.fields + f] = clampU32(values[f] ?? 0);
  }

  newestAt(): number | null {
    return this.count === 0 ? null : this.at[(this.start + this.count - 1) % this.capacity]!;
  }

  /** Visits the newest sample, if any. */
  newest(visit: (atMs: number, value: (field: number) => number) => void): void {
    if (this.count === 0) return;
    const slot = (this.start + this.count - 1) % this.capacity;
    visit(this.at[slot]!, (f) => this.values[slot * this.fields + f]!);
  }

  /** Visits samples oldest first. */
  forEach(visit: (atMs: number, value: (field: number) => number) => void): void {
    for (let i = 0; i < this.count; i++) {
      const slot = (this.start + i) % this.capacity;
      visit(this.at[slot]!, (f) => this.values[slot * this.fields + f]!);
    }
  }

  clear(): void {
    this.start = 0;
    this.count = 0;
  }
}

/** A board's history: memory, CPU and write latency per 10 seconds. */
export class SeriesRing {
  private readonly ring = new Ring(6, SERIES_CAPACITY);

  get length(): number {
    return this.ring.length;
  }

  push(atMs: number, s: Omit<Sample, 'ageMs'>): void {
    this.ring.push(atMs, [s.anonKiB, s.fileKiB, s.cpuPermille, s.writes, s.writeMeanUs, s.writeMaxUs]);
  }

  /**
   * Adds a sample received with an age unless the ring already holds one from the same
   * period (less than half an interval newer): a sample arrives in several reports or views.
   */
  appendIfNewer(s: Sample, nowMs: number): boolean {
    const at = nowMs - s.ageMs;
    const newest = this.ring.newestAt();
    if (newest !== null && at < newest + SAMPLE_INTERVAL_MS / 2) return false;
    this.push(at, s);
    return true;
  }

  /** Replaces the history with samples received with ages (oldest first). */
  replace(samples: readonly Sample[], nowMs: number): void {
    this.ring.clear();
    for (const s of samples.slice(-SERIES_CAPACITY)) this.appendIfNewer(s, nowMs);
  }

  newest(nowMs: number): Sample | null {
    let last: Sample | null = null;
    this.ring.newest((at, v) => (last = toSample(at, v, nowMs)));
    return last;
  }

  toSamples(nowMs: number): Sample[] {
    const out: Sample[] = [];
    this.ring.forEach((at, v) => out.push(toSample(at, v, nowMs)));
    return out;
  }

  clear(): void {
    this.ring.clear();
  }
}

function toSample(at: number, v: (f: number) => number, nowMs: number): Sample {
  return {
    ageMs: Math.max(0, Math.round(nowMs - at)),
    anonKiB: v(0), fileKiB: v(1), cpuPermille: v(2), writes: v(3), writeMeanUs: v(4), writeMaxUs: v(5),
  };
}

/** Delays per 10 seconds: count, mean and max (propagation to every board). */
export class DelayRing {
  private readonly ring = new Ring(3, SERIES_CAPACITY);

  get length(): number {
    return this.ring.length;
  }

  push(atMs: number, s: Omit<DelaySample, 'ageMs'>): void {
    this.ring.push(atMs, [s.count, s.meanUs, s.maxUs]);
  }

  appendIfNewer(s: DelaySample, nowMs: number): boolean {
    const at = nowMs - s.ageMs;
    const newest = this.ring.newestAt();
    if (newest !== null && at < newest + SAMPLE_INTERVAL_MS / 2) return false;
    this.push(at, s);
    return true;
  }

  toSamples(nowMs: number): DelaySample[] {
    const out: DelaySample[] = [];
    this.ring.forEach((at, v) => out.push({ ageMs: Math.max(0, Math.round(nowMs - at)), count: v(0), meanUs: v(1), maxUs: v(2) }));
    return out;
  }

  clear(): void {
    this.ring.clear();
  }
}

/** Count, sum and max of durations over one period; reset by `take`. */
export class DelayAccumulator {
  private count = 0;
  private sumUs = 0;
  private maxUs = 0;

  add(us: number): void {
    this.count++;
    this.sumUs += us;
    if (us > this.maxUs) this.maxUs = us;
  }

  take(): { count: number; meanUs: number; maxUs: number } {
    const out = { count: this.count, meanUs: this.count === 0 ? 0 : this.sumUs / this.count, maxUs: this.maxUs };
    this.count = 0;
    this.sumUs = 0;
    this.maxUs = 0;
    return out;
  }
}
