import t from 'tap';
import { execFileSync } from 'node:child_process';
import { boardAddress, NetnsError, setupNetns } from '../../src/bench/netns.ts';

t.test('board addresses stay inside 10.200.0.0/16 and skip the bridge', async (t) => {
  t.equal(boardAddress(0), '10.200.0.2');
  t.equal(boardAddress(253), '10.200.0.255');
  t.equal(boardAddress(254), '10.200.1.0');
  t.equal(new Set(Array.from({ length: 500 }, (_, i) => boardAddress(i))).size, 500);
});

const namespaces = (): string => {
  try {
    return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  } catch {
    return '';
  }
};

t.test('namespaces are created, reachable and removed; a bad netem is a clear error that leaves nothing', { skip: process.getuid?.() !== 0 ? 'needs root' : false }, async (t) => {
  let plan;
  try {
    plan = setupNetns(['a', 'b'], undefined);
  } catch (err) {
    t.ok(err instanceof NetnsError, (err as Error).message);
    return;
  }
  try {
    const tag = plan.wrap('a')[3]!;
    t.match(namespaces(), tag);
    const addr = execFileSync('ip', ['-n', tag, '-o', '-4', 'addr', 'show'], { encoding: 'utf8' });
    t.match(addr, plan.hostOf('a'), 'the board has its own address in its namespace');
  } finally {
    plan.teardown();
  }
  t.notMatch(namespaces(), plan.wrap('a')[3]!, 'removed');
  t.throws(() => setupNetns(['c'], 'no-such-qdisc-option 5'), { code: 'NETNS_UNAVAILABLE', message: /cannot set up network namespaces/ });
  t.notMatch(namespaces(), /^rl/m, 'nothing left after the failure');
});
