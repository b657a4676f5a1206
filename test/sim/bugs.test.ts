// The checkers can fail: each deliberately broken behaviour is caught within a bound of seeds
// (1..200 at most). Core bugs are RaftBugs (test-only config); planted bugs sit in the Ready
// loop and the storage behind a switch the images compile out (src/board/planted-bugs.ts);
// the harness bug breaks a stand-in the simulation itself plays. The first seed that catches
// each, measured when these bounds were set, is in docs/architecture.md ("The simulation").
import t from 'tap';
import { runSimulation, type SimOptions } from './simulation.ts';

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
