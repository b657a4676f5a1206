// What a board's memory is made of, in figures that mean what they say.
//
// RSS alone misleads: most of it is the mapped executable's clean, file-backed
// pages, which the kernel drops and re-reads under pressure, while the memory
// a board cannot give back is anonymous (heaps, WASM memory, stacks). The
// figures here separate the two and break the anonymous part down by owner:
//   - from /proc/<pid>/status: RSS, anonymous, file-backed and shared RSS,
//     threads, and from /proc/<pid>/stat the major and minor page faults;
//   - from /proc/<pid>/smaps: PSS (RSS with shared pages divided among the
//     processes that map them; smaps_rollup would say the same at the cost
//     of a second walk of the page tables), and, by the shape of each
//     mapping (no help from the allocators needed, so the bench reads the
//     same figures from outside):
//       * the executable's own resident pages (its path is /proc/<pid>/exe);
//       * WASM memory (sql.js's heap; also fetch's small llhttp instance on
//         a board that joined): V8 reserves every 32-bit WASM memory inside
//         a guarded region of 10 GiB, of which only the memory's current
//         size is read-write, between gigabytes of PROT_NONE. Reserved =
//         the read-write part's size (what WebAssembly.Memory.buffer
//         .byteLength says), resident = that part's Rss (the pages touched);
//       * glibc malloc: the main arena is `[heap]`; each thread arena is a
//         64 MiB-aligned, 64 MiB reservation whose used part is read-write
//         and the rest PROT_NONE. Chunks malloc serves with their own mmap
//         (large allocations) are not distinguishable and count as other;
//       * JIT code: anonymous executable mappings (V8's and Liftoff's code);
//   - from V8: heap used, heap committed, heap limit, and the contents of
//     ArrayBuffers and Buffers (Node allocates those with malloc, so they are
//     part of the malloc figures, not of V8's heap).
// Every figure is in bytes (or a count) and null where it cannot be read
// (not Linux; qemu-user reports no RSS).
import { readFileSync, readlinkSync } from 'node:fs';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

export interface ProcMemory {
  rssBytes: number | null;
  anonRssBytes: number | null;
  fileRssBytes: number | null;
  shmemRssBytes: number | null;
  pssBytes: number | null;
  /** Resident pages of the executable file itself (part of fileRssBytes). */
  executableRssBytes: number | null;
  /** Read-write size of the WASM memories (sql.js's heap as the module sees it). */
  wasmReservedBytes: number | null;
  /** Resident part of it. */
  wasmResidentBytes: number | null;
  /** glibc's main arena (`[heap]`), resident. */
  mallocMainArenaRssBytes: number | null;
  /** glibc's thread arenas, resident, and how many there are. */
  mallocThreadArenasRssBytes: number | null;
  mallocThreadArenas: number | null;
  /** Anonymous executable mappings: JIT-compiled JavaScript and WASM code. */
  jitCodeRssBytes: number | null;
  threads: number | null;
  majorFaults: number | null;
  minorFaults: number | null;
}

export interface MemoryFigures extends ProcMemory {
  v8HeapUsedBytes: number;
  /** Memory V8 has committed for its heap (used plus free space in its pages). */
  v8HeapCommittedBytes: number;
  v8HeapLimitBytes: number;
  /** What V8 itself holds from malloc now and at most (compiler zones and other bookkeeping), part of the arenas. */
  v8MallocBytes: number;
  v8PeakMallocBytes: number;
  /** Committed memory per V8 heap space (new_space, old_space, code_space, large_object_space, ...), spaces with none left out. */
  v8SpacesCommittedBytes: Record<string, number>;
  /** ArrayBuffer and Buffer contents (allocated with malloc, outside V8's heap). */
  arrayBufferBytes: number;
}

/**
 * V8 reserves a 32-bit WASM memory with PROT_NONE guards around it (2 GiB
 * before, the rest of 8 GiB after, on 64-bit); nothing else in a board maps
 * PROT_NONE regions this large next to read-write memory.
 */
const WASM_GUARD_MIN_BYTES = 1024 ** 3;
const WASM_PAGE_BYTES = 64 * 1024;
/** glibc's HEAP_MAX_SIZE on 64-bit: every thread arena is one such aligned reservation. */
const THREAD_ARENA_BYTES = 64 * 1024 ** 2;

interface Mapping {
  start: number;
  end: number;
  perms: string;
  name: string;
  rssBytes: number;
  pssBytes: number;
}

