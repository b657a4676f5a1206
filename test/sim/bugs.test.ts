// The checkers can fail: each deliberately broken behaviour (test-only RaftConfig.bugs) is caught within a bound.
import t from 'tap';
import { runSimulation } from './simulation.ts';
import type { RaftBugs } from '../../src/raft/config.ts';
import type { SimHarnessBugs } from './simulation.ts';
import { runAutopilotSimulation } from './autopilot-sim.ts';
import type { AutopilotBugs } from '../../src/board/autopilot.ts';

// Seeds 1.. with the default (seed-chosen) profiles. Measured when these bounds were set, out of seeds 1..200:
//   applyBeforeCommit             first seed 1, caught by 200 of 200 seeds (an entry applied before it is on
//     a majority fails the commit durability check, or state machine safety, or linearizability)
//   readIndexWithoutQuorum        first seed 1, caught by 147 of 200
//   voteWithoutLogCheck           first seed 2, caught by 102 of 200
//   commitPreviousTermByCounting  first seed 1, caught by 28 of 200, all in the leader-churn profile (about one
//     seed in four): 28 of its 62 seeds. The commit durability check flags it when the early commit happens;
//     without that check, elections that actually drop the entry catch it in about 1 leader-churn seed in 30.
//   readAckAnyRound               first seed 27, caught by 7 of 200, all in the delayed-reads profile (about one
//     seed in five): a deposed leader, paused while its followers' acknowledgements are stalled on the wire,
//     counts them for a read it registers after resuming and serves a value older than a completed write.
//   perProcessReadCounter (harness) first seed 11, caught by 29 of 200, all delayed-reads: a board that restarts
//     while the answer to its last read is on the wire pairs that answer with its new read (same context r1).
const cases: { bug: keyof RaftBugs; bound: number; property: RegExp }[] = [
  { bug: 'voteWithoutLogCheck', bound: 20, property: /leader completeness|state machine safety|linearizability|log matching/ },
  { bug: 'applyBeforeCommit', bound: 20, property: /leader completeness|state machine safety|linearizability/ },
  { bug: 'readIndexWithoutQuorum', bound: 20, property: /linearizability/ },
  { bug: 'commitPreviousTermByCounting', bound: 50, property: /leader completeness|state machine safety|linearizability/ },
  { bug: 'readAckAnyRound', bound: 100, property: /linearizability/ },
];

const harnessCases: { bug: keyof SimHarnessBugs; bound: number; property: RegExp }[] = [
  { bug: 'perProcessReadCounter', bound: 100, property: /linearizability/ },
];

// Autopilot's rules, in the autopilot profile (test/sim/autopilot-sim.ts), seeds 1..200 when set:
//   demoteBeforeReplace  first seed 1 (a dead voter demoted alone while a board could take its seat)
//   actWithoutQuorum     first seed 5 (a swap with 1 of 3 voters healthy)
//   promoteLagging       first seed 53 (a board 1,715 entries behind promoted)
//   ignoreDomains        first seed 170 (converged with a spread gap of 2: voters B, B, A while an A board waited)
const autopilotCases: { bug: keyof AutopilotBugs; bound: number; property: RegExp }[] = [
  { bug: 'demoteBeforeReplace', bound: 200, property: /autopilot replace/ },
  { bug: 'actWithoutQuorum', bound: 200, property: /autopilot guard|autopilot quorum/ },
  { bug: 'promoteLagging', bound: 200, property: /autopilot promote/ },
  { bug: 'ignoreDomains', bound: 200, property: /converge/ },
];

for (const c of autopilotCases) {
  t.test(`autopilot ${c.bug} is caught within ${c.bound} seeds`, async (t) => {
    for (let seed = 1; seed <= c.bound; seed++) {
      const r = runAutopilotSimulation({ seed, bugs: { [c.bug]: true } });
      if (!r.ok) {
        t.match(r.failure ?? '', c.property, `seed ${seed}: ${r.failure?.split('\n')[0]}`);
        t.comment(`${c.bug}: caught after ${seed} seed(s)`);
        return;
      }
    }
    t.fail(`${c.bug} went unnoticed for ${c.bound} seeds`);
  });
}

for (const c of harnessCases) {
  t.test(`${c.bug} (around the core) is caught within ${c.bound} seeds`, async (t) => {
    for (let seed = 1; seed <= c.bound; seed++) {
      const r = runSimulation({ seed, harnessBugs: { [c.bug]: true } });
      if (!r.ok) {
        t.match(r.failure ?? '', c.property, `seed ${seed} (${r.profile}): ${r.failure?.split('\n')[0]}`);
        t.comment(`${c.bug}: caught after ${seed} seed(s)`);
        return;
      }
    }
    t.fail(`${c.bug} went unnoticed for ${c.bound} seeds`);
  });
}

for (const c of cases) {
  t.test(`${c.bug} is caught within ${c.bound} seeds`, async (t) => {
    for (let seed = 1; seed <= c.bound; seed++) {
      const r = runSimulation({ seed, bugs: { [c.bug]: true } });
      if (!r.ok) {
        t.match(r.failure ?? '', c.property, `seed ${seed} (${r.profile}): ${r.failure?.split('\n')[0]}`);
        t.comment(`${c.bug}: caught after ${seed} seed(s)`);
        return;
      }
    }
    t.fail(`${c.bug} went unnoticed for ${c.bound} seeds`);
  });
}

t.test('commitPreviousTermByCounting is caught by the leader-churn profile alone, seed after seed', async (t) => {
  // Not one lucky seed: the profile keeps producing Figure 8 histories.
  let caught = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const r = runSimulation({ seed, profile: 'leader-churn', bugs: { commitPreviousTermByCounting: true } });
    if (!r.ok) caught++;
  }
  t.ok(caught >= 3, `caught in ${caught} of 20 leader-churn seeds`);
});
