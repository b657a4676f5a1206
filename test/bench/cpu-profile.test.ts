import t from 'tap';
import { hotFunctions } from '../../src/bench/cpu-profile.ts';

t.test('self time per function from the sample stream', async (t) => {
  const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 9 });
  const profile = {
    nodes: [{ id: 1, callFrame: frame('(idle)') }, { id: 2, callFrame: frame('apply', 'file:///x/bundle/raftlight.cjs') }, { id: 3, callFrame: frame('fsync') }],
    startTime: 0, endTime: 10_000,
    samples: [1, 2, 2, 2, 3, 1],
    timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000],
  };
  const r = hotFunctions(profile);
  t.equal(r.totalMs, 6);
  t.equal(r.functions[0]!.name, 'apply bundle/raftlight.cjs:10');
  t.equal(r.functions[0]!.selfMs, 3);
  t.equal(r.functions[0]!.percent, 50);
  t.ok(Math.abs(r.idlePercent - 33.3) < 0.1);
  t.equal(hotFunctions({ nodes: [], startTime: 0, endTime: 0 }).functions.length, 0);
});
