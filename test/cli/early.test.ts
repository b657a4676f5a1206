// What main.ts sets up before anything else: libuv's pool size (kept when the operator set one).
import t from 'tap';
import { spawnSync } from 'node:child_process';

const early = new URL('../../src/cli/early.ts', import.meta.url).href;
const poolSize = (env: NodeJS.ProcessEnv): string => {
  const code = `await import(${JSON.stringify(early)}); process.stdout.write(process.env.UV_THREADPOOL_SIZE ?? 'unset');`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', env, cwd: new URL('../..', import.meta.url).pathname });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
};

t.test('libuv\'s thread pool: two threads unless the operator says otherwise', async (t) => {
  const { UV_THREADPOOL_SIZE: _drop, ...env } = process.env;
  t.equal(poolSize(env), '2');
  t.equal(poolSize({ ...env, UV_THREADPOOL_SIZE: '4' }), '4');
});
