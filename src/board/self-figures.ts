// What a board measures about itself for telemetry: resident memory split into anonymous
// and file-backed pages, CPU share, the latency of writes proposed through it (proposal →
// applied on this board), the times it applied recent entries (the leader turns them into
// propagation delays), and its own hour of 10-second samples.
import { readFileSync } from 'node:fs';
import type { ApplyMark, Sample } from './telemetry-codec.ts';
import { DelayAccumulator, SeriesRing } from './telemetry-series.ts';

/** Every entry whose index is a multiple of this is marked, so all boards mark the same ones. */
export const MARK_STRIDE = 16;
/** Apply marks kept between two reports (the newest win). */
export const MAX_PENDING_MARKS = 32;

export interface MemoryFigures {
  readonly anonKiB: number;
  readonly fileKiB: number;
}

/** RssAnon and RssFile + RssShmem from /proc/self/status; all of RSS as anonymous where /proc is missing. */
export function readMemory(readStatus: () => string = () => readFileSync('/proc/self/status', 'utf8')): MemoryFigures {
  try {
    const text = readStatus();
    const field = (name: string): number | null => {
      const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
      return m ? Number(m[1]) : null;
    };
    const anon = field('RssAnon');
    const file = field('RssFile');
    if (anon !== null && file !== null) return { anonKiB: anon, fileKiB: file + (field('RssShmem') ?? 0) };
  } catch {
    // not Linux: fall through
  }
  return { anonKiB: Math.round(process.memoryUsage.rss() / 1024), fileKiB: 0 };
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

export class SelfFigures {
  readonly series = new SeriesRing();
  private readonly sampleWrites = new DelayAccumulator();
  private sampleCpu: { at: number; cpu: number };
  private reportCpu: { at: number; cpu: number };
  private readonly marks: Array<{ index: number; at: number }> = [];
  private latest: { index: number; at: number } | null = null;
  private latestReported = 0;

  constructor(private readonly now: () => number, private readonly memory: () => MemoryFigures = readMemory) {
    const start = { at: now(), cpu: cpuMicros() };
    this.sampleCpu = start;
    this.reportCpu = start;
  }

  /** A write proposed through this board was applied here after `us` microseconds. */
  recordWrite(us: number): void {
    this.sampleWrites.add(us);
  }

  /** This board applied `index` (called for every applied entry, in order). */
  applied(index: number): void {
    const at = this.now();
    this.latest = { index, at };
    if (index % MARK_STRIDE !== 0) return;
    if (this.marks.length >= MAX_PENDING_MARKS) this.marks.shift(); // at most 32 elements
    this.marks.push({ index, at });
  }

  /** The marks since the last report, plus the latest applied entry once. */
  takeMarks(): ApplyMark[] {
    const now = this.now();
    const out = this.marks.map((m) => ({ index: m.index, agoMs: Math.round(now - m.at) }));
    this.marks.length = 0;
    const latest = this.latest;
    if (latest !== null && latest.index > this.latestReported) {
      this.latestReported = latest.index;
      if (out.length === 0 || out[out.length - 1]!.index !== latest.index) {
        if (out.length >= MAX_PENDING_MARKS) out.shift();
        out.push({ index: latest.index, agoMs: Math.round(now - latest.at) });
      }
    }
    return out;
  }

  /** CPU per mille of one core since the previous call. */
  cpuSinceLastReport(): number {
    const next = { at: this.now(), cpu: cpuMicros() };
    const share = permille(this.reportCpu, next);
    this.reportCpu = next;
    return share;
  }

  currentMemory(): MemoryFigures {
    return this.memory();
  }

  /** Closes one 10-second period: memory now, CPU and writes over the period. */
  sample(): void {
    const next = { at: this.now(), cpu: cpuMicros() };
    const cpu = permille(this.sampleCpu, next);
    this.sampleCpu = next;
    const w = this.sampleWrites.take();
    this.series.push(next.at, { ...this.memory(), cpuPermille: cpu, writes: w.count, writeMeanUs: w.meanUs, writeMaxUs: w.maxUs });
  }

  newestSample(): Sample | null {
    return this.series.newest(this.now());
  }
}

function permille(from: { at: number; cpu: number }, to: { at: number; cpu: number }): number {
  const wallUs = (to.at - from.at) * 1000;
  return wallUs <= 0 ? 0 : Math.round(((to.cpu - from.cpu) / wallUs) * 1000);
}
