// --limit-sweep 96,80,64,56,48,40: the same workload once per hard memory
// limit per board (and once without, `none`), each run a fresh installation
// in its own folder. It finds the smallest limit at which the installation
// passes (every write succeeds, no board dies or is OOM-killed) and plots
// latency and major page faults against the limit: below the working set,
// boards re-read their executable's pages from disk (major faults) and
// latency climbs long before anything is killed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSvg, sweepSpec, type Row } from './plots.ts';
import { markdownTable } from './report.ts';
import { runBench, type BenchOptions, type BenchResult } from './run.ts';

export interface SweepRow {
  /** null: the run without a limit. */
  limitMiB: number | null;
  passed: boolean;
  writesOk: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Major page faults during the run, all boards / the worst board. */
  majorFaults: number;
  worstBoardMajorFaults: number;
  peakAnonMiB: number;
  peakCgroupMiB: number;
  leaderChanges: number;
  oomKills: number;
  deaths: number;
  /** Why the run could not be measured at all (no leader elected, ...). */
  failure?: string;
}

/** Cap on the runs of one sweep. */
export const MAX_SWEEP_LIMITS = 16;

export function parseLimitSweep(items: readonly string[]): (number | null)[] {
  if (items.length > MAX_SWEEP_LIMITS) throw new Error(`--limit-sweep takes at most ${MAX_SWEEP_LIMITS} limits`);
  const limits = items.map((item) => {
    if (item === 'none') return null;
    const n = Number(item);
    if (!Number.isInteger(n) || n < 8) throw new Error(`--limit-sweep: "${item}" is neither "none" nor a limit in MiB (an integer, at least 8)`);
    return n;
  });
  if (new Set(limits).size !== limits.length) throw new Error('--limit-sweep: a limit is listed twice');
  return limits;
}

export function sweepRow(limitMiB: number | null, r: BenchResult): SweepRow {
  const f = r.raftlight;
  const oomKills = Object.values(r.limits?.oomKills ?? {}).reduce((a, b) => a + b, 0);
  const cgroupPeaks = f.boards.map((b) => b.peakCgroupMiB).filter(Number.isFinite);
  return {
    limitMiB, passed: f.writes.errors === 0 && r.deaths.length === 0 && oomKills === 0 && f.writes.ok > 0,
    writesOk: f.writes.ok, errors: f.writes.errors, p50Ms: f.latencyMs.p50, p99Ms: f.latencyMs.p99, maxMs: f.latencyMs.max,
    majorFaults: f.majorFaults, worstBoardMajorFaults: Math.max(0, ...f.boards.map((b) => b.majorFaults)),
    peakAnonMiB: f.maxPeakAnonMiB, peakCgroupMiB: cgroupPeaks.length ? Math.max(...cgroupPeaks) : NaN,
    leaderChanges: f.elections.leaderChanges, oomKills, deaths: r.deaths.length,
  };
}

/** The smallest limit whose run passed (null when none did or only the unlimited run did). */
export function smallestPassing(rows: readonly SweepRow[]): number | null {
  const passing = rows.filter((r) => r.passed && r.limitMiB !== null).map((r) => r.limitMiB!);
  return passing.length ? Math.min(...passing) : null;
}

const label = (limit: number | null): string => (limit === null ? 'none' : String(limit));

export function sweepMarkdown(rows: readonly SweepRow[]): string {
  const f = (v: number, d = 1): string => (Number.isFinite(v) ? v.toFixed(d) : '-');
  return markdownTable(
    ['limit (MiB)', 'passed', 'writes ok / errors', 'p50 / p99 / max (ms)', 'major faults all / worst board', 'peak anon (MiB)', 'peak cgroup (MiB)', 'leader changes', 'OOM kills / dead boards'],
    rows.map((r) => [label(r.limitMiB), r.failure ? `no: ${r.failure}` : r.passed ? 'yes' : 'no', `${r.writesOk} / ${r.errors}`,
      `${f(r.p50Ms)} / ${f(r.p99Ms)} / ${f(r.maxMs)}`, `${r.majorFaults} / ${r.worstBoardMajorFaults}`, f(r.peakAnonMiB), f(r.peakCgroupMiB),
      String(r.leaderChanges), `${r.oomKills} / ${r.deaths}`]),
  );
}

