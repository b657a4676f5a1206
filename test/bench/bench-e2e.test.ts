// One small end-to-end run from the sources: 3 voters, bursts, a few seconds;
// checks the results folder, not timings.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBench } from '../../src/bench/run.ts';
import { loadTarget } from '../../src/bench/targets.ts';

const main = join(import.meta.dirname, '../../src/cli/main.ts');

t.test('a 3-board burst run writes CSV, summary.json and SVG plots', async (t) => {
  const out = t.testdir();
  let printed = '';
  const result = await runBench({
    boards: 3, voters: 3, workload: { kind: 'burst', size: 50, intervalMs: 2000, clients: 8 }, durationS: 8, faults: [],
    command: process.execPath, args: ['--import', 'tsx', main], imageLabel: 'sources', netns: false, readaheadKiB: 128,
    imageTarget: loadTarget('linux-x64'), out, compareEtcd: false, target: 'round-robin',
    keys: 16, idleLeadS: 2, extraBoardArgs: ['--tick-ms', '50'], quiet: true, print: (s) => { printed += s; },
  });
  for (const f of ['summary.json', 'summary.md', 'raftlight-samples.csv', 'raftlight-writes.csv', 'raftlight-memory.svg', 'raftlight-rss.svg', 'raftlight-faults.svg', 'raftlight-latency.svg', 'raftlight-propagation.svg', 'raftlight-cpu.svg', 'raftlight-log.svg', 'raftlight-wal.svg']) {
    t.ok(existsSync(join(out, f)), f);
  }
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { raftlight: { writes: { ok: number }; boards: unknown[] } };
  t.equal(summary.raftlight.boards.length, 3);
  t.equal(result.raftlight.writes.ok + result.raftlight.writes.errors, 200, '4 bursts of 50');
  t.ok(result.raftlight.writes.ok > 0);
  t.ok(result.raftlight.propagation!.complete > 0, 'writes seen applied on every board');
  t.ok(result.raftlight.maxPeakRssMiB > 10);
  t.ok(result.raftlight.maxPeakAnonMiB > 10 && result.raftlight.maxPeakAnonMiB < result.raftlight.maxPeakRssMiB, 'anonymous peak, part of RSS');
  const b = result.raftlight.boards[0]!;
  t.ok(b.peakHeapUsedMiB > 0 && b.peakWasmResidentMiB > 0 && b.peakMallocArenasMiB > 0 && b.peakPssMiB > 0, 'the boards\' own breakdown is sampled');
  t.ok(Number.isNaN(b.peakCgroupMiB), 'no cgroup without limits');
  const samples = readFileSync(join(out, 'raftlight-samples.csv'), 'utf8').trim().split('\n');
  t.match(samples[0]!, /^t,board,role,up,rssMiB,cpuPct/);
  t.ok(samples.length > 3 * 8, `${samples.length - 1} samples`);
  const writes = readFileSync(join(out, 'raftlight-writes.csv'), 'utf8').trim().split('\n');
  t.equal(writes.length, 201);
  t.match(readFileSync(join(out, 'raftlight-memory.svg'), 'utf8'), /^<svg/);
  t.match(printed, /throughput \(writes\/s\)/);
});
