// --board-limits: each board in its own cgroup v2 with memory.max set to its
// target's memoryLimitMiB, so an overrun is the OOM kill it would be on a board.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class CgroupError extends Error {
  readonly code = 'CGROUP_UNAVAILABLE';
}

const ROOT = '/sys/fs/cgroup';

export interface BoardLimits {
  place(id: string, pid: number): void;
  /** OOM kills seen per board (memory.events oom_kill). */
  oomKills(): Record<string, number>;
  teardown(): void;
}

/** Checks for a writable cgroup v2 hierarchy with the memory controller; throws CgroupError saying why not. */
export function setupBoardLimits(limitMiB: number): BoardLimits {
  if (!existsSync(join(ROOT, 'cgroup.controllers'))) {
    throw new CgroupError(`--board-limits needs cgroup v2 mounted at ${ROOT} (this machine has ${existsSync(join(ROOT, 'memory')) ? 'cgroup v1' : 'no cgroup v2'})`);
  }
  if (!readFileSync(join(ROOT, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('memory')) {
    throw new CgroupError('--board-limits needs the cgroup v2 memory controller');
  }
  const parent = join(ROOT, `raftlight-bench-${process.pid}`);
  try {
    mkdirSync(parent);
    writeFileSync(join(ROOT, 'cgroup.subtree_control'), '+memory');
    writeFileSync(join(parent, 'cgroup.subtree_control'), '+memory');
  } catch (err) {
    throw new CgroupError(`--board-limits: ${ROOT} is not writable here (${(err as Error).message})`);
  }
  const groups = new Map<string, string>();
  return {
    place(id, pid) {
      const dir = join(parent, id);
      if (!groups.has(id)) {
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'memory.max'), String(limitMiB * 1048576));
        try {
          writeFileSync(join(dir, 'memory.swap.max'), '0');
        } catch {
          // no swap accounting: memory.max alone bounds the board
        }
        groups.set(id, dir);
      }
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
    },
    oomKills() {
      const out: Record<string, number> = {};
      for (const [id, dir] of groups) {
        const m = /oom_kill (\d+)/.exec(readFileSync(join(dir, 'memory.events'), 'utf8'));
        out[id] = m ? Number(m[1]) : 0;
      }
      return out;
    },
    teardown() {
      for (const dir of groups.values()) {
        try {
          rmdirSync(dir);
        } catch {
          // a process still inside: left for the kernel to report
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
