// The hostile-input suite against the built x64 image (part of `npm test`,
// after the build): a default installation (3 voters, 1 external board, set up
// the way the launcher does: founders with a bootstrap secret, the external
// board joined with a join token), then the secured installation that
// docs/operations.md's walkthrough builds, run as written.
//   npx tsx scripts/check-hostile.ts [--image PATH] [--only default|walkthrough]
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Installation } from '../src/bench/launcher.ts';
import { loadTarget } from '../src/bench/targets.ts';
import { runHostileSuite, type SuiteResult } from '../test/hostile/suite.ts';
import { fromInstallation } from '../test/hostile/target.ts';
import { runWalkthrough } from '../test/hostile/walkthrough.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const image = resolve(arg('image') ?? 'images/linux-x64/raftlight');
const only = arg('only');
const target = loadTarget('linux-x64');
if (!existsSync(image)) {
  process.stderr.write(`check-hostile: ${image} is missing: run npm run build\n`);
  process.exit(2);
}
const results: SuiteResult[] = [];
const started = Date.now();

async function defaultInstallation(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'raftlight-hostile-'));
  const inst = new Installation({ command: image, args: [], root, cluster: 'hostile', extraArgs: ['--tick-ms', '50', '--log-level', 'warn'], logTailLines: 100 });
  try {
    process.stdout.write(`hostile-input suite against a default installation of ${image}\n`);
    await inst.create(3, 1);
    await inst.waitForLeader(60_000);
    await inst.start('e1');
    await inst.waitForRole('e1', 'external', 60_000);
    results.push(...await runHostileSuite(fromInstallation(inst), { anonBudgetMiB: target.budgets.hardLimitMiB }));
  } finally {
    if (results.some((r) => !r.ok)) for (const b of inst.boards.values()) process.stdout.write(`--- ${b.id}\n${b.logTail.slice(-15).join('\n')}\n`);
    await inst.stopAll('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  }
}

async function walkthrough(): Promise<void> {
  process.stdout.write('\nhostile-input suite against the secured installation of the walkthrough in docs/operations.md\n');
  results.push(...await runWalkthrough(image, async (t) => runHostileSuite(t, { anonBudgetMiB: target.budgets.hardLimitMiB })));
}

try {
  if (only !== 'walkthrough') await defaultInstallation();
  if (only !== 'default') await walkthrough();
} catch (err) {
  results.push({ name: 'suite run', ok: false, evidence: (err as Error).stack ?? String(err) });
  process.stdout.write(`FAIL ${(err as Error).stack}\n`);
}
const failed = results.filter((r) => !r.ok);
process.stdout.write(`\nhostile-input suite: ${results.length - failed.length} of ${results.length} checks passed in ${Math.round((Date.now() - started) / 1000)} s\n`);
process.exit(failed.length === 0 ? 0 : 1);
