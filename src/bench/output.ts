// The results folder's plots: memory over time, latency and propagation CDFs,
// CPU and Raft log size over time.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MeasuredRun } from './measure.ts';
import { cdfRows, cdfSpec, memorySpec, renderSvg, seriesSpec, MAX_POINTS_PER_SERIES, type Row } from './plots.ts';
import type { PropagationWatcher } from './propagation.ts';
import type { BoardSample } from './sampler.ts';
import { downsample, round } from './stats.ts';
import { propagationDelays } from './summary.ts';

function perBoardRows(samples: BoardSample[], field: keyof BoardSample, scale = 1): Row[] {
  const byBoard = new Map<string, BoardSample[]>();
  for (const s of samples) {
    if (!Number.isFinite(s[field] as number)) continue;
    const list = byBoard.get(s.board) ?? [];
    list.push(s);
    byBoard.set(s.board, list);
  }
  const rows: Row[] = [];
  for (const [board, list] of byBoard) {
    for (const s of downsample(list, MAX_POINTS_PER_SERIES)) rows.push({ t: round(s.t, 1), board, role: s.role, [field]: round((s[field] as number) * scale, 3) });
  }
  return rows;
}

/** The lines drawn on the memory plots: the anonymous-memory budget and the total-RSS goal. */
export interface MemoryGoals {
  anonMiB: number;
  rssMiB: number;
}

/**
 * Writes <system>-memory.svg (anonymous RSS), -rss.svg (total RSS), -cpu.svg,
 * -latency.svg (and -log.svg, -wal.svg, -propagation.svg, -faults.svg for raftlight).
 */
export async function writePlots(out: string, system: string, run: MeasuredRun, watcher: PropagationWatcher | undefined, watched: number | undefined, goals: MemoryGoals, other?: MeasuredRun): Promise<string[]> {
  const samples = run.sampler.samples;
  const boards = new Set(samples.map((s) => s.board)).size;
  const files: [string, Record<string, unknown>][] = [
    [`${system}-memory.svg`, memorySpec(perBoardRows(samples, 'anonMiB'), boards, goals.anonMiB,
      `${system}: anonymous RSS per board over time (dashed: ${goals.anonMiB} MiB budget)`, 'anonMiB', 'anonymous RSS (MiB)')],
    [`${system}-rss.svg`, memorySpec(perBoardRows(samples, 'rssMiB'), boards, goals.rssMiB,
      `${system}: total RSS per board, the executable's reclaimable pages included (dashed: ${goals.rssMiB} MiB)`)],
    [`${system}-cpu.svg`, seriesSpec(perBoardRows(samples, 'cpuPct'), 'cpuPct', 'CPU (% of a core)', `${system}: CPU per board`, boards)],
  ];
  const latency: Record<string, number[]> = { [system]: run.writes.okLatencies() };
  if (other) latency[other.system] = other.writes.okLatencies();
  const latencyName = other ? 'latency-compare.svg' : `${system}-latency.svg`;
  files.push([latencyName, cdfSpec(cdfRows(latency), `write latency (${other ? `${other.system} vs ${system}` : system})`, 'latency (ms, log scale)')]);
  if (system === 'raftlight') {
    files.push([`${system}-log.svg`, seriesSpec(perBoardRows(samples.filter((s) => s.role === 'voter'), 'logEntries'), 'logEntries', 'entries in the Raft log', 'Raft log size per voter (lastIndex - firstIndex + 1)', 9)]);
    files.push([`${system}-faults.svg`, seriesSpec(perBoardRows(samples, 'majorFaults'), 'majorFaults', 'major page faults since start', 'major page faults per board (pages read back from disk)', boards)]);
    files.push([`${system}-wal.svg`, seriesSpec(perBoardRows(samples.filter((s) => s.role === 'voter'), 'walBytes', 1 / 1048576), 'walBytes', 'WAL on disk (MiB)', 'WAL bytes on disk per voter', 9)]);
  }
  if (watcher && watched !== undefined) {
    const delays = propagationDelays(run, watcher, watched);
    files.push([`${system}-propagation.svg`, cdfSpec(cdfRows({ [`applied on all ${watched} boards`]: delays }), 'propagation delay: write sent until every board applied it', 'delay (ms, log scale)')]);
  }
  const written: string[] = [];
  for (const [name, spec] of files) {
    try {
      writeFileSync(join(out, name), await renderSvg(spec));
      written.push(name);
    } catch (err) {
      process.stderr.write(`bench: plot ${name} not written: ${(err as Error).message}\n`);
    }
  }
  return written;
}
