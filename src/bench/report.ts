// The summary table printed at the end of a run, the side-by-side ratios of
// --compare etcd, and the same as markdown for docs/bench.
import type { BoardFigures, RunFigures } from './summary.ts';

const f = (v: number, d = 1): string => (Number.isFinite(v) ? v.toFixed(d) : '-');

export function figureRows(r: RunFigures): [string, string][] {
  const rows: [string, string][] = [
    ['writes ok / errors', `${r.writes.ok} / ${r.writes.errors}${r.writes.notRecorded > 0 ? ` (${r.writes.notRecorded} more not recorded: write log cap)` : ''}`],
    ['throughput (writes/s)', f(r.writes.throughputPerS)],
    ['latency p50 / p90 / p99 / max (ms)', `${f(r.latencyMs.p50)} / ${f(r.latencyMs.p90)} / ${f(r.latencyMs.p99)} / ${f(r.latencyMs.max)}`],
  ];
  if (r.propagation) {
    const p = r.propagation.fromSendMs;
    rows.push([`applied on all ${r.propagation.boards} boards p50 / p99 / max (ms from send)`, `${f(p.p50)} / ${f(p.p99)} / ${f(p.max)}`]);
    rows.push(['writes seen on every board / not', `${r.propagation.complete} / ${r.propagation.incomplete}`]);
  }
  const worstBy = (key: keyof BoardFigures): BoardFigures | undefined =>
    [...r.boards].filter((b) => Number.isFinite(b[key] as number)).sort((a, b) => (b[key] as number) - (a[key] as number))[0];
  const worst = (label: string, key: keyof BoardFigures, digits = 1): [string, string] => {
    const b = worstBy(key);
    return [label, b ? `${f(b[key] as number, digits)} (${b.board})` : '-'];
  };
  const anonSlope = worstBy('anonSlopeMiBPerHour');
  rows.push(
    worst('peak anonymous RSS, worst board (MiB)', 'peakAnonMiB'),
    ['anonymous RSS idle, mean per board (MiB)', f(r.meanIdleAnonMiB)],
    ['anonymous RSS slope, 2nd half, steepest board (MiB/h)', anonSlope ? `${f(anonSlope.anonSlopeMiBPerHour, 2)} (${anonSlope.board}, noise ±${f(anonSlope.anonNoiseMiB, 2)} MiB)` : '-'],
    worst('peak V8 heap used, worst board (MiB)', 'peakHeapUsedMiB'),
    worst('peak sql.js WASM memory resident, worst board (MiB)', 'peakWasmResidentMiB'),
    worst('peak glibc arenas resident, worst board (MiB)', 'peakMallocArenasMiB'),
    worst('peak PSS, worst board (MiB)', 'peakPssMiB'),
  );
  if (r.boards.some((b) => Number.isFinite(b.peakCgroupMiB))) rows.push(worst('peak cgroup memory usage, worst board (MiB)', 'peakCgroupMiB'));
  rows.push(
    ['major page faults, all boards / worst board', `${r.majorFaults} / ${worstBy('majorFaults')?.majorFaults ?? '-'} (${worstBy('majorFaults')?.board ?? '-'})`],
    worst('peak total RSS, worst board (MiB; mostly the executable\'s reclaimable pages)', 'peakRssMiB'),
    ['total RSS idle / after load, mean per board (MiB)', `${f(r.meanIdleRssMiB)} / ${f(r.meanAfterLoadRssMiB)}`],
    ['leader CPU mean / p99 (% of a core)', `${f(r.leaderCpuPct.mean)} / ${f(r.leaderCpuPct.p99)}`],
    ['CPU per write per board (ms)', f(r.cpuMsPerWritePerBoard, 3)],
    ['CPU per write: leader / other voters / external boards (ms)', `${f(r.cpuMsPerWriteByKind.leader, 3)} / ${f(r.cpuMsPerWriteByKind.follower, 3)} / ${f(r.cpuMsPerWriteByKind.external, 3)}`],
    ['leader changes / leaderless periods (s)', `${r.elections.leaderChanges} / ${r.elections.leaderlessPeriodsS.join(', ') || 'none'}`],
    ['Raft log max entries / WAL max bytes', `${r.log.maxEntries} / ${r.log.maxWalBytes}`],
  );
  return rows;
}

export function table(rows: [string, string][], header?: [string, string]): string {
  const all = header ? [header, ...rows] : rows;
  const w = Math.max(...all.map((r) => r[0].length));
  return all.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n') + '\n';
}

export interface Comparison {
  metric: string;
  raftlight: number;
  etcd: number;
  /** raftlight / etcd. */
  ratio: number;
  goal?: string;
}

export function compare(a: RunFigures, b: RunFigures): Comparison[] {
  const row = (metric: string, x: number, y: number, goal?: string): Comparison => ({ metric, raftlight: x, etcd: y, ratio: Number((x / y).toFixed(3)), ...(goal ? { goal } : {}) });
  return [
    row('throughput (writes/s)', a.writes.throughputPerS, b.writes.throughputPerS, '>= 1.5'),
    row('latency p50 (ms)', a.latencyMs.p50, b.latencyMs.p50),
    row('latency p90 (ms)', a.latencyMs.p90, b.latencyMs.p90),
    row('latency p99 (ms)', a.latencyMs.p99, b.latencyMs.p99, '<= 0.7 (burst)'),
    row('latency max (ms)', a.latencyMs.max, b.latencyMs.max),
    ...(a.propagation && b.propagation ? [
      row('applied on every member p50 (ms from send)', a.propagation.fromSendMs.p50, b.propagation.fromSendMs.p50),
      row('applied on every member p99 (ms from send)', a.propagation.fromSendMs.p99, b.propagation.fromSendMs.p99),
    ] : []),
    row('CPU per write per member (ms)', a.cpuMsPerWritePerBoard, b.cpuMsPerWritePerBoard),
    row('RSS idle, mean per member (MiB)', a.meanIdleRssMiB, b.meanIdleRssMiB),
    row('RSS after load, mean per member (MiB)', a.meanAfterLoadRssMiB, b.meanAfterLoadRssMiB),
    row('peak RSS, worst member (MiB)', a.maxPeakRssMiB, b.maxPeakRssMiB),
    row('peak anonymous RSS, worst member (MiB)', a.maxPeakAnonMiB, b.maxPeakAnonMiB),
  ];
}

export function comparisonTable(rows: Comparison[]): string {
  const w = Math.max(...rows.map((r) => r.metric.length));
  const head = `  ${'metric'.padEnd(w)}  ${'raftlight'.padStart(10)}  ${'etcd'.padStart(10)}  ${'ratio'.padStart(7)}  goal\n`;
  return head + rows.map((r) => `  ${r.metric.padEnd(w)}  ${f(r.raftlight).padStart(10)}  ${f(r.etcd).padStart(10)}  ${f(r.ratio, 2).padStart(7)}  ${r.goal ?? ''}`).join('\n') + '\n';
}

export function markdownTable(header: string[], rows: string[][]): string {
  return `| ${header.join(' | ')} |\n|${header.map(() => ' --- ').join('|')}|\n` + rows.map((r) => `| ${r.join(' | ')} |`).join('\n') + '\n';
}
