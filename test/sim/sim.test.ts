// The deterministic simulation in CI: enough seeds to exercise every fault kind, all safety and liveness checks on.
import t from 'tap';
import { runSimulation, type FaultKind } from './simulation.ts';

const seeds = Number(process.env['SIM_SEEDS'] ?? 600);
const from = Number(process.env['SIM_FROM'] ?? 1);
const allKinds: FaultKind[] = [
  'drop', 'duplicate', 'reorder', 'partition', 'crash', 'conf-change', 'remove-leader',
  'promote-learner', 'transfer', 'snapshot', 'compaction', 'power-cut',
];

t.test(`seeds ${from}..${from + seeds - 1}: safety after every step, linearizable history, liveness after heal`, async (t) => {
  const seen = new Set<FaultKind>();
  const profiles = new Map<string, number>();
  let ops = 0;
  for (let seed = from; seed < from + seeds; seed++) {
    const r = runSimulation({ seed });
    for (const f of r.faults) seen.add(f);
    profiles.set(r.profile, (profiles.get(r.profile) ?? 0) + 1);
    ops += r.stats.ops;
    if (!r.ok) {
      t.fail(`seed ${seed} failed: ${r.failure}\n${r.trace.slice(-25).join('\n')}\nreplay: npm run sim -- --seed ${seed}`);
      return;
    }
  }
  t.comment(`${seeds} seeds (${[...profiles].map(([p, n]) => `${p} ${n}`).join(', ')}), ${ops} client operations checked`);
  t.ok((profiles.get('leader-churn') ?? 0) > 0, 'the leader-churn profile (Figure 8 histories) is part of the seed range');
  for (const k of allKinds) t.ok(seen.has(k), `fault kind exercised: ${k}`);
});

t.test('stress profile (5 voters, one entry per append, leaders killed after applying)', async (t) => {
  for (let seed = 1; seed <= 40; seed++) {
    const r = runSimulation({ seed, stress: true });
    if (!r.ok) {
      t.fail(`stress seed ${seed} failed: ${r.failure}\nreplay: npm run sim -- --seed ${seed} --stress`);
      return;
    }
  }
  t.pass('40 stress seeds passed');
});

t.test('parallel leader write: appends leave before the leader persists, leaders crash in between', async (t) => {
  const n = Number(process.env['SIM_PARALLEL_SEEDS'] ?? 300);
  let ops = 0;
  for (let seed = 1; seed <= n; seed++) {
    const r = runSimulation({ seed, parallelLeaderWrite: true });
    ops += r.stats.ops;
    if (!r.ok) {
      t.fail(`seed ${seed} failed: ${r.failure}\n${r.trace.slice(-25).join('\n')}\nreplay: npm run sim -- --seed ${seed} --parallel-leader-write`);
      return;
    }
  }
  for (let seed = 1; seed <= 40; seed++) {
    const r = runSimulation({ seed, stress: true, parallelLeaderWrite: true });
    if (!r.ok) {
      t.fail(`stress seed ${seed} failed: ${r.failure}\nreplay: npm run sim -- --seed ${seed} --stress --parallel-leader-write`);
      return;
    }
  }
  t.pass(`${n} seeds and 40 stress seeds passed, ${ops} client operations checked`);
});

t.test('a seed replays exactly', async (t) => {
  const a = runSimulation({ seed: 4242 });
  const b = runSimulation({ seed: 4242 });
  t.same(b.trace, a.trace);
  t.same(b.stats, a.stats);
});
