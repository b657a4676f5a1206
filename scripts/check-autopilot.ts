// Autopilot with real processes against the built x64 image (npm run test:autopilot, after
// npm run build; about 4 minutes, not part of npm test): the scenarios of
// test/helpers/autopilot-scenarios.ts, 5 voters and 4 external boards over two domains where a
// scenario needs them: two voters killed for good (restored within the dead-voter time + 15 s,
// spread over both domains, writes out for at most one election) and their return (a quiet
// minute); the leader losing power (frozen, its sockets left open); every voter stopped with
// SIGTERM and restarted in turn under a constant write load; a board joining while a voter is
// missing; a voter that lost its state coming back as a new incarnation; the leader demoted 25
// times under a constant write load (each hand-over under 200 ms without an acknowledged write).
//   npx tsx scripts/check-autopilot.ts [--image PATH | --sources] [--only NAME[,NAME]] [--quiet-ms MS] [--rounds N] [--show-logs]
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Installation } from '../src/bench/launcher.ts';
import {
  TICK_MS, boardArgs, demoteLeader, joinWhileVoterMissing, killTwoForGood, lostStateVoter, powerCutLeader, rollingRestart, type ScenarioEnv,
} from '../test/helpers/autopilot-scenarios.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const fromSources = process.argv.includes('--sources');
const image = resolve(arg('image') ?? 'images/linux-x64/raftlight');
const quietMs = Number(arg('quiet-ms') ?? '60000');
const only = arg('only')?.split(',');
const rounds = Number(arg('rounds') ?? '25');
const showLogs = process.argv.includes('--show-logs');
if (!fromSources && !existsSync(image)) {
  process.stderr.write(`check-autopilot: ${image} is missing: run npm run build\n`);
  process.exit(2);
}
const command = fromSources ? { command: process.execPath, args: ['--import', 'tsx', resolve('src/cli/main.ts')] } : { command: image, args: [] };

const scenarios: Record<string, (env: ScenarioEnv) => Promise<void>> = {
  'kill-two': (env) => killTwoForGood(env, quietMs),
  'power-cut-leader': powerCutLeader,
  'rolling-restart': rollingRestart,
  'join-while-missing': joinWhileVoterMissing,
  'lost-state': lostStateVoter,
  'demote-leader': (env) => demoteLeader(env, rounds),
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
    if ((!ok || showLogs) && inst) for (const b of inst.boards.values()) process.stdout.write(`--- ${b.id}\n${b.logTail.slice(-25).join('\n')}\n`);
    await inst?.stopAll('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  }
  process.stdout.write(`     ${name}: ${Math.round((Date.now() - t0) / 1000)} s\n`);
}
process.stdout.write(`\nautopilot checks: ${passed} passed, ${failed} failed in ${Math.round((Date.now() - started) / 1000)} s\n`);
process.exit(failed === 0 ? 0 : 1);
