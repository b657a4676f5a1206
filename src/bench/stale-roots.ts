// A bench killed with SIGKILL cannot remove its temporary directory (its
// boards stop by themselves: their stdin closes). Each run's directory holds
// the pid of its bench, and the next run removes the directories whose bench
// is gone, so data directories do not pile up in /tmp.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRunning } from '../storage/data-dir-lock.ts';
import { unmountUnder } from './image-copies.ts';

export const ROOT_PREFIX = 'raftlight-bench-';
const PID_FILE = 'bench.pid';

/** Removes bench directories under `parent` whose bench process no longer runs; returns their names. */
export function removeStaleRoots(parent = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(parent).filter((n) => n.startsWith(ROOT_PREFIX));
  } catch {
    return removed;
  }
  for (const name of names) {
    let pid: number;
    try {
      pid = Number(readFileSync(join(parent, name, PID_FILE), 'utf8').trim());
    } catch {
      continue; // no pid file: a run of an older version, or one being created right now
    }
    if (!Number.isSafeInteger(pid) || pid <= 0 || isRunning(pid)) continue;
    unmountUnder(join(parent, name)); // --board-limits: the executable's copies
    rmSync(join(parent, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** A new directory for this run, marked with this process's pid. */
export function makeRunRoot(parent = tmpdir()): string {
  const root = mkdtempSync(join(parent, ROOT_PREFIX));
  writeFileSync(join(root, PID_FILE), `${process.pid}\n`);
  return root;
}
