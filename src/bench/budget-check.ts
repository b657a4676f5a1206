// CI budget check (npm run bench:budget, the last step of npm test): a short
// burst run of 3 voters and 2 external boards on the built x64 image, every
// board under the hard memory limit its target names (a memory cgroup,
// memory and swap together, its own uncached copy of the executable on a
// device with 128 KiB readahead: src/bench/cgroup.ts, image-copies.ts).
//   npx tsx src/bench/budget-check.ts [--duration S] [--image PATH] [--target NAME|FILE]
//
// It fails on
//   - any write that failed (after the one resend the workload allows for a
//     keep-alive race): a board that cannot take bursts under its limit;
//   - any board that died or was OOM-killed;
//   - a board whose anonymous RSS peaked above budgets.peakAnonRssMiB;
//   - anonymous RSS still growing after warm-up beyond noise: over the
//     window after WARMUP_S, the lowest anonymous RSS of every TROUGH_S
//     slice (the level after the collections: the garbage sawtooth and the
//     log between snapshots ride on top of it) is fitted with a
//     least-squares line; the check fails when that line rises across the
//     window by more than GROWTH_LIMIT_MIB.
// The thresholds are justified by measurements in docs/bench/METHOD.md ("The
// CI budget check"). Boards run with their defaults: a snapshot every 2,500
// entries (25 s at this load), so the window spans several log compactions
// (the in-memory log grows by design until a snapshot compacts it).
//
// Without a memory cgroup (not root, no memory controller) the check cannot
// check what it is for and fails, saying why; RAFTLIGHT_BUDGET_WITHOUT_LIMITS=1
// runs it without limits and says so.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CgroupError } from './cgroup.ts';
import { BOARD_ALLOCATOR_ENV } from '../board/allocator-env.ts';
import { runBench, type BenchResult } from './run.ts';
import { leastSquares, troughs } from './stats.ts';
import { loadTarget } from './targets.ts';

/** Writes before the measured run: the request-id and change windows (10,000 each) are full when it starts. */
export const WARMUP_WRITES = 12_000;
/** Seconds of the measured run before the growth window. */
export const WARMUP_S = 60;
/** Length of the slices whose minima are fitted (a snapshot every 25 s at this load). */
export const TROUGH_S = 20;
/**
 * Rise of the fitted lows across the window that fails the check. Measured
 * noise after the warm-up (6 runs x 5 boards): -2.4 to +3.2 MiB, mean +0.3,
 * sigma 1.35; a leak of 1 KiB per write (100 writes/s) rises ~11.7 MiB.
 */
