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
  ];
  for (const [argv, msg] of bad) t.throws(() => benchOptionsFrom(argv), { name: 'ConfigError', message: msg }, argv.join(' '));
});
