// npm run sim -- --seed N           replay one seed (prints its trace)
// npm run sim -- --seeds N          run seeds 1..N (or --from S), stop at the first failure
// npm run sim -- --profile P        force a profile: mixed, stress, leader-churn, delayed-reads, disk-faults
// npm run sim -- --disk-faults      add disk faults to whatever profile a seed runs
// npm run sim -- --bug NAME         a broken behaviour of the core (test-only RaftBugs)
// npm run sim -- --planted NAME     a broken behaviour of the loop or the storage (compiled out of images)
// npm run sim -- --harness-bug NAME a broken stand-in in the harness (perProcessReadCounter)
// Every board in the simulation is the board's own code: Ready loop, WAL, snapshots, sql.js state.
import { runSimulation, type FaultKind, type SimHarnessBugs, type SimOptions, type SimProfile } from './simulation.ts';
import type { RaftBugs } from '../../src/raft/config.ts';
import type { PlantedBugs } from '../../src/board/planted-bugs.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const profiles: readonly SimProfile[] = ['mixed', 'stress', 'leader-churn', 'delayed-reads', 'disk-faults'];
const profile = arg('profile') as SimProfile | undefined;
if (profile !== undefined && !profiles.includes(profile)) {
  console.error(`unknown --profile ${profile}; one of ${profiles.join(', ')}`);
  process.exit(2);
}
const bug = arg('bug');
const planted = arg('planted');
const harnessBug = arg('harness-bug');
const base: Omit<SimOptions, 'seed'> = {
  ...(profile ? { profile } : {}),
  ...(process.argv.includes('--disk-faults') ? { diskFaults: true } : {}),
  ...(bug ? { bugs: { [bug]: true } as RaftBugs } : {}),
  ...(planted ? { planted: { [planted]: true } as PlantedBugs } : {}),
  ...(harnessBug ? { harnessBugs: { [harnessBug]: true } as SimHarnessBugs } : {}),
};
const flags = process.argv.slice(2).filter((a, i, all) => !['--seed', '--seeds', '--from'].includes(a) && !['--seed', '--seeds', '--from'].includes(all[i - 1] ?? '')).join(' ');
const started = performance.now();
const one = arg('seed');

if (one !== undefined) {
  const r = await runSimulation({ seed: Number(one), ...base });
  console.log(r.trace.join('\n'));
  console.log(`seed ${r.seed} (${r.profile}): ${r.ok ? 'ok' : 'FAILED'} ops ${r.stats.ops} applied ${r.stats.applied} time ${r.stats.time}`);
  console.log(`faults: ${[...r.faults].sort().join(', ')}`);
  if (!r.ok) {
    console.log(r.failure);
    process.exitCode = 1;
  }
} else {
  const n = Number(arg('seeds') ?? '100');
  const from = Number(arg('from') ?? '1');
  const seen = new Map<FaultKind, number>();
  let ops = 0;
  let failed = 0;
  let ran = 0;
  for (let seed = from; seed < from + n; seed++) {
    const r = await runSimulation({ seed, ...base });
    ran++;
    if (ran % 100 === 0) {
      const heapMiB = process.memoryUsage().heapUsed / 2 ** 20;
      console.log(`… ${ran} seeds (up to ${seed}), ${((performance.now() - started) / 1000).toFixed(0)} s, heap ${heapMiB.toFixed(0)} MiB`);
    }
    for (const f of r.faults) seen.set(f, (seen.get(f) ?? 0) + 1);
    ops += r.stats.ops;
    if (!r.ok) {
      failed++;
      console.log(`seed ${seed} FAILED: ${r.failure}`);
      console.log(r.trace.slice(-25).join('\n'));
      console.log(`replay: npm run sim -- --seed ${seed} ${flags}`.trim());
      break;
    }
  }
  const secs = (performance.now() - started) / 1000;
  console.log(`${failed === 0 ? 'all passed' : 'failure'}: ${ran} of ${n} seeds from ${from}, ${ops} client operations, ${secs.toFixed(1)} s (${(ran / secs).toFixed(2)} seeds/s)`);
  console.log(`fault kinds (seeds exercising each): ${[...seen].sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (failed > 0) process.exitCode = 1;
}
