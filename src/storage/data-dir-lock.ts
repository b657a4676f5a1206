// One board per data directory: a lock file holding the owner's pid.
// A lock whose pid is not running (a crash, a reboot) is taken over.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StorageError } from './errors.ts';

export const LOCK_FILE = 'LOCK';
/** Lock files this process holds (a reused pid after reboot must not look like ours). */
const held = new Set<string>();

export interface DataDirLock { readonly path: string; release(): void }

export function acquireDataDirLock(dir: string): DataDirLock {
  const lockPath = path.resolve(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(lockPath, 'wx', 0o644);
      fs.writeSync(fd, `${process.pid}\n`);
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      held.add(lockPath);
      return {
        path: lockPath,
        release() {
          if (!held.delete(lockPath)) return;
          // A directory that turned read-only keeps its LOCK: the next start finds its owner gone and takes it over.
          try {
            fs.rmSync(lockPath, { force: true });
          } catch {
            // left behind, stale
          }
        },
      };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw notWritable(dir, e);
      const owner = Number.parseInt(readOr(lockPath), 10);
      if (held.has(lockPath) || (Number.isSafeInteger(owner) && owner !== process.pid && isRunning(owner))) {
        throw new StorageError('DATA_DIR_LOCKED', `data directory ${dir} is in use by another board (pid ${held.has(lockPath) ? process.pid : owner}, lock ${lockPath})`);
      }
      fs.rmSync(lockPath, { force: true }); // stale: its owner is gone
    }
  }
  throw new StorageError('DATA_DIR_LOCKED', `data directory ${dir}: could not take the lock ${lockPath}`);
}

export function notWritable(dir: string, cause: unknown): StorageError {
  return new StorageError('DATA_DIR_NOT_WRITABLE', `data directory ${dir} is not writable: ${(cause as Error).message}`, { cause });
}

function readOr(p: string): string {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

/** Whether a process with this pid exists (EPERM: it does, but belongs to someone else). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
