// A killed bench's data folder is removed by the next run, and only that one.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRunRoot, removeStaleRoots, ROOT_PREFIX } from '../../src/bench/stale-roots.ts';

t.test('removes folders whose bench is gone, keeps running and unmarked ones', async (t) => {
  const parent = t.testdir();
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  const mk = (name: string, pid?: number): string => {
    const dir = join(parent, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'board.wal'), 'data');
    if (pid !== undefined) writeFileSync(join(dir, 'bench.pid'), `${pid}\n`);
    return dir;
  };
  const gone = mk(`${ROOT_PREFIX}gone`, dead);
  const running = mk(`${ROOT_PREFIX}running`, process.pid);
  const unmarked = mk(`${ROOT_PREFIX}unmarked`);
  const other = mk('something-else', dead);
  t.same(removeStaleRoots(parent), [`${ROOT_PREFIX}gone`]);
  t.notOk(existsSync(gone), 'the killed bench\'s folder is gone');
  t.ok(existsSync(running) && existsSync(unmarked) && existsSync(other), 'the others stay');
  t.same(removeStaleRoots(join(parent, 'missing')), [], 'a missing parent is not an error');
});

t.test('a run folder carries the bench pid', async (t) => {
  const root = makeRunRoot(t.testdir());
  t.equal(readFileSync(join(root, 'bench.pid'), 'utf8').trim(), String(process.pid));
});
