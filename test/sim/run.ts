// npm run sim -- --seed N      replay one seed (prints its trace)
// npm run sim -- --seeds N     run seeds 1..N (or --from S), stop at the first failure
// npm run sim -- --bug NAME    switch on a deliberately broken behaviour of the core (test-only)
// npm run sim -- --harness-bug NAME   a broken behaviour around the core (perProcessReadCounter)
// npm run sim -- --stress      bug-hunting profile (5 voters, one entry per append, frequent crashes)
// npm run sim -- --profile P   force a profile: mixed, stress, leader-churn (default: the seed picks)
// npm run sim -- --parallel-leader-write   leaders send appends before persisting them (the board's mode)
import { runSimulation, type FaultKind, type SimHarnessBugs, type SimProfile } from './simulation.ts';
import type { RaftBugs } from '../../src/raft/config.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const bugName = arg('bug');
const bugs: RaftBugs | undefined = bugName ? { [bugName]: true } : undefined;
const harnessBugName = arg('harness-bug');
const harnessBugs: SimHarnessBugs | undefined = harnessBugName ? { [harnessBugName]: true } : undefined;
const one = arg('seed');
const stress = process.argv.includes('--stress');
const parallelLeaderWrite = process.argv.includes('--parallel-leader-write');
const profiles: readonly SimProfile[] = ['mixed', 'stress', 'leader-churn', 'delayed-reads'];
const profileArg = arg('profile');
if (profileArg !== undefined && !profiles.includes(profileArg as SimProfile)) {
  console.error(`unknown --profile ${profileArg}; one of ${profiles.join(', ')}`);
  process.exit(2);
}
const profile = profileArg as SimProfile | undefined;
const started = performance.now();

if (one !== undefined) {
  const r = runSimulation({ seed: Number(one), ...(bugs ? { bugs } : {}), ...(harnessBugs ? { harnessBugs } : {}), stress, parallelLeaderWrite, ...(profile ? { profile } : {}) });
  console.log(r.trace.join('\n'));
  console.log(`seed ${r.seed}: ${r.ok ? 'ok' : 'FAILED'} ops ${r.stats.ops} applied ${r.stats.applied} time ${r.stats.time}`);
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
  for (let seed = from; seed < from + n; seed++) {
    const r = runSimulation({ seed, ...(bugs ? { bugs } : {}), ...(harnessBugs ? { harnessBugs } : {}), stress, parallelLeaderWrite, ...(profile ? { profile } : {}) });
    for (const f of r.faults) seen.set(f, (seen.get(f) ?? 0) + 1);
    ops += r.stats.ops;
    if (!r.ok) {
      failed++;
      console.log(`seed ${seed} FAILED: ${r.failure}`);
      console.log(r.trace.slice(-25).join('\n'));
      console.log(`replay: npm run sim -- --seed ${seed}${bugName ? ` --bug ${bugName}` : ''}${harnessBugName ? ` --harness-bug ${harnessBugName}` : ''}${stress ? ' --stress' : ''}${profile ? ` --profile ${profile}` : ''}`);
      break;
    }
  }
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${failed === 0 ? 'all passed' : 'failure'}: ${n} seeds from ${from}, ${ops} client operations, ${secs} s`);
  console.log(`fault kinds (seeds exercising each): ${[...seen].sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (failed > 0) process.exitCode = 1;
}
