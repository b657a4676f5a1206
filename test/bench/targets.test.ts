// The targets' budgets are built into the executable; --target picks one or overrides it with a file.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtInTargets, defaultTargetName, loadTarget } from '../../src/bench/targets.ts';

const repoTarget = (name: string): unknown => JSON.parse(readFileSync(join(import.meta.dirname, '../../targets', `${name}.json`), 'utf8'));

t.test('built-in targets are the files in targets/', async (t) => {
  const names = builtInTargets().map((x) => x.name).sort();
  t.same(names, ['linux-arm64', 'linux-x64']);
  for (const target of builtInTargets()) t.same(target.budgets, (repoTarget(target.name) as { budgets: unknown }).budgets, `${target.name} budgets`);
  t.equal(defaultTargetName('x64'), 'linux-x64');
  t.equal(defaultTargetName('arm64'), 'linux-arm64');
  t.equal(loadTarget(undefined).source, 'built-in');
});

t.test('a file overrides; a bad one is a clear error', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'small.json');
  const raw = repoTarget('linux-x64') as { budgets: Record<string, number> };
  writeFileSync(file, JSON.stringify({ ...raw, name: 'small', budgets: { ...raw.budgets, hardLimitMiB: 40 } }));
  const target = loadTarget(file);
  t.equal(target.budgets.hardLimitMiB, 40);
  t.equal(target.source, file);
  t.throws(() => loadTarget(join(dir, 'missing.json')), { code: 'BAD_TARGET', message: /neither a built-in target \(linux-arm64, linux-x64\) nor an existing file/ });
  writeFileSync(file, JSON.stringify({ ...raw, budgets: { ...raw.budgets, hardLimitMiB: 'lots' } }));
  t.throws(() => loadTarget(file), { message: /budgets.hardLimitMiB" must be a positive number/ });
  writeFileSync(file, '{');
  t.throws(() => loadTarget(file), { message: /not readable JSON/ });
});
