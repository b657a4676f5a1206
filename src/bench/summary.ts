// Turns a measured run into the numbers the issue asks for.
import type { MeasuredRun } from './measure.ts';
import type { PropagationWatcher } from './propagation.ts';
import type { BoardSample } from './sampler.ts';
import { distribution, leastSquares, round, type Distribution } from './stats.ts';

export interface BoardFigures {
  board: string;
  role: string;
  /** Total RSS: mostly the mapped executable's clean pages, which the kernel drops under pressure. */
  peakRssMiB: number;
  idleRssMiB: number;
  afterLoadRssMiB: number;
  /** Anonymous RSS (heaps, WASM memory, stacks): what the board cannot give back. */
  peakAnonMiB: number;
  idleAnonMiB: number;
  afterLoadAnonMiB: number;
  /** Least-squares slope of the anonymous RSS over the second half of the run, MiB per hour, and its residual noise. */
  anonSlopeMiBPerHour: number;
  anonNoiseMiB: number;
  /** Peaks of the board's own breakdown (NaN for other systems). */
  peakPssMiB: number;
  peakHeapUsedMiB: number;
  peakWasmResidentMiB: number;
  peakMallocArenasMiB: number;
  /** Peak usage of the board's memory cgroup (NaN without --board-limits). */
  peakCgroupMiB: number;
  /** Major page faults during the run (summed over restarts). */
  majorFaults: number;
  meanCpuPct: number;
  /** Least-squares RSS slope over the second half of the run, MiB per hour. */
  rssSlopeMiBPerHour: number;
  rssNoiseMiB: number;
}

export interface RunFigures {
  system: string;
  durationS: number;
  /** notRecorded: writes past the write log's cap (counted, not in the other figures). */
  writes: { total: number; ok: number; errors: number; throughputPerS: number; firstErrors: string[]; notRecorded: number };
  latencyMs: Distribution;
  boards: BoardFigures[];
  maxPeakRssMiB: number;
  meanIdleRssMiB: number;
  meanAfterLoadRssMiB: number;
  maxPeakAnonMiB: number;
  meanIdleAnonMiB: number;
  /** Major page faults during the run, summed over the boards. */
  majorFaults: number;
  /** Mean CPU of whichever board was leader, over samples with no writes in flight-ish (idle workload: all of them). */
  leaderCpuPct: Distribution;
  elections: { leaderChanges: number; leaderlessPeriodsS: number[] };
  log: { maxEntries: number; maxWalBytes: number };
  /**
   * CPU per successful write per board (ms): each board's mean CPU over the
   * workload's samples, summed, over boards and throughput. NaN without writes.
   */
  cpuMsPerWritePerBoard: number;
  /**
   * The same per board kind (ms of CPU per successful write, mean over the
   * boards of the kind): the board that led most of the workload, the other
   * voters, the external boards. NaN for a kind the run did not have.
   */
  cpuMsPerWriteByKind: { leader: number; follower: number; external: number };
  propagation?: {
    boards: number;
    complete: number;
    incomplete: number;
    fromSendMs: Distribution;
    fromAckMs: Distribution;
  };
}