/**
 * The mappings of an smaps text with their Rss and Pss, in address order.
 * Addresses fit a double exactly (47-bit user space). The kernel writes
 * smaps in pieces: a mapping that changes between two reads (the heap
 * growing) can come out twice, so a mapping seen again replaces the first.
 */
export function parseSmaps(text: string): Mapping[] {
  const byStart = new Map<number, Mapping>();
  for (const m of parseSmapsEntries(text)) byStart.set(m.start, m);
  return [...byStart.values()].sort((a, b) => a.start - b.start);
}

function parseSmapsEntries(text: string): Mapping[] {
  const maps: Mapping[] = [];
  let current: Mapping | null = null;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \S+ *(.*)$/.exec(line);
    if (head) {
      current = { start: parseInt(head[1]!, 16), end: parseInt(head[2]!, 16), perms: head[3]!, name: head[4]!.trim(), rssBytes: 0, pssBytes: 0 };
      maps.push(current);
    } else if (current !== null && line.startsWith('Rss:')) {
      current.rssBytes = kbField(line);
    } else if (current !== null && line.startsWith('Pss:')) {
      current.pssBytes = kbField(line);
    }
  }
  return maps;
}

function kbField(line: string): number {
  const m = /:\s+(\d+) kB/.exec(line);
  return m ? Number(m[1]) * 1024 : 0;
}

export interface SmapsBreakdown {
  pssBytes: number;
  executableRssBytes: number;
  wasmReservedBytes: number;
  wasmResidentBytes: number;
  mallocMainArenaRssBytes: number;
  mallocThreadArenasRssBytes: number;
  mallocThreadArenas: number;
  jitCodeRssBytes: number;
}

/** Classifies mappings by their shape (see the header); `executable` is the path of the program's file. */
export function breakDown(maps: readonly Mapping[], executable: string | null): SmapsBreakdown {
  const out: SmapsBreakdown = {
    pssBytes: 0,
    executableRssBytes: 0, wasmReservedBytes: 0, wasmResidentBytes: 0,
    mallocMainArenaRssBytes: 0, mallocThreadArenasRssBytes: 0, mallocThreadArenas: 0, jitCodeRssBytes: 0,
  };
  const anonymous = (m: Mapping): boolean => m.name === '';
  for (let i = 0; i < maps.length; i++) {
    const m = maps[i]!;
    out.pssBytes += m.pssBytes;
    if (executable !== null && m.name === executable) out.executableRssBytes += m.rssBytes;
    else if (m.name === '[heap]') out.mallocMainArenaRssBytes += m.rssBytes;
    else if (anonymous(m) && m.perms[2] === 'x') out.jitCodeRssBytes += m.rssBytes;
  }
  // Thread arenas first: one may sit right next to a WASM reservation.
  const arenaParts = new Set<Mapping>();
  for (let k = 0; k < maps.length; k++) {
    const m = maps[k]!;
    if (!anonymous(m) || !m.perms.startsWith('rw') || m.start % THREAD_ARENA_BYTES !== 0) continue;
    const size = m.end - m.start;
    const guard = maps[k + 1];
    const guarded = guard !== undefined && anonymous(guard) && guard.start === m.end && guard.perms.startsWith('---') &&
      size + (guard.end - guard.start) === THREAD_ARENA_BYTES;
    if (guarded || size === THREAD_ARENA_BYTES) {
      arenaParts.add(m);
      if (guarded) arenaParts.add(guard);
      out.mallocThreadArenas++;
      out.mallocThreadArenasRssBytes += m.rssBytes;
    }
  }
  // WASM memory: read-write, not executable, whole 64 KiB WASM pages, between the reservation's
  // leading guard (>= 1 GiB of PROT_NONE ending where it starts) and its trailing guard. Large
  // malloc chunks get mappings of their own that may sit next to a guard, but not between two.
  const isNone = (g: Mapping | undefined): boolean => g !== undefined && anonymous(g) && g.perms.startsWith('---') && !arenaParts.has(g);
  for (let k = 1; k + 1 < maps.length; k++) {
    const m = maps[k]!;
    if (!anonymous(m) || arenaParts.has(m) || !m.perms.startsWith('rw') || m.perms[2] === 'x' || (m.end - m.start) % WASM_PAGE_BYTES !== 0) continue;
    const before = maps[k - 1]!;
    const after = maps[k + 1]!;
    if (isNone(before) && before.end === m.start && before.end - before.start >= WASM_GUARD_MIN_BYTES && isNone(after) && after.start === m.end) {
      out.wasmReservedBytes += m.end - m.start;
      out.wasmResidentBytes += m.rssBytes;
    }
  }
  return out;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function statusField(status: string | null, key: string): number | null {
  if (status === null) return null;
  const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status);
  if (!m) return null;
  return key === 'Threads' ? Number(m[1]) : Number(m[1]) * 1024;
}

