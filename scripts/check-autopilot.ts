// Autopilot with real processes against the built x64 image (part of `npm test`, after the
// build): the scenarios of test/helpers/autopilot-scenarios.ts with 5 voters and 4 external
// boards over two domains: two voters killed for good and their return (a quiet minute), every
// voter stopped with SIGTERM and restarted in turn under a constant write load, a board joining
// while a voter is missing, a voter that lost its state coming back as a new incarnation.
//   npx tsx scripts/check-autopilot.ts [--image PATH | --sources] [--only NAME[,NAME]] [--quiet-ms MS]
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Installation } from '../src/bench/launcher.ts';
import {
  TICK_MS, boardArgs, joinWhileVoterMissing, killTwoForGood, lostStateVoter, rollingRestart, type ScenarioEnv,
} from '../test/helpers/autopilot-scenarios.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const fromSources = process.argv.includes('--sources');
const image = resolve(arg('image') ?? 'images/linux-x64/raftlight');
const quietMs = Number(arg('quiet-ms') ?? '60000');
const only = arg('only')?.split(',');
if (!fromSources && !existsSync(image)) {
  process.stderr.write(`check-autopilot: ${image} is missing: run npm run build\n`);
  process.exit(2);
}
const command = fromSources ? { command: process.execPath, args: ['--import', 'tsx', resolve('src/cli/main.ts')] } : { command: image, args: [] };

const scenarios: Record<string, (env: ScenarioEnv) => Promise<void>> = {
  'kill-two': (env) => killTwoForGood(env, quietMs),
  'rolling-restart': rollingRestart,
  'join-while-missing': joinWhileVoterMissing,
  'lost-state': lostStateVoter,
};

let passed = 0;
let failed = 0;
const started = Date.now();
for (const [name, run] of Object.entries(scenarios)) {
  if (only && !only.includes(name)) continue;
  const root = mkdtempSync(join(tmpdir(), 'raftlight-autopilot-'));
  let inst: Installation | undefined;
  const t0 = Date.now();
  process.stdout.write(`\n${name} (${fromSources ? 'sources' : image})\n`);
  let ok = true;
  const env: ScenarioEnv = {
    make: async (voters, externals, extraArgs) => {
      inst = new Installation({
        ...command, root, cluster: 'autopilot', logTailLines: 300, boardArgs,
        extraArgs: ['--tick-ms', String(TICK_MS), '--log-level', 'info', ...extraArgs],
      });
      await inst.create(voters, externals);
      return inst;
    },
    check: (what, good, detail) => {
      process.stdout.write(`${good ? 'ok  ' : 'FAIL'} ${what}: ${detail}\n`);
      if (good) passed++;
      else {
        failed++;
        ok = false;
      }
    },
    note: (line) => process.stdout.write(`     ${line}\n`),
  };
  try {
    await run(env);
  } catch (err) {
    env.check('scenario ran', false, (err as Error).stack ?? String(err));
  } finally {
    if (!ok && inst) for (const b of inst.boards.values()) process.stdout.write(`--- ${b.id}\n${b.logTail.slice(-25).join('\n')}\n`);
    await inst?.stopAll('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  }
  process.stdout.write(`     ${name}: ${Math.round((Date.now() - t0) / 1000)} s\n`);
}
process.stdout.write(`\nautopilot checks: ${passed} passed, ${failed} failed in ${Math.round((Date.now() - started) / 1000)} s\n`);
process.exit(failed === 0 ? 0 : 1);