export async function runLimitSweep(base: BenchOptions, limits: readonly (number | null)[]): Promise<SweepRow[]> {
  const print = base.print ?? ((text: string): void => void process.stdout.write(text));
  mkdirSync(base.out, { recursive: true });
  const rows: SweepRow[] = [];
  for (const limit of limits) {
    const out = join(base.out, limit === null ? 'no-limit' : `limit-${limit}`);
    const { boardLimitMiB: _ignored, ...rest } = base;
    const options: BenchOptions = { ...rest, out, print, ...(limit === null ? {} : { boardLimitMiB: limit }) };
    print(`\n=== limit ${label(limit)}${limit === null ? '' : ' MiB per board'} ===\n`);
    try {
      rows.push(sweepRow(limit, await runBench(options)));
    } catch (err) {
      const failure = (err as Error).message.split('\n')[0]!;
      print(`run at limit ${label(limit)} failed: ${failure}\n`);
      rows.push({
        limitMiB: limit, passed: false, writesOk: 0, errors: 0, p50Ms: NaN, p99Ms: NaN, maxMs: NaN, majorFaults: NaN, worstBoardMajorFaults: NaN,
        peakAnonMiB: NaN, peakCgroupMiB: NaN, leaderChanges: NaN, oomKills: 0, deaths: 0, failure,
      });
    }
  }
  const smallest = smallestPassing(rows);
  const md = sweepMarkdown(rows);
  const verdict = smallest === null ? 'no limited run passed' : `smallest limit that passed: ${smallest} MiB per board`;
  print(`\nlimit sweep: ${verdict}\n\n${md}`);
  writeFileSync(join(base.out, 'sweep.json'), JSON.stringify({ smallestPassingMiB: smallest, rows }, null, 2) + '\n');
  writeFileSync(join(base.out, 'sweep.md'), `${verdict}\n\n${md}`);
  const limited = rows.filter((r) => r.limitMiB !== null && !r.failure);
  const unlimited = rows.find((r) => r.limitMiB === null && !r.failure);
  const latency: Row[] = limited.flatMap((r) => [
    { limitMiB: r.limitMiB, series: 'p50', ms: Math.max(0.1, r.p50Ms) },
    { limitMiB: r.limitMiB, series: 'p99', ms: Math.max(0.1, r.p99Ms) },
  ]);
  // Log scale (from 0 to hundreds of thousands): a run without faults is drawn at 1.
  const faults: Row[] = limited.flatMap((r) => [
    { limitMiB: r.limitMiB, series: 'all boards', faults: Math.max(1, r.majorFaults) },
    { limitMiB: r.limitMiB, series: 'worst board', faults: Math.max(1, r.worstBoardMajorFaults) },
  ]);
  const plots: [string, Record<string, unknown>][] = [
    ['sweep-latency.svg', sweepSpec(latency, 'ms', 'write latency (ms, log scale)', `write latency against the hard limit per board${unlimited ? ` (dashed: p99 without a limit, ${unlimited.p99Ms.toFixed(0)} ms)` : ''}`, true, unlimited?.p99Ms)],
    ['sweep-faults.svg', sweepSpec(faults, 'faults', 'major page faults during the run (log scale)', 'major page faults against the hard limit per board', true)],
  ];
  for (const [name, spec] of plots) {
    try {
      writeFileSync(join(base.out, name), await renderSvg(spec));
    } catch (err) {
      process.stderr.write(`bench: plot ${name} not written: ${(err as Error).message}\n`);
    }
  }
  print(`\nsweep results in ${base.out}\n`);
  return rows;
}
