// --cpu-prof on a board run from the sources: Node 20 refuses --cpu-prof in
// NODE_OPTIONS, so the launcher must put it on the command line.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Installation } from '../../src/bench/launcher.ts';

const main = join(import.meta.dirname, '../../src/cli/main.ts');

t.test('a board started from the sources with a profile folder writes <board>-<start>.cpuprofile', async (t) => {
  const root = t.testdir();
  const profiles = join(root, 'profiles');
  const inst = new Installation({ command: process.execPath, args: ['--import', 'tsx', main], root, cpuProfileDir: profiles, extraArgs: ['--tick-ms', '50'] });
  t.teardown(() => inst.stopAll('SIGKILL'));
  await inst.create(1, 0);
  t.equal(await inst.waitForLeader(60_000), 'v1', 'the profiled board runs and leads');
  await inst.stopAll('SIGTERM');
  const file = join(profiles, 'v1-1.cpuprofile');
  t.ok(existsSync(file), file);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes?: unknown[] };
  t.ok(Array.isArray(profile.nodes) && profile.nodes.length > 0, 'a V8 CPU profile');
});
