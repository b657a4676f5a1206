// --board-limits: finding the memory hierarchy, the groups a board enters
// before it starts, the executable's uncached copies, the sweep's verdict.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findMemoryHierarchy, setupBoardLimits } from '../../src/bench/cgroup.ts';
import { cachedBytes, makeImageCopies } from '../../src/bench/image-copies.ts';
import { parseLimitSweep, smallestPassing, type SweepRow } from '../../src/bench/limit-sweep.ts';

t.test('the memory controller is found on cgroup v2, v1 and hybrid machines', async (t) => {
  const v2 = 'cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid 0 0\n';
  t.same(findMemoryHierarchy(v2, () => 'cpuset cpu io memory pids'), { version: 'cgroup v2', root: '/sys/fs/cgroup' });
  t.equal(findMemoryHierarchy(v2, () => 'cpu pids'), null, 'v2 without the memory controller');
  // This machine's layout: v1 controllers, and a v2 hierarchy that holds none of interest.
  const hybrid = [
    'tmpfs /sys/fs/cgroup tmpfs rw 0 0',
    'cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0',
    'cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0',
    'cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0',
  ].join('\n');
  t.same(findMemoryHierarchy(hybrid, (dir) => (dir.endsWith('unified') ? 'hugetlb' : null)), { version: 'cgroup v1', root: '/sys/fs/cgroup/memory' });
  t.equal(findMemoryHierarchy('proc /proc proc rw 0 0\n', () => null), null);
});

t.test('cgroup v2 groups: memory.max and no swap (a directory standing in for the hierarchy, which this machine lacks)', async (t) => {
  const root = t.testdir();
  mkdirSync(join(root, 'h'));
  writeFileSync(join(root, 'h', 'cgroup.subtree_control'), '');
  const l = setupBoardLimits(48, { version: 'cgroup v2', root: join(root, 'h') });
  t.equal(l.version, 'cgroup v2');
  const wrap = l.wrap('v1');
  const dir = join(root, 'h', `raftlight-bench-${process.pid}`, 'v1');
  t.same(wrap, ['/bin/sh', '-c', 'echo $$ > "$0" && exec "$@"', join(dir, 'cgroup.procs')]);
  t.equal(readFileSync(join(dir, 'memory.max'), 'utf8'), String(48 * 1048576));
  t.equal(readFileSync(join(root, 'h', `raftlight-bench-${process.pid}`, 'cgroup.subtree_control'), 'utf8'), '+memory');
  writeFileSync(join(dir, 'memory.current'), '4096\n');
  writeFileSync(join(dir, 'memory.events'), 'oom 1\noom_kill 2\n');
  t.equal(l.usageBytes('v1'), 4096);
  t.same(l.oomKills(), { v1: 2 });
  t.equal(l.usageBytes('v9'), null, 'a board without a group');
});

const v1 = '/sys/fs/cgroup/memory';
const canRunV1 = process.getuid?.() === 0 && existsSync(join(v1, 'memory.limit_in_bytes'));

t.test('cgroup v1 on this machine: a process enters its group before it runs, limited in memory and swap', { skip: canRunV1 ? false : 'needs root and cgroup v1' }, async (t) => {
  const l = setupBoardLimits(40, { version: 'cgroup v1', root: v1 });
  t.teardown(() => l.teardown());
  const [cmd, ...args] = [...l.wrap('v1'), 'sleep', '30'];
  const child = spawn(cmd!, args, { stdio: 'ignore' });
  t.teardown(() => child.kill('SIGKILL'));
  const dir = join(v1, `raftlight-bench-${process.pid}`, 'v1');
  let procs = '';
  for (let i = 0; i < 50 && !procs.includes(String(child.pid)); i++) {
    await new Promise((r) => setTimeout(r, 50));
    procs = readFileSync(join(dir, 'cgroup.procs'), 'utf8');
  }
  t.match(procs, new RegExp(`^${child.pid}$`, 'm'), 'the exec\'d process keeps the pid that entered the group');
  t.equal(Number(readFileSync(join(dir, 'memory.limit_in_bytes'), 'utf8')), 40 * 1048576);
  if (existsSync(join(dir, 'memory.memsw.limit_in_bytes'))) t.equal(Number(readFileSync(join(dir, 'memory.memsw.limit_in_bytes'), 'utf8')), 40 * 1048576);
  t.ok(l.usageBytes('v1')! > 0, 'its pages are charged to the group');
  t.same(l.oomKills(), { v1: 0 });
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
  l.teardown();
  t.notOk(existsSync(dir), 'groups removed');
});

const canLoop = process.getuid?.() === 0 && existsSync('/dev/loop-control');

t.test('uncached copies of the executable on a loop device with the readahead asked for', { skip: canLoop ? false : 'needs root and loop devices' }, async (t) => {
  const root = t.testdir();
  const copies = makeImageCopies('/bin/sleep', ['v1', 'v2'], root, 128, () => {});
  t.teardown(() => copies.teardown());
  t.match(copies.device, /^\/dev\/loop\d+$/);
  t.equal(copies.readaheadKiB, 128);
  t.not(copies.pathOf('v1'), copies.pathOf('v2'), 'one file per board');
  t.equal(readFileSync(copies.pathOf('v2')).length, readFileSync('/bin/sleep').length);
  t.equal(cachedBytes(copies.pathOf('v1')), 0, 'no page of a copy is cached before its board starts');
  copies.teardown();
  t.notOk(readFileSync('/proc/self/mounts', 'utf8').includes(root), 'unmounted');
});

const row = (limitMiB: number | null, passed: boolean): SweepRow => ({
  limitMiB, passed, writesOk: 1, errors: passed ? 0 : 1, p50Ms: 1, p99Ms: 1, maxMs: 1, majorFaults: 0, worstBoardMajorFaults: 0,
  peakAnonMiB: 1, peakCgroupMiB: 1, leaderChanges: 0, oomKills: 0, deaths: 0,
});

t.test('the sweep: limits parsed, the smallest passing one found', async (t) => {
  t.same(parseLimitSweep(['none', '96', '48']), [null, 96, 48]);
  t.throws(() => parseLimitSweep(['64', 'lots']), /neither "none" nor a limit/);
  t.throws(() => parseLimitSweep(['4']), /at least 8/);
  t.throws(() => parseLimitSweep(['64', '64']), /twice/);
  t.equal(smallestPassing([row(null, true), row(96, true), row(56, true), row(48, false)]), 56);
  t.equal(smallestPassing([row(null, true), row(48, false)]), null, 'the unlimited run does not count');
});
