// Samples every board once per period: RSS (total, anonymous, file-backed),
// CPU and major page faults from /proc; role, term, leader, log position and
// the board's own memory breakdown (PSS, V8 heap, sql.js's WASM memory,
// glibc's arenas; src/board/memory-figures.ts) from /v1/status; WAL bytes
// from the data directory; the memory cgroup's usage when boards are limited.
// Rows stream to boards.csv; a bounded copy stays in memory for plots and the summary.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CsvFile } from './csv.ts';
import { getJson } from './http-client.ts';
import { sampleProc } from './proc.ts';

export interface BoardRef {
  id: string;
  role: 'voter' | 'external';
  url: string;
  dataDir: string;
  pid(): number | null;
  /** Memory charged to the board's cgroup (--board-limits), bytes; absent without limits. */
  cgroupUsageBytes?(): number | null;
}

export interface BoardSample {
  t: number;
  board: string;
  role: string;
  up: boolean;
  rssMiB: number;
  cpuPct: number;
  raftRole: string;
  term: number;
  leader: string;
  appliedIndex: number;
  logEntries: number;
  walBytes: number;
  anonMiB: number;
  fileMiB: number;
  /** Cumulative since the board's start. */
  majorFaults: number;
  /** From the board's /v1/status (NaN for other systems): */
  pssMiB: number;
  heapUsedMiB: number;
  heapCommittedMiB: number;
  wasmResidentMiB: number;
  /** glibc's main and thread arenas, resident. */
  mallocArenasMiB: number;
  /** ArrayBuffer and Buffer contents (malloc'd, inside the arenas or their own mappings). */
  buffersMiB: number;
  /** Usage of the board's memory cgroup (NaN without --board-limits). */
  cgroupMiB: number;
}

export interface LeaderChange {
  t: number;
  from: string | null;
  to: string | null;
  term: number;
}

/** Cap: samples kept in memory; past it, every other one is dropped (halves resolution, keeps the shape). */
export const MAX_SAMPLES_IN_MEMORY = 150_000;

export const SAMPLE_HEADER = ['t', 'board', 'role', 'up', 'rssMiB', 'cpuPct', 'raftRole', 'term', 'leader', 'appliedIndex', 'logEntries', 'walBytes', 'anonMiB', 'fileMiB',
  'majorFaults', 'pssMiB', 'heapUsedMiB', 'heapCommittedMiB', 'wasmResidentMiB', 'mallocArenasMiB', 'buffersMiB', 'cgroupMiB'];

export function dirBytes(dir: string): number {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    try {
      total += e.isDirectory() ? dirBytes(p) : statSync(p).size;
    } catch {
      // removed while walking (segment deletion): not counted
    }
  }
  return total;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const mibOf = (v: unknown): number => (typeof v === 'number' ? v / 1048576 : NaN);

export class Sampler {
  readonly samples: BoardSample[] = [];
  readonly leaderChanges: LeaderChange[] = [];
  private readonly lastCpu = new Map<string, { cpu: number; at: number }>();
  private currentLeader: string | null = null;
  private leaderlessSince: number | null = null;
  readonly leaderlessPeriods: { from: number; to: number }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly csv: CsvFile;

  constructor(private readonly boards: () => BoardRef[], csvPath: string, private readonly t0: number, private readonly periodMs = 1000) {
    this.csv = new CsvFile(csvPath, SAMPLE_HEADER);
  }

