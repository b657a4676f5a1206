// The checkers can fail: each deliberately broken behaviour is caught within a bound of seeds
// (1..200 at most). Core bugs are RaftBugs (test-only config); planted bugs sit in the Ready
// loop and the storage behind a switch the images compile out (src/board/planted-bugs.ts);
// the harness bug breaks a stand-in the simulation itself plays. The first seed that catches
// each is in docs/architecture.md ("When a board breaks": the simulation).
import t from 'tap';
import { runSimulation, type SimOptions } from './simulation.ts';
import { runAutopilotSimulation } from './autopilot-sim.ts';
import type { AutopilotBugs } from '../../src/board/autopilot.ts';

const safety = /leader completeness|state machine safety|election safety|linearizability|durability|convergence/;

interface Case {
  readonly name: string;
  readonly options: Omit<SimOptions, 'seed'>;
  readonly bound: number;
}

const cases: Case[] = [
  { name: 'core: voteWithoutLogCheck', options: { bugs: { voteWithoutLogCheck: true } }, bound: 50 },
  { name: 'core: applyBeforeCommit', options: { bugs: { applyBeforeCommit: true } }, bound: 50 },
  { name: 'core: readIndexWithoutQuorum', options: { bugs: { readIndexWithoutQuorum: true } }, bound: 50 },
  { name: 'core: commitPreviousTermByCounting', options: { bugs: { commitPreviousTermByCounting: true } }, bound: 100 },
  { name: 'core: readAckAnyRound', options: { bugs: { readAckAnyRound: true } }, bound: 200 },
  { name: 'harness: perProcessReadCounter', options: { harnessBugs: { perProcessReadCounter: true } }, bound: 200 },
  { name: 'planted: ackBeforeFsync', options: { planted: { ackBeforeFsync: true } }, bound: 100 },
  { name: 'planted: applyBeforePersist', options: { planted: { applyBeforePersist: true } }, bound: 200 },
  { name: 'planted: skipSnapshotDirSync', options: { planted: { skipSnapshotDirSync: true } }, bound: 100 },
  { name: 'planted: compactPastSnapshot', options: { planted: { compactPastSnapshot: true } }, bound: 100 },
  { name: 'planted: rejoinWithLostState (disk faults)', options: { planted: { rejoinWithLostState: true }, profile: 'disk-faults' }, bound: 200 },
];

for (const c of cases) {
  t.test(`${c.name} is caught within ${c.bound} seeds`, async (t) => {
    for (let seed = 1; seed <= c.bound; seed++) {
      const r = await runSimulation({ seed, ...c.options });
      if (!r.ok) {
        t.match(r.failure ?? '', safety, `seed ${seed} (${r.profile}): ${r.failure?.split('\n')[0]}`);
        t.comment(`${c.name}: caught at seed ${seed}`);
        return;
      }
    }
    t.fail(`${c.name} went unnoticed for ${c.bound} seeds`);
  });
}

// Autopilot's rules, in the autopilot profile (test/sim/autopilot-sim.ts), seeds 1..200 when set:
//   demoteBeforeReplace  first seed 1 (a dead voter demoted alone while a board could take its seat)
//   actWithoutQuorum     first seed 5 (a swap with 1 of 3 voters healthy)
//   promoteLagging       first seed 53 (a board 1,715 entries behind promoted)
//   ignoreDomains        first seed 82 (converged with a spread gap of 2: voters A, C, C while a B board waited;
//                        seed 170 before the dies-for-good budget covered every configuration in use)
const autopilotCases: { bug: keyof AutopilotBugs; bound: number; property: RegExp }[] = [
  { bug: 'demoteBeforeReplace', bound: 200, property: /autopilot replace/ },
  { bug: 'actWithoutQuorum', bound: 200, property: /autopilot guard|autopilot quorum/ },
  { bug: 'promoteLagging', bound: 200, property: /autopilot promote/ },
  { bug: 'ignoreDomains', bound: 200, property: /converge/ },
];

for (const c of autopilotCases) {
  t.test(`autopilot: ${c.bug} is caught within ${c.bound} seeds`, async (t) => {
    for (let seed = 1; seed <= c.bound; seed++) {
      const r = runAutopilotSimulation({ seed, bugs: { [c.bug]: true } });
      if (!r.ok) {
        t.match(r.failure ?? '', c.property, `seed ${seed}: ${r.failure?.split('\n')[0]}`);
        t.comment(`autopilot: ${c.bug}: caught at seed ${seed}`);
        return;
      }
    }
    t.fail(`${c.bug} went unnoticed for ${c.bound} seeds`);
  });
}
