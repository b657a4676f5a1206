// npm run sim:autopilot -- --seeds N [--from S]   run the autopilot profile for seeds S..S+N-1
// npm run sim:autopilot -- --seed N               replay one seed (prints its trace)
// npm run sim:autopilot -- --bug NAME             a broken autopilot rule (demoteBeforeReplace,
//                                                 promoteLagging, actWithoutQuorum, ignoreDomains)
import { runAutopilotSimulation } from './autopilot-sim.ts';
import type { AutopilotBugs } from '../../src/board/autopilot.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const bugName = arg('bug');
const bugs: AutopilotBugs | undefined = bugName ? { [bugName]: true } : undefined;
const one = arg('seed');
if (one !== undefined) {
  const r = runAutopilotSimulation({ seed: Number(one), ...(bugs ? { bugs } : {}) });
  console.log(r.trace.join('\n'));
  console.log(`seed ${r.seed}: ${r.ok ? 'ok' : 'FAILED'}; ${r.changes} changes, ${r.voters} voters of ${r.boards} boards, converged ${r.convergeMs} ms after faults stopped`);
  if (!r.ok) {
    console.log(r.failure);
    process.exitCode = 1;
  }
} else {
  const n = Number(arg('seeds') ?? '100');
  const from = Number(arg('from') ?? '1');
  const started = performance.now();
  const times: number[] = [];
  let changes = 0;
  let failed = 0;
  for (let seed = from; seed < from + n; seed++) {
    const r = runAutopilotSimulation({ seed, ...(bugs ? { bugs } : {}) });
    changes += r.changes;
    if (r.convergeMs !== null) times.push(r.convergeMs);
    if (!r.ok) {
      failed++;
      console.log(`seed ${seed} FAILED: ${r.failure}`);
      console.log(r.trace.slice(-20).join('\n'));
      console.log(`replay: npm run sim:autopilot -- --seed ${seed}${bugName ? ` --bug ${bugName}` : ''}`);
      break;
    }
  }
  times.sort((a, b) => a - b);
  const pct = (p: number): number => times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? NaN;
  console.log(`${failed === 0 ? 'all passed' : 'failure'}: ${n} seeds from ${from}, ${changes} autopilot changes, ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(`time to converge after faults stop (simulated): median ${pct(0.5)} ms, p95 ${pct(0.95)} ms, max ${times[times.length - 1]} ms`);
  if (failed > 0) process.exitCode = 1;
}
