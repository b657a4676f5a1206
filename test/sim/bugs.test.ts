// The checkers can fail: each deliberately broken behaviour (test-only RaftConfig.bugs) is caught within a bound.
import t from 'tap';
import { runSimulation } from './simulation.ts';
import type { RaftBugs } from '../../src/raft/config.ts';

// Seeds needed, measured when these tests were written (seeds 1..): each was caught by the first seed.
// commitPreviousTermByCounting needs Figure 8's exact interleaving; random runs did not hit it in
// 3,000 default + 1,500 stress seeds, so test/raft/commitment.test.ts proves that check with the scripted scenario.
const cases: { bug: keyof RaftBugs; bound: number; property: RegExp }[] = [
  { bug: 'voteWithoutLogCheck', bound: 20, property: /leader completeness|state machine safety|linearizability|log matching/ },
  { bug: 'applyBeforeCommit', bound: 20, property: /state machine safety|linearizability/ },
  { bug: 'readIndexWithoutQuorum', bound: 20, property: /linearizability/ },
];

for (const c of cases) {
  t.test(`${c.bug} is caught within ${c.bound} seeds`, async (t) => {
    for (let seed = 1; seed <= c.bound; seed++) {
      const r = runSimulation({ seed, bugs: { [c.bug]: true } });
      if (!r.ok) {
        t.match(r.failure ?? '', c.property, `seed ${seed}: ${r.failure?.split('\n')[0]}`);
        t.comment(`${c.bug}: caught after ${seed} seed(s)`);
        return;
      }
    }
    t.fail(`${c.bug} went unnoticed for ${c.bound} seeds`);
  });
}
