// --heap-snapshots 1800,6600: V8 heap snapshots of every board at those
// seconds of the workload, written to <out>/heap/<board>-<t>s.heapsnapshot,
// to be compared with src/bench/heap-diff.ts. Boards start with
// --heapsnapshot-signal=SIGUSR2 (a node flag: --node-options for the image,
// which ignores NODE_OPTIONS); the bench signals one
// board at a time (a snapshot pauses its board for a second or two) and
// renames the file once its size has stopped changing.
import { mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Cap on snapshot times in one run (each one is ~20 MB per board on disk). */
export const MAX_SNAPSHOT_TIMES = 8;
const WRITE_TIMEOUT_MS = 120_000;

export function parseSnapshotTimes(items: readonly string[]): number[] {
  if (items.length > MAX_SNAPSHOT_TIMES) throw new Error(`--heap-snapshots takes at most ${MAX_SNAPSHOT_TIMES} times`);
  return items.map((item) => {
    const s = Number(item);
    if (!Number.isInteger(s) || s < 0) throw new Error(`--heap-snapshots: "${item}" is not a whole number of seconds`);
    return s;
  });
}

/** Node flags for boards whose heap the bench will snapshot (the directory must not contain spaces). */
export function heapSnapshotFlags(dir: string): string[] {
  if (/\s/.test(dir)) throw new Error(`--heap-snapshots: the output folder ${dir} contains a space, which node's flags cannot carry`);
  mkdirSync(dir, { recursive: true });
  return ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Snapshots each running board in turn; returns the files written. */
export async function snapshotBoards(dir: string, boards: readonly { id: string; pid: number | null }[], label: string, log: (line: string) => void): Promise<string[]> {
  const written: string[] = [];
  for (const b of boards) {
    if (b.pid === null) continue;
    const before = new Set(readdirSync(dir));
    try {
      process.kill(b.pid, 'SIGUSR2');
    } catch {
      continue; // gone
    }
    const deadline = Date.now() + WRITE_TIMEOUT_MS;
    let file: string | undefined;
    let lastSize = -1;
    while (Date.now() < deadline) {
      await sleep(500);
      file ??= readdirSync(dir).find((f) => !before.has(f) && f.includes(`.${b.pid}.`) && f.endsWith('.heapsnapshot'));
      if (file === undefined) continue;
      const size = statSync(join(dir, file)).size;
      if (size > 0 && size === lastSize) break;
      lastSize = size;
    }
    if (file === undefined) {
      log(`heap snapshot of ${b.id} not written within ${WRITE_TIMEOUT_MS / 1000} s`);
      continue;
    }
    const target = join(dir, `${b.id}-${label}.heapsnapshot`);
    renameSync(join(dir, file), target);
    written.push(target);
  }
  log(`heap snapshots at ${label}: ${written.length} boards`);
  return written;
}
