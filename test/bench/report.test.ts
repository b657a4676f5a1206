// The figures of a run that the side-by-side table compares: CPU per write
// from the /proc samples, and the propagation rows when both sides have them.
import t from 'tap';
import type { BoardSample } from '../../src/bench/sampler.ts';
import { cpuPerWrite, faultsDuring, type RunFigures } from '../../src/bench/summary.ts';
import { compare } from '../../src/bench/report.ts';

const sample = (board: string, t: number, cpuPct: number): BoardSample => ({
  t, board, role: 'voter', up: true, rssMiB: 50, cpuPct, raftRole: 'follower', term: 1, leader: 'v1',
  appliedIndex: 0, logEntries: 0, walBytes: 0, anonMiB: 30, fileMiB: 20, majorFaults: 0, pssMiB: 40, heapUsedMiB: 10,
  heapCommittedMiB: 12, wasmResidentMiB: 2, mallocArenasMiB: 8, buffersMiB: 1, cgroupMiB: NaN,
});

t.test('CPU per write per board counts only the workload samples', async (t) => {
  // Two boards at 50 % and 30 % of a core during 10 s of 100 writes/s; the idle lead and the tail burn 90 % and must not count.
  const samples = [sample('a', -2, 90), sample('b', -2, 90), sample('a', 11, 90)];
  for (let s = 0; s <= 10; s++) samples.push(sample('a', s, 50), sample('b', s, 30));
  // (0.5 + 0.3) cores / 2 boards / 100 writes/s = 4 ms per write per board.
  t.equal(cpuPerWrite(samples, ['a', 'b'], 10, 100), 4);
  t.ok(Number.isNaN(cpuPerWrite(samples, ['a', 'b'], 10, 0)), 'no writes: no figure');
});

const dist = (p: number) => ({ count: 1, min: p, p50: p, p90: p, p99: p, max: p, mean: p });
const figures = (system: string, throughput: number, cpu: number, propagationP99?: number): RunFigures => ({
  system, durationS: 10,
  writes: { total: throughput * 10, ok: throughput * 10, errors: 0, throughputPerS: throughput, firstErrors: [], notRecorded: 0 },
  latencyMs: dist(10), boards: [], maxPeakRssMiB: 100, meanIdleRssMiB: 50, meanAfterLoadRssMiB: 60,
  maxPeakAnonMiB: 30, meanIdleAnonMiB: 20, majorFaults: 0,
  leaderCpuPct: dist(20), elections: { leaderChanges: 0, leaderlessPeriodsS: [] }, log: { maxEntries: 0, maxWalBytes: 0 },
  cpuMsPerWritePerBoard: cpu, cpuMsPerWriteByKind: { leader: cpu, follower: cpu, external: NaN },
  ...(propagationP99 === undefined ? {} : { propagation: { boards: 5, complete: 1, incomplete: 0, fromSendMs: dist(propagationP99), fromAckMs: dist(1) } }),
});

t.test('the side-by-side ratios', async (t) => {
  const rows = compare(figures('raftlight', 300, 0.2, 150), figures('etcd', 200, 0.4, 100));
  const row = (m: string) => rows.find((r) => r.metric === m);
  t.equal(row('throughput (writes/s)')?.ratio, 1.5);
  t.equal(row('CPU per write per member (ms)')?.ratio, 0.5);
  t.equal(row('applied on every member p99 (ms from send)')?.ratio, 1.5);
  const without = compare(figures('raftlight', 300, 0.2), figures('etcd', 200, 0.4, 100));
  t.notOk(without.some((r) => r.metric.startsWith('applied on every member')), 'propagation rows only when both sides measured it');
});

t.test('major faults during a run, across a restart', async (t) => {
  const at = (t: number, majorFaults: number): BoardSample => ({ ...sample('a', t, 1), majorFaults });
  // 100 -> 150 (+50), restart: its counter starts again at 20 (+20), then 30 (+10); a missing sample is skipped.
  t.equal(faultsDuring([at(0, 100), at(1, 150), at(2, NaN), at(3, 20), at(4, 30)]), 80);
  t.equal(faultsDuring([]), 0);
});