export const GROWTH_LIMIT_MIB = 4;
export const DEFAULT_DURATION_S = 180;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const root = resolve(import.meta.dirname, '../..');
const target = loadTarget(arg('target', 'linux-x64'));
const image = resolve(arg('image', join(root, 'images/linux-x64/raftlight')));
const durationS = Number(arg('duration', String(DEFAULT_DURATION_S)));
if (!existsSync(image)) {
  process.stderr.write(`budget-check: image ${image} is missing: run "npm run build" first\n`);
  process.exit(2);
}
if (!(durationS > WARMUP_S + 30)) {
  process.stderr.write(`budget-check: --duration must exceed the ${WARMUP_S} s warm-up by at least 30 s\n`);
  process.exit(2);
}
const withoutLimits = process.env['RAFTLIGHT_BUDGET_WITHOUT_LIMITS'] === '1';
const { hardLimitMiB, peakAnonRssMiB } = target.budgets;
const out = join(root, 'bench-results', `budget-${new Date().toISOString().replace(/[:.]/g, '-')}`);
let result: BenchResult;
try {
  result = await runBench({
    boards: 5, voters: 3, workload: { kind: 'burst', size: 200, intervalMs: 2000, clients: 64 }, durationS, faults: [],
    command: image, args: [], imageLabel: `image ${image}`, netns: false, readaheadKiB: 128, imageTarget: target, out,
    ...(withoutLimits ? {} : { boardLimitMiB: hardLimitMiB }),
    compareEtcd: false, target: 'round-robin', keys: 256, idleLeadS: 5, extraBoardArgs: [], warmupWrites: WARMUP_WRITES,
    boardEnv: { ...BOARD_ALLOCATOR_ENV }, quiet: !process.stderr.isTTY,
  });
} catch (err) {
  if (err instanceof CgroupError) {
    process.stderr.write(`BUDGET FAILED the check runs every board under its hard limit and cannot here: ${err.message}` +
      ' (RAFTLIGHT_BUDGET_WITHOUT_LIMITS=1 runs it without limits)\n');
    process.exit(1);
  }
  throw err;
}
const failures: string[] = [];
const budgets = `${target.name} (${target.source}): hard limit ${hardLimitMiB} MiB${withoutLimits ? ' NOT APPLIED (RAFTLIGHT_BUDGET_WITHOUT_LIMITS=1)' : ''}, peak anonymous RSS ${peakAnonRssMiB} MiB`;
process.stdout.write(`\nbudget check against ${budgets}:\n`);
if (result.raftlight.boards.length === 0) failures.push('no board was sampled');
const w = result.raftlight.writes;
if (w.errors > 0) failures.push(`${w.errors} of ${w.total} writes failed (${w.firstErrors.join('; ')})`);
if (w.ok === 0) failures.push('no write succeeded');
for (const d of result.deaths) failures.push(`board ${d.board} was not running at the end (${d.exit}): ${d.logTail.slice(-3).join(' | ')}`);
for (const [board, kills] of Object.entries(result.limits?.oomKills ?? {})) if (kills > 0) failures.push(`board ${board} was OOM-killed ${kills} time(s) under ${hardLimitMiB} MiB`);
for (const g of anonGrowth(result)) {
  process.stdout.write(`  ${g.board}: peak anonymous RSS ${g.peakAnonMiB.toFixed(1)} MiB (budget ${peakAnonRssMiB}); major faults ${g.majorFaults}; ` +
    `after ${WARMUP_S} s its ${TROUGH_S}-s lows rise ${g.rise >= 0 ? '+' : ''}${g.rise.toFixed(2)} MiB over ${g.windowS.toFixed(0)} s ` +
    `(${g.perHour >= 0 ? '+' : ''}${g.perHour.toFixed(1)} MiB/h, residual ${g.noise.toFixed(2)} MiB; limit ${GROWTH_LIMIT_MIB} MiB)\n`);
  if (g.peakAnonMiB > peakAnonRssMiB) failures.push(`${g.board}: peak anonymous RSS ${g.peakAnonMiB.toFixed(1)} MiB exceeds budgets.peakAnonRssMiB ${peakAnonRssMiB} MiB`);
  if (g.rise > GROWTH_LIMIT_MIB) {
    failures.push(`${g.board}: anonymous RSS keeps growing after warm-up: its lows rise +${g.rise.toFixed(2)} MiB over ${g.windowS.toFixed(0)} s (${g.perHour.toFixed(1)} MiB/h), beyond ${GROWTH_LIMIT_MIB} MiB`);
  }
}
process.stdout.write(`  writes ${w.ok} ok, ${w.errors} failed; latency p99 ${result.raftlight.latencyMs.p99} ms; results in ${out}\n`);
if (failures.length) {
  for (const f of failures) process.stderr.write(`BUDGET FAILED ${f}\n`);
  process.exit(1);
}
process.stdout.write(`budget check passed${withoutLimits ? ' (WITHOUT hard limits)' : ''}\n`);
process.exit(0);

interface Growth {
  board: string;
  peakAnonMiB: number;
  majorFaults: number;
  windowS: number;
  rise: number;
  perHour: number;
  noise: number;
}

/** t, board and anonymous RSS of every sample, from the run's CSV. */
function readAnonSamples(file: string): { t: number; board: string; anonMiB: number }[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const cols = header!.split(',');
  const [ti, bi, ai] = [cols.indexOf('t'), cols.indexOf('board'), cols.indexOf('anonMiB')];
  return lines.map((l) => l.split(',')).map((c) => ({ t: Number(c[ti]), board: c[bi]!, anonMiB: c[ai] === '' ? NaN : Number(c[ai]) }));
}

function anonGrowth(r: BenchResult): Growth[] {
  const anonSamples = readAnonSamples(join(out, 'raftlight-samples.csv'));
  return r.raftlight.boards.map((b) => {
    const mine = anonSamples.filter((s) => s.board === b.board && Number.isFinite(s.anonMiB) && s.t >= WARMUP_S && s.t <= durationS);
    const lows = troughs(mine, WARMUP_S, TROUGH_S);
    const fit = leastSquares(lows.map((s) => s.t), lows.map((s) => s.anonMiB));
    const windowS = durationS - WARMUP_S;
    return {
      board: b.board, peakAnonMiB: b.peakAnonMiB, majorFaults: b.majorFaults, windowS,
      rise: fit.slope * windowS, perHour: fit.slope * 3600, noise: fit.residualStd,
    };
  });
}
