// An installation of real board processes for integration tests, run from the
// sources through tsx; torn down (and its data removed) by the test.
import { join } from 'node:path';
import type { Test } from 'tap';
import { Installation, type LauncherOptions } from '../../src/bench/launcher.ts';

const main = join(import.meta.dirname, '../../src/cli/main.ts');

export async function startInstallation(t: Test, voters: number, externals: number, extraArgs: string[] = [], options: Partial<LauncherOptions> = {}): Promise<Installation> {
  const root = t.testdir();
  const inst = new Installation({
    command: process.execPath,
    args: ['--import', 'tsx', main],
    root,
    cluster: 'test',
    // Autopilot only where a test asks for it (--autopilot): the others script membership themselves.
    extraArgs: ['--log-level', 'info', '--tick-ms', '50', ...(extraArgs.includes('--autopilot') ? [] : ['--no-autopilot']), ...extraArgs],
    logTailLines: 400,
    ...options,
  });
  t.teardown(async () => {
    await inst.stopAll('SIGKILL');
  });
  t.afterEach?.(() => undefined);
  await inst.create(voters, externals);
  return inst;
}

/** Prints the boards' last log lines when a test failed. */
export function dumpLogsOnFailure(t: Test, inst: Installation): void {
  t.teardown(() => {
    if (t.passing()) return;
    for (const b of inst.boards.values()) t.comment(`--- ${b.id} ---\n${b.logTail.join('\n')}`);
  });
}
