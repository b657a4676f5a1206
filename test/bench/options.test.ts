import t from 'tap';
import { benchOptionsFrom } from '../../src/cli/bench.ts';

t.test('defaults and workloads', async (t) => {
  const o = benchOptionsFrom(['--boards', '10', '--voters', '5', '--workload', 'constant', '--rate', '200', '--duration', '30', '--out', '/tmp/x'], new Date(0));
  t.equal(o.boards, 10);
  t.equal(o.voters, 5);
  t.same(o.workload, { kind: 'constant', rate: 200, clients: 64 });
  t.equal(o.out, '/tmp/x');
  t.same(benchOptionsFrom(['--workload', 'burst']).workload, { kind: 'burst', size: 200, intervalMs: 2000, clients: 64 });
  t.same(benchOptionsFrom(['--workload', 'constant']).workload, { kind: 'constant', rate: 'max', clients: 64 });
  t.match(benchOptionsFrom([], new Date(0)).out, /bench-results\/1970-01-01T00-00-00-000Z$/);
  t.same(benchOptionsFrom(['--faults', 'kill-leader,externals-offline']).faults, ['kill-leader', 'externals-offline']);
  t.equal(benchOptionsFrom([]).watchers, 'per-member');
  t.equal(benchOptionsFrom(['--watchers', 'both', '--rounds', '3']).watchers, 'both');
  t.equal(benchOptionsFrom(['--rounds', '3']).rounds, 3);
  t.same(benchOptionsFrom(['--board-args=--tick-ms 200  --heartbeat-ticks 2']).extraBoardArgs, ['--tick-ms', '200', '--heartbeat-ticks', '2']);
  t.equal(benchOptionsFrom([]).warmupWrites, undefined, 'no warm-up by default');
  t.equal(benchOptionsFrom(['--warmup-writes', '12000']).warmupWrites, 12000);
});

t.test('mistakes are clear ConfigErrors', async (t) => {
  const bad: [string[], RegExp][] = [
    [['--voters', '5', '--boards', '3'], /cannot exceed/],
    [['--workload', 'spiky'], /idle, constant or burst/],
    [['--workload', 'constant', '--rate', 'fast'], /--rate must be a positive number/],
    [['--faults', 'meteor'], /unknown fault "meteor"/],
    [['--compare', 'zookeeper'], /only knows "etcd"/],
    [['--image', '/nonexistent/raftlight'], /does not exist/],
    [['--netem', 'delay 5ms'], /needs --netns/],
    [['--boards'], /needs a value/],
    [['--watchers', 'some'], /--watchers must be none, per-member or both/],
    [['--rounds', '21'], /--rounds must be 1..20/],
    [['--bogus'], /unknown option/],
    [['--target', 'linux-sparc'], /neither a built-in target/],
    [['--limit-sweep', '64,huge'], /neither "none" nor a limit/],
    [['--board-limit-mib', '4'], /at least 8/],
    [['--board-env=MALLOC_ARENA_MAX'], /not NAME=value/],
    [['--warmup-writes', '0'], /warmup-writes .* must be an integer from 1/],
  ];
  for (const [argv, msg] of bad) t.throws(() => benchOptionsFrom(argv), { name: 'ConfigError', message: msg }, argv.join(' '));
});

t.test('memory limits: the target\'s hard limit, an explicit one, a sweep', async (t) => {
  const hard = benchOptionsFrom(['--target', 'linux-x64']).imageTarget.budgets.hardLimitMiB;
  t.equal(benchOptionsFrom([]).boardLimitMiB, undefined, 'no limit by default');
  t.equal(benchOptionsFrom(['--board-limits']).boardLimitMiB, hard);
  t.equal(benchOptionsFrom(['--board-limit-mib', '48']).boardLimitMiB, 48);
  t.equal(benchOptionsFrom([]).readaheadKiB, 128);
  t.same(benchOptionsFrom(['--limit-sweep', 'none,96,48']).limitSweep, [null, 96, 48]);
});

t.test('board environment: the allocator settings by default, replaced or none on request', async (t) => {
  t.match(benchOptionsFrom([]).boardEnv, { MALLOC_ARENA_MAX: String });
  t.same(benchOptionsFrom(['--board-env=MALLOC_ARENA_MAX=2 UV_THREADPOOL_SIZE=1']).boardEnv, { MALLOC_ARENA_MAX: '2', UV_THREADPOOL_SIZE: '1' });
  t.same(benchOptionsFrom(['--board-env', 'none']).boardEnv, {});
});