function boardFigures(samples: BoardSample[], board: string): BoardFigures {
  const mine = samples.filter((s) => s.board === board && Number.isFinite(s.rssMiB));
  const idle = mine.filter((s) => s.t < 0);
  const lastT = mine.length ? mine[mine.length - 1]!.t : 0;
  const half = mine.filter((s) => s.t >= lastT / 2);
  const fit = leastSquares(half.map((s) => s.t / 3600), half.map((s) => s.rssMiB));
  const anonHalf = half.filter((s) => Number.isFinite(s.anonMiB));
  const anonFit = leastSquares(anonHalf.map((s) => s.t / 3600), anonHalf.map((s) => s.anonMiB));
  const cpu = mine.filter((s) => Number.isFinite(s.cpuPct)).map((s) => s.cpuPct);
  const peak = (field: keyof BoardSample): number => {
    const values = mine.map((s) => s[field] as number).filter(Number.isFinite);
    return values.length ? round(Math.max(...values)) : NaN;
  };
  const idleSample = idle.length ? idle[idle.length - 1] : mine[0];
  return {
    board,
    role: mine[0]?.role ?? samples.find((s) => s.board === board)?.role ?? '',
    peakRssMiB: round(Math.max(0, ...mine.map((s) => s.rssMiB))),
    idleRssMiB: round(idleSample?.rssMiB ?? NaN),
    afterLoadRssMiB: round(mine.length ? mine[mine.length - 1]!.rssMiB : NaN),
    peakAnonMiB: peak('anonMiB'),
    idleAnonMiB: round(idleSample?.anonMiB ?? NaN),
    afterLoadAnonMiB: round(mine.length ? mine[mine.length - 1]!.anonMiB : NaN),
    anonSlopeMiBPerHour: round(anonFit.slope, 3),
    anonNoiseMiB: round(anonFit.residualStd, 3),
    peakPssMiB: peak('pssMiB'),
    peakHeapUsedMiB: peak('heapUsedMiB'),
    peakWasmResidentMiB: peak('wasmResidentMiB'),
    peakMallocArenasMiB: peak('mallocArenasMiB'),
    peakCgroupMiB: peak('cgroupMiB'),
    majorFaults: faultsDuring(mine),
    meanCpuPct: round(cpu.length ? cpu.reduce((a, b) => a + b, 0) / cpu.length : NaN),
    rssSlopeMiBPerHour: round(fit.slope, 3),
    rssNoiseMiB: round(fit.residualStd, 3),
  };
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** Increments of a board's cumulative major-fault counter; a restart starts it again from its own count. */
export function faultsDuring(samples: readonly BoardSample[]): number {
  let total = 0;
  let last: number | null = null;
  for (const s of samples) {
    if (!Number.isFinite(s.majorFaults)) continue;
    if (last !== null) total += s.majorFaults >= last ? s.majorFaults - last : s.majorFaults;
    last = s.majorFaults;
  }
  return total;
}

export function summarize(run: MeasuredRun, watcher?: PropagationWatcher, watched?: number): RunFigures {
  const samples = run.sampler.samples;
  const boardIds = [...new Set(samples.map((s) => s.board))];
  const boards = boardIds.map((b) => boardFigures(samples, b));
  const latencies: number[] = [];
  const errorTexts = new Set<string>();
  let errors = 0;
  for (const w of run.writes) {
    if (w.ok) latencies.push(w.latencyMs);
    else {
      errors++;
      if (errorTexts.size < 5) errorTexts.add(w.error ?? 'error');
    }
  }
  const leaderCpu = samples.filter((s) => s.raftRole === 'leader' && s.t >= 0 && Number.isFinite(s.cpuPct)).map((s) => s.cpuPct);
  const figures: RunFigures = {
    system: run.system,
    durationS: run.durationS,
    writes: {
      total: run.writes.length, ok: latencies.length, errors,
      throughputPerS: round(latencies.length / run.durationS, 1),
      firstErrors: [...errorTexts],
      notRecorded: run.writes.dropped,
    },
    latencyMs: roundDist(distribution(latencies)),
    boards,
    maxPeakRssMiB: round(Math.max(0, ...boards.map((b) => b.peakRssMiB))),
    meanIdleRssMiB: round(mean(boards.map((b) => b.idleRssMiB).filter(Number.isFinite))),
    meanAfterLoadRssMiB: round(mean(boards.map((b) => b.afterLoadRssMiB).filter(Number.isFinite))),
    maxPeakAnonMiB: round(Math.max(0, ...boards.map((b) => b.peakAnonMiB).filter(Number.isFinite))),
    meanIdleAnonMiB: round(mean(boards.map((b) => b.idleAnonMiB).filter(Number.isFinite))),
    majorFaults: boards.reduce((a, b) => a + b.majorFaults, 0),
    leaderCpuPct: roundDist(distribution(leaderCpu)),
    elections: {
      leaderChanges: Math.max(0, run.sampler.leaderChanges.length - 1),
      leaderlessPeriodsS: run.sampler.leaderlessPeriods.map((p) => round(p.to - p.from, 1)),
    },
    log: {
      maxEntries: Math.max(0, ...samples.map((s) => s.logEntries).filter(Number.isFinite)),
      maxWalBytes: Math.max(0, ...samples.map((s) => s.walBytes).filter(Number.isFinite)),
    },
    cpuMsPerWritePerBoard: cpuPerWrite(samples, boardIds, run.durationS, latencies.length / run.durationS),
    cpuMsPerWriteByKind: cpuPerWriteByKind(samples, boardIds, run.durationS, latencies.length / run.durationS),
  };
  if (watcher && watched !== undefined) {
    const fromSend: number[] = [];
    const fromAck: number[] = [];
    let incomplete = 0;
    for (const w of run.writes) {
      if (!w.ok || w.revision === null) continue;
      const done = watcher.completedAt(w.revision, watched);
      if (done === null) {
        incomplete++;
        continue;
      }
      fromSend.push(done - w.sentAt);
      fromAck.push(Math.max(0, done - (w.sentAt + w.latencyMs)));
    }
    figures.propagation = {
      boards: watched, complete: fromSend.length, incomplete,
      fromSendMs: roundDist(distribution(fromSend)), fromAckMs: roundDist(distribution(fromAck)),
    };
  }
  return figures;
}

/** See RunFigures.cpuMsPerWritePerBoard. */
export function cpuPerWrite(samples: readonly BoardSample[], boardIds: readonly string[], durationS: number, writesPerS: number): number {
  if (!(writesPerS > 0) || boardIds.length === 0) return NaN;
  let cpuPct = 0;
  for (const b of boardIds) cpuPct += mean(samples.filter((s) => s.board === b && s.t >= 0 && s.t <= durationS && Number.isFinite(s.cpuPct)).map((s) => s.cpuPct)) || 0;
  return round((cpuPct / 100 / boardIds.length / writesPerS) * 1000, 3);
}

/** See RunFigures.cpuMsPerWriteByKind. */
export function cpuPerWriteByKind(samples: readonly BoardSample[], boardIds: readonly string[], durationS: number, writesPerS: number): RunFigures['cpuMsPerWriteByKind'] {
  const groups: Record<'leader' | 'follower' | 'external', string[]> = { leader: [], follower: [], external: [] };
  for (const b of boardIds) {
    const mine = samples.filter((s) => s.board === b && s.t >= 0 && s.t <= durationS);
    if (mine.length === 0) continue;
    if (mine[0]!.role === 'external') groups.external.push(b);
    else if (mine.filter((s) => s.raftRole === 'leader').length * 2 > mine.length) groups.leader.push(b);
    else groups.follower.push(b);
  }
  return {
    leader: cpuPerWrite(samples, groups.leader, durationS, writesPerS),
    follower: cpuPerWrite(samples, groups.follower, durationS, writesPerS),
    external: cpuPerWrite(samples, groups.external, durationS, writesPerS),
  };
}

function roundDist(d: Distribution): Distribution {
  return { count: d.count, min: round(d.min), p50: round(d.p50), p90: round(d.p90), p99: round(d.p99), max: round(d.max), mean: round(d.mean) };
}

/** Propagation delays of completed writes, for the plot. */
export function propagationDelays(run: MeasuredRun, watcher: PropagationWatcher, watched: number): number[] {
  const out: number[] = [];
  for (const w of run.writes) {
    if (!w.ok || w.revision === null) continue;
    const done = watcher.completedAt(w.revision, watched);
    if (done !== null) out.push(done - w.sentAt);
  }
  return out;
}
