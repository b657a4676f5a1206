// The deterministic simulation in CI: every simulated board runs the board's own Ready loop,
// WAL, snapshot store and sql.js state machine on a simulated disk, clock and network. Enough
// seeds to exercise every fault kind; all safety, linearizability, durability and liveness
// checks on. Replay any failure with the command it prints.
import t, { type Test } from 'tap';
import { runSimulation, type FaultKind, type SimOptions } from './simulation.ts';

const seeds = Number(process.env['SIM_SEEDS'] ?? 120);
const diskSeeds = Number(process.env['SIM_DISK_SEEDS'] ?? 60);

async function runRange(t: Test, label: string, from: number, n: number, extra: Omit<SimOptions, 'seed'>, replayFlags: string): Promise<Set<FaultKind> | null> {
  const seen = new Set<FaultKind>();
  const profiles = new Map<string, number>();
  let ops = 0;
  for (let seed = from; seed < from + n; seed++) {
    const r = await runSimulation({ seed, ...extra });
    for (const f of r.faults) seen.add(f);
    profiles.set(r.profile, (profiles.get(r.profile) ?? 0) + 1);
    ops += r.stats.ops;
    if (!r.ok) {
      t.fail(`${label}: seed ${seed} failed: ${r.failure}\n${r.trace.slice(-25).join('\n')}\nreplay: npm run sim -- --seed ${seed} ${replayFlags}`.trim());
      return null;
    }
  }
  t.comment(`${label}: ${n} seeds (${[...profiles].map(([p, k]) => `${p} ${k}`).join(', ')}), ${ops} client operations checked`);
  return seen;
}

t.test(`seeds 1..${seeds}: the seed picks the profile`, async (t) => {
  const seen = await runRange(t, 'mixed profiles', 1, seeds, {}, '');
  if (seen === null) return;
  const kinds: FaultKind[] = [
    'drop', 'duplicate', 'reorder', 'partition', 'crash', 'power-cut', 'conf-change', 'remove-leader', 'promote-learner',
    'transfer', 'snapshot', 'snapshot-power-cut', 'long-delay', 'stall', 'pause', 'link-lost', 'link-back',
  ];
  for (const k of kinds) t.ok(seen.has(k), `fault kind exercised: ${k}`);
});

t.test(`seeds 1..${diskSeeds}: disk faults`, async (t) => {
  const seen = await runRange(t, 'disk faults', 1, diskSeeds, { profile: 'disk-faults' }, '--profile disk-faults');
  if (seen === null) return;
  for (const k of ['fsync-error', 'disk-full', 'bit-flip', 'file-cut', 'disk-lost', 'read-only', 'fatal-stop', 'new-incarnation'] as FaultKind[]) {
    t.ok(seen.has(k), `fault kind exercised: ${k}`);
  }
});

t.test('stress: 5 voters, one entry per append, frequent power cuts, leaders killed after applying', async (t) => {
  const seen = await runRange(t, 'stress', 1, 20, { profile: 'stress' }, '--profile stress');
  t.ok(seen !== null, '20 stress seeds passed');
});