/** minflt and majflt from a /proc/<pid>/stat line (fields 10 and 12). */
export function parseStatFaults(stat: string): { minor: number; major: number } | null {
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  const fields = stat.slice(close + 2).trim().split(/\s+/);
  // fields[0] is field 3 (state): minflt is field 10, majflt field 12.
  const minor = Number(fields[7]);
  const major = Number(fields[9]);
  return Number.isFinite(minor) && Number.isFinite(major) ? { minor, major } : null;
}

type SmapsFigures = Pick<ProcMemory, 'pssBytes' | 'executableRssBytes' | 'wasmReservedBytes' | 'wasmResidentBytes' |
  'mallocMainArenaRssBytes' | 'mallocThreadArenasRssBytes' | 'mallocThreadArenas' | 'jitCodeRssBytes'>;

const NO_SMAPS: SmapsFigures = {
  pssBytes: null, executableRssBytes: null, wasmReservedBytes: null, wasmResidentBytes: null,
  mallocMainArenaRssBytes: null, mallocThreadArenasRssBytes: null, mallocThreadArenas: null, jitCodeRssBytes: null,
};

/** The figures that need a walk of the page tables (a few ms for a board): PSS and the breakdown. */
export function readSmapsFigures(pid: number | 'self' = 'self'): SmapsFigures {
  const smaps = readText(`/proc/${pid}/smaps`);
  if (smaps === null) return NO_SMAPS;
  let executable: string | null = null;
  try {
    executable = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    // not readable: the executable's pages count as other file pages
  }
  const maps = parseSmaps(smaps);
  // qemu-user reports mappings without resident pages: no figures rather than zeros.
  if (!maps.some((m) => m.rssBytes > 0)) return NO_SMAPS;
  return breakDown(maps, executable);
}

/** The cheap /proc figures (status and stat: microseconds) plus the given smaps figures. */
export function readProcMemory(pid: number | 'self' = 'self', smaps: SmapsFigures = readSmapsFigures(pid)): ProcMemory {
  const status = readText(`/proc/${pid}/status`);
  const stat = readText(`/proc/${pid}/stat`);
  const rss = statusField(status, 'VmRSS');
  // qemu-user and non-Linux systems: no resident figures at all.
  const known = rss !== null && rss > 0;
  const faults = stat === null ? null : parseStatFaults(stat);
  return {
    rssBytes: known ? rss : null,
    anonRssBytes: known ? statusField(status, 'RssAnon') : null,
    fileRssBytes: known ? statusField(status, 'RssFile') : null,
    shmemRssBytes: known ? statusField(status, 'RssShmem') : null,
    ...smaps,
    threads: statusField(status, 'Threads'),
    majorFaults: faults?.major ?? null,
    minorFaults: faults?.minor ?? null,
  };
}

/**
 * Cap on how often the board walks its own smaps (~3 ms on the development
 * machine): status is polled every second by the bench and published every
 * 5 s. The other figures are read fresh on every call.
 */
export const SMAPS_FIGURES_MAX_AGE_MS = 5000;

let cached: { at: number; figures: SmapsFigures } | null = null;

/** This process's memory figures; PSS and the smaps breakdown are at most SMAPS_FIGURES_MAX_AGE_MS old. */
export function memoryFigures(now: number = Date.now()): MemoryFigures {
  if (cached === null || now - cached.at >= SMAPS_FIGURES_MAX_AGE_MS || now < cached.at) {
    cached = { at: now, figures: readSmapsFigures('self') };
  }
  const heap = getHeapStatistics();
  return {
    ...readProcMemory('self', cached.figures),
    v8HeapUsedBytes: heap.used_heap_size,
    v8HeapCommittedBytes: heap.total_physical_size,
    v8HeapLimitBytes: heap.heap_size_limit,
    v8MallocBytes: heap.malloced_memory,
    v8PeakMallocBytes: heap.peak_malloced_memory,
    v8SpacesCommittedBytes: Object.fromEntries(getHeapSpaceStatistics().filter((x) => x.physical_space_size > 0).map((x) => [x.space_name, x.physical_space_size])),
    arrayBufferBytes: process.memoryUsage().arrayBuffers,
  };
}

/** Bytes to MiB with one decimal, for log lines and tables. */
export function mib(bytes: number | null): string {
  return bytes === null ? '?' : (bytes / 1048576).toFixed(1);
}
