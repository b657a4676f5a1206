// CI budget check (npm run bench:budget): a short burst run of a 3-voter
// cluster on the built x64 image; fails when a board's peak RSS exceeds the
// target's budgets.peakRssMiB, or when RSS keeps growing after warm-up.
//   npx tsx src/bench/budget-check.ts [--duration S] [--image PATH] [--target FILE]
//
// Growth test: a least-squares line through each board's RSS over the last
// third of the run (the first two thirds are warm-up: V8 grows its heaps,
// sql.js its WASM memory; measured here, the RSS slope falls from ~800 MiB/h
// in the first quarter to 20-150 MiB/h in the last, while a leak keeps a
// constant slope). The board fails when the line's rise across that window is
// beyond noise: more than max(GROWTH_FLOOR_MIB, 3 × the residual standard
// deviation). The floor is the size of the V8 young-generation/GC sawtooth
// seen at idle with the image's flags (about 1-2 MiB); 3 σ keeps a noisy
// but flat profile from failing by chance. A leak of 1 KiB per write at the
// burst workload's 100 writes/s rises ~6 MiB a minute and fails clearly.
// The in-memory Raft log grows by design until the first snapshot compacts
// it (--snapshot-entries, 10,000 by default: 100 s of this load), which in a
// short run looks like a leak; the check therefore snapshots every
// SNAPSHOT_ENTRIES entries, so the measured half spans several compactions.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runBench } from './run.ts';
import { leastSquares } from './stats.ts';

/** The fraction of the run treated as warm-up before the growth test's window. */
export const WARMUP_FRACTION = 2 / 3;

export const GROWTH_FLOOR_MIB = 2;
export const SNAPSHOT_ENTRIES = 2000;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const root = resolve(import.meta.dirname, '../..');
const targetFile = resolve(arg('target', join(root, 'targets/linux-x64.json')));
const image = resolve(arg('image', join(root, 'images/linux-x64/raftlight')));
const durationS = Number(arg('duration', '150'));
if (!existsSync(image)) {
  process.stderr.write(`budget-check: image ${image} is missing: run "npm run build" first\n`);
  process.exit(2);
}
const target = JSON.parse(readFileSync(targetFile, 'utf8')) as { budgets?: { peakRssMiB?: number } };
const peakBudget = target.budgets?.peakRssMiB;
if (typeof peakBudget !== 'number') {
  process.stderr.write(`budget-check: ${targetFile} has no budgets.peakRssMiB\n`);
  process.exit(2);
}
const out = join(root, 'bench-results', `budget-${new Date().toISOString().replace(/[:.]/g, '-')}`);
const result = await runBench({
  boards: 3, voters: 3, workload: { kind: 'burst', size: 200, intervalMs: 2000, clients: 64 }, durationS, faults: [],
  command: image, args: [], imageLabel: `image ${image}`, netns: false, boardLimits: false, targetFile, out,
  compareEtcd: false, target: 'round-robin', keys: 256, idleLeadS: 5, extraBoardArgs: ['--snapshot-entries', String(SNAPSHOT_ENTRIES)], quiet: !process.stderr.isTTY,
});
const failures: string[] = [];
process.stdout.write(`\nbudget check against ${targetFile} (peakRssMiB ${peakBudget}):\n`);
const samples = readFileSync(join(out, 'raftlight-samples.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
const windowS = durationS * (1 - WARMUP_FRACTION);
for (const b of result.raftlight.boards) {
  // Columns: t, board, role, up, rssMiB, ...
  const mine = samples.filter((c) => c[1] === b.board && c[4] !== '' && Number(c[0]) >= durationS * WARMUP_FRACTION);
  const fit = leastSquares(mine.map((c) => Number(c[0])), mine.map((c) => Number(c[4])));
  const rise = fit.slope * windowS;
  const threshold = Math.max(GROWTH_FLOOR_MIB, 3 * fit.residualStd);
  const perHour = fit.slope * 3600;
  process.stdout.write(`  ${b.board}: peak RSS ${b.peakRssMiB.toFixed(1)} MiB; slope over the last ${windowS.toFixed(0)} s ${perHour.toFixed(2)} MiB/h = ${rise.toFixed(2)} MiB (threshold ${threshold.toFixed(2)} MiB = max(${GROWTH_FLOOR_MIB}, 3 x noise ${fit.residualStd.toFixed(2)}))\n`);
  if (b.peakRssMiB > peakBudget) failures.push(`${b.board}: peak RSS ${b.peakRssMiB.toFixed(1)} MiB exceeds budgets.peakRssMiB ${peakBudget} MiB in ${targetFile}`);
  if (rise > threshold) failures.push(`${b.board}: RSS keeps growing after warm-up: +${rise.toFixed(2)} MiB over the last ${windowS.toFixed(0)} s (${perHour.toFixed(1)} MiB/h), beyond the noise threshold ${threshold.toFixed(2)} MiB (RSS must stay flat; budgets in ${targetFile})`);
}
if (result.raftlight.writes.errors > 0) process.stdout.write(`  note: ${result.raftlight.writes.errors} writes failed: ${result.raftlight.writes.firstErrors.join('; ')}\n`);
if (failures.length) {
  for (const f of failures) process.stderr.write(`BUDGET FAILED ${f}\n`);
  process.exit(1);
}
process.stdout.write('budget check passed\n');
process.exit(0);
