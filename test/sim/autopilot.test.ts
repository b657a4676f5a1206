// The autopilot profile of the simulation (test/sim/autopilot-sim.ts): seeds 1..30 here;
// `npm run sim:autopilot -- --seeds 1000` runs more. Every failure prints its seed and replays.
import t from 'tap';
import { runAutopilotSimulation, CONVERGE_BOUND_MS } from './autopilot-sim.ts';

t.test(`autopilot keeps quorum, promotes only eligible boards, converges within ${CONVERGE_BOUND_MS / 1000} s and stays put`, async (t) => {
  const times: number[] = [];
  for (let seed = 1; seed <= 30; seed++) {
    const r = runAutopilotSimulation({ seed });
    if (!r.ok) {
      t.fail(`seed ${seed}: ${r.failure}\n${r.trace.slice(-20).join('\n')}\nreplay: npm run sim:autopilot -- --seed ${seed}`);
      return;
    }
    times.push(r.convergeMs!);
  }
  times.sort((a, b) => a - b);
  t.pass(`30 seeds; converged after faults stopped in median ${times[15]} ms, max ${times[29]} ms (simulated)`);
});
