// --board-limits: each board in its own memory cgroup with a hard limit on
// memory and swap together, as on a board with a fixed amount of RAM and no
// swap. Works with cgroup v2 (memory.max, memory.swap.max = 0) and cgroup v1
// (memory.limit_in_bytes and memory.memsw.limit_in_bytes), whichever mounts
// the memory controller. A board enters its group before its executable
// starts (see wrap()), so every page it touches is charged to it: its heaps,
// the page cache of its data files, and the pages of its own copy of the
// executable (src/bench/image-copies.ts).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRunning } from '../storage/data-dir-lock.ts';

export class CgroupError extends Error {
  readonly code = 'CGROUP_UNAVAILABLE';
}

export type CgroupVersion = 'cgroup v1' | 'cgroup v2';

export interface MemoryHierarchy {
  version: CgroupVersion;
  /** Where the memory controller's hierarchy is mounted. */
  root: string;
}

/** Mount points of cgroup hierarchies from /proc/self/mounts text. */
export function findMemoryHierarchy(mounts: string, controllersOf: (dir: string) => string | null): MemoryHierarchy | null {
  let v1: MemoryHierarchy | null = null;
  for (const line of mounts.split('\n')) {
    const [, dir, type, options] = line.split(' ');
    if (dir === undefined || options === undefined) continue;
    if (type === 'cgroup2') {
      const controllers = controllersOf(dir);
      if (controllers !== null && controllers.split(/\s+/).includes('memory')) return { version: 'cgroup v2', root: dir };
    } else if (type === 'cgroup' && options.split(',').includes('memory')) {
      v1 = { version: 'cgroup v1', root: dir };
    }
  }
  return v1;
}

function machineHierarchy(): MemoryHierarchy | null {
  let mounts: string;
  try {
    mounts = readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return null;
  }
  return findMemoryHierarchy(mounts, (dir) => {
    try {
      return readFileSync(join(dir, 'cgroup.controllers'), 'utf8');
    } catch {
      return null;
    }
  });
}

export interface BoardLimits {
  readonly version: CgroupVersion;
  readonly limitMiB: number;
  /** Command prefix that moves the process into the board's group, then execs the board (same pid). */
  wrap(id: string): string[];
  /** Memory charged to the board's group now, bytes (null if the group is gone). */
  usageBytes(id: string): number | null;
  /** OOM kills seen per board. */
  oomKills(): Record<string, number>;
  teardown(): void;
}

const PREFIX = 'raftlight-bench-';

function tryRead(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/**
 * Creates the bench's parent group under the memory hierarchy; throws
 * CgroupError saying why not (no memory controller, not root, ...).
 * `hierarchy` is for tests; by default the machine's is found from its mounts.
 */
export function setupBoardLimits(limitMiB: number, hierarchy: MemoryHierarchy | null = machineHierarchy()): BoardLimits {
  if (!Number.isInteger(limitMiB) || limitMiB < 8) throw new CgroupError(`--board-limits: a limit of ${limitMiB} MiB is not a usable board size`);
  if (hierarchy === null) throw new CgroupError('--board-limits needs the memory cgroup controller (cgroup v1 or v2), and this machine mounts neither');
  const { version, root } = hierarchy;
  const parent = join(root, `${PREFIX}${process.pid}`);
  try {
    mkdirSync(parent);
    if (version === 'cgroup v2') {
      writeFileSync(join(root, 'cgroup.subtree_control'), '+memory');
      writeFileSync(join(parent, 'cgroup.subtree_control'), '+memory');
    }
  } catch (err) {
    throw new CgroupError(`--board-limits: cannot create a memory cgroup under ${root} (${(err as Error).message}); it needs root`);
  }
  const bytes = String(limitMiB * 1048576);
  const groups = new Map<string, string>();
  const group = (id: string): string => {
    let dir = groups.get(id);
    if (dir !== undefined) return dir;
    dir = join(parent, id);
    mkdirSync(dir, { recursive: true });
    if (version === 'cgroup v2') {
      writeFileSync(join(dir, 'memory.max'), bytes);
      // No swap: memory.max alone is then the limit on memory and swap together.
      if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), '0');
    } else {
      // The memory limit first: memsw may never be below it.
      writeFileSync(join(dir, 'memory.limit_in_bytes'), bytes);
      if (existsSync(join(dir, 'memory.memsw.limit_in_bytes'))) writeFileSync(join(dir, 'memory.memsw.limit_in_bytes'), bytes);
    }
    groups.set(id, dir);
    return dir;
  };
  return {
    version,
    limitMiB,
    wrap(id) {
      const procs = join(group(id), 'cgroup.procs');
      // The shell enters the group, then execs the board: nothing the board touches is charged elsewhere.
      return ['/bin/sh', '-c', 'echo $$ > "$0" && exec "$@"', procs];
    },
    usageBytes(id) {
      const dir = groups.get(id);
      if (dir === undefined) return null;
      const text = tryRead(join(dir, version === 'cgroup v2' ? 'memory.current' : 'memory.usage_in_bytes'));
      return text === null ? null : Number(text.trim());
    },
    oomKills() {
      const out: Record<string, number> = {};
      for (const [id, dir] of groups) {
        const text = tryRead(join(dir, version === 'cgroup v2' ? 'memory.events' : 'memory.oom_control')) ?? '';
        const m = /oom_kill (\d+)/.exec(text);
        out[id] = m ? Number(m[1]) : 0;
      }
      return out;
    },
    teardown() {
      for (const dir of groups.values()) {
        try {
          rmdirSync(dir);
        } catch {
          // a process still inside: left for the next run's cleanup
        }
      }
      try {
        rmdirSync(parent);
      } catch {
        // not empty
      }
    },
  };
}

/** Removes the groups of benches that were killed (their pid no longer runs); returns their names. */
export function removeStaleGroups(hierarchy: MemoryHierarchy | null = machineHierarchy()): string[] {
  if (hierarchy === null) return [];
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(hierarchy.root).filter((n) => n.startsWith(PREFIX));
  } catch {
    return [];
  }
  for (const name of names) {
    const pid = Number(name.slice(PREFIX.length));
    if (!Number.isInteger(pid) || isRunning(pid)) continue;
    const dir = join(hierarchy.root, name);
    try {
      for (const child of readdirSync(dir, { withFileTypes: true })) if (child.isDirectory()) rmdirSync(join(dir, child.name));
      rmdirSync(dir);
      removed.push(name);
    } catch {
      // a process still inside: leave it
    }
  }
  return removed;
}
