import t from 'tap';
import { runCrashRounds } from './crash-harness.ts';

t.test('SIGKILL during fsynced appends loses no acknowledged entry', async (t) => {
  const seed = Number(process.env.CRASH_SEED ?? 20261129);
  t.comment(`seed ${seed} (replay with CRASH_SEED=${seed})`);
  const report = await runCrashRounds(t.testdir(), 20, seed);
  t.same(report.problems, [], `seed ${seed}`);
  t.ok(report.maxAcked > 0, `acknowledged up to ${report.maxAcked}`);
});