  start(): void {
    const tick = (): void => {
      this.running = this.sampleOnce().finally(() => {
        if (this.timer !== null) this.timer = setTimeout(tick, this.periodMs);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    await this.csv.close();
  }

  async sampleOnce(): Promise<void> {
    const now = Date.now();
    const t = (now - this.t0) / 1000;
    const rows = await Promise.all(this.boards().map(async (b) => {
      const pid = b.pid();
      const proc = pid === null ? null : sampleProc(pid);
      const status = proc ? await getJson(b.url + '/v1/status', 2000) : null;
      let cpuPct = NaN;
      if (proc) {
        const prev = this.lastCpu.get(b.id);
        if (prev) cpuPct = (100 * (proc.cpuSeconds - prev.cpu)) / ((now - prev.at) / 1000);
        this.lastCpu.set(b.id, { cpu: proc.cpuSeconds, at: now });
      } else this.lastCpu.delete(b.id);
      const memory = (status?.memory ?? {}) as Record<string, unknown>;
      const cgroup = b.cgroupUsageBytes?.() ?? null;
      const first = num(status?.firstIndex);
      const last = num(status?.lastIndex);
      const row: BoardSample = {
        t, board: b.id, role: b.role, up: proc !== null, rssMiB: proc ? proc.rssBytes / 1048576 : NaN, cpuPct,
        raftRole: str(status?.raftRole), term: num(status?.term), leader: str(status?.leader), appliedIndex: num(status?.appliedIndex),
        logEntries: Number.isFinite(first) && Number.isFinite(last) ? Math.max(0, last - first + 1) : NaN,
        walBytes: dirBytes(join(b.dataDir, 'wal')),
        anonMiB: proc ? proc.anonBytes / 1048576 : NaN,
        fileMiB: proc ? proc.fileBytes / 1048576 : NaN,
        majorFaults: proc ? proc.majorFaults : NaN,
        pssMiB: mibOf(memory.pssBytes),
        heapUsedMiB: mibOf(memory.v8HeapUsedBytes),
        heapCommittedMiB: mibOf(memory.v8HeapCommittedBytes),
        wasmResidentMiB: mibOf(memory.wasmResidentBytes),
        mallocArenasMiB: typeof memory.mallocMainArenaRssBytes === 'number' && typeof memory.mallocThreadArenasRssBytes === 'number'
          ? (memory.mallocMainArenaRssBytes + memory.mallocThreadArenasRssBytes) / 1048576 : NaN,
        buffersMiB: mibOf(memory.arrayBufferBytes),
        cgroupMiB: cgroup === null ? NaN : cgroup / 1048576,
      };
      return row;
    }));
    for (const r of rows) {
      this.csv.row([r.t, r.board, r.role, r.up, r.rssMiB, r.cpuPct, r.raftRole, r.term, r.leader, r.appliedIndex, r.logEntries, r.walBytes, r.anonMiB, r.fileMiB,
        r.majorFaults, r.pssMiB, r.heapUsedMiB, r.heapCommittedMiB, r.wasmResidentMiB, r.mallocArenasMiB, r.buffersMiB, r.cgroupMiB]);
      this.samples.push(r);
    }
    if (this.samples.length > MAX_SAMPLES_IN_MEMORY) {
      const kept = this.samples.filter((_, i) => i % 2 === 0);
      this.samples.length = 0;
      this.samples.push(...kept);
    }
    this.trackLeader(t, rows);
  }

  /** A leader change is seen when the highest-term self-declared leader differs from the last one. */
  private trackLeader(t: number, rows: BoardSample[]): void {
    let leader: string | null = null;
    let term = -1;
    for (const r of rows) {
      if (r.raftRole === 'leader' && r.term > term) {
        leader = r.board;
        term = r.term;
      }
    }
    if (leader === null) {
      // Leaderless only when voters answered and none leads: a status poll that
      // timed out on a saturated machine is not an election.
      const answered = rows.some((r) => r.role === 'voter' && r.raftRole !== '');
      if (answered && this.leaderlessSince === null) this.leaderlessSince = t;
      return;
    }
    if (this.leaderlessSince !== null) {
      this.leaderlessPeriods.push({ from: this.leaderlessSince, to: t });
      this.leaderlessSince = null;
    }
    if (leader !== this.currentLeader) {
      this.leaderChanges.push({ t, from: this.currentLeader, to: leader, term });
      this.currentLeader = leader;
    }
  }

  get leader(): string | null {
    return this.currentLeader;
  }
}
