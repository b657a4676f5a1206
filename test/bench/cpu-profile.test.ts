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

t.test('inclusive time: a function and its callees, idle left out, recursion counted once', async (t) => {
  const frame = (functionName: string) => ({ functionName, url: '', lineNumber: 0 });
  // root -> handle -> apply -> step ; handle -> send ; idle ; apply -> apply (recursion)
  const profile = {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 6] },
      { id: 2, callFrame: frame('handle'), children: [3, 5] },
      { id: 3, callFrame: frame('apply'), children: [4, 7] },
      { id: 4, callFrame: frame('step') },
      { id: 5, callFrame: frame('send') },
      { id: 6, callFrame: frame('(idle)') },
      { id: 7, callFrame: frame('apply') },
    ],
    startTime: 0, endTime: 10_000,
    samples: [4, 4, 5, 6, 6, 7],
    timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000],
  };
  const { inclusiveFunctions } = await import('../../src/bench/cpu-profile.ts');
  const r = inclusiveFunctions(profile);
  t.equal(r.busyMs, 4);
  const share = new Map(r.functions.map((f) => [f.name.trim(), f.percent]));
  t.equal(share.get('handle'), 100);
  t.equal(share.get('apply'), 75, 'apply and its recursive call counted once per sample');
  t.equal(share.get('step'), 50);
  t.equal(share.get('send'), 25);
  t.notOk(share.has('(idle)'));
});

t.test('busy time per component: the innermost frame with a known source decides', async (t) => {
  const { componentShares, componentOf } = await import('../../src/bench/cpu-profile.ts');
  const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
  // root -> loop (src/board/raft-loop) -> append (src/storage) -> native write ; loop -> step (src/raft) ; aedes publish ; GC ; idle
  const profile = {
    nodes: [
      { id: 1, callFrame: frame('(root)', ''), children: [2, 6, 7, 8] },
      { id: 2, callFrame: frame('loop', 'file:///src/board/raft-loop.ts'), children: [3, 5] },
      { id: 3, callFrame: frame('append', 'file:///src/storage/wal.ts'), children: [4] },
      { id: 4, callFrame: frame('writeSync', '') },
      { id: 5, callFrame: frame('step', 'file:///src/raft/raft.ts') },
      { id: 6, callFrame: frame('publish', 'file:///node_modules/aedes/aedes.js') },
      { id: 7, callFrame: frame('(garbage collector)', '') },
      { id: 8, callFrame: frame('(idle)', '') },
    ],
    startTime: 0, endTime: 10_000,
    samples: [4, 4, 5, 6, 7, 8, 8],
    timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000],
  };
  // Without source maps the file URLs are the sources.
  const r = componentShares(profile, { source: (f) => (f.url.startsWith('file://') ? f.url : null) });
  t.equal(r.busyMs, 5);
  const share = new Map(r.components.map((c) => [c.component, c.percent]));
  t.equal(share.get('storage (WAL, snapshots)'), 40, 'native write charged to the WAL that called it');
  t.equal(share.get('Raft core'), 20);
  t.equal(share.get('aedes broker'), 20);
  t.equal(share.get('garbage collector'), 20);
  t.equal(componentOf('src/transport/mqtt5/bridge.ts'), 'MQTT 5 front end');
  t.equal(componentOf('elsewhere.js'), 'other');
});

t.test('busiest window: the stretch with the most busy time, idle samples not counted', async (t) => {
  const { busiestWindow, inclusiveFunctions } = await import('../../src/bench/cpu-profile.ts');
  const frame = (functionName: string) => ({ functionName, url: '', lineNumber: 0 });
  // 1 ms per sample: 3 busy (start-up), 4 idle, 5 busy (workload), 2 idle.
  const kinds = ['s', 's', 's', 'i', 'i', 'i', 'i', 'w', 'w', 'w', 'w', 'w', 'i', 'i'];
  const ids: Record<string, number> = { s: 2, i: 3, w: 4 };
  const profile = {
    nodes: [{ id: 1, callFrame: frame('(root)'), children: [2, 3, 4] }, { id: 2, callFrame: frame('startup') }, { id: 3, callFrame: frame('(idle)') }, { id: 4, callFrame: frame('work') }],
    startTime: 0, endTime: 14_000,
    samples: kinds.map((k) => ids[k]!),
    timeDeltas: kinds.map(() => 1000),
  };
  const cut = busiestWindow(profile, 0.005);
  const names = inclusiveFunctions(cut).functions.map((f) => f.name.trim());
  t.ok(names.includes('work'));
  t.notOk(names.includes('startup'), 'start-up is outside the 5 ms window');
  t.equal(inclusiveFunctions(cut).busyMs, 5);
});
