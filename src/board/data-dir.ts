// Makes sure the data directory exists and is writable before anything is stored there.
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

export function ensureWritableDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new DataDirError('DATA_DIR_NOT_WRITABLE', `cannot create data directory ${dir}: ${(err as Error).message}`);
  }
  const probe = join(dir, `.write-probe-${process.pid}`);
  try {
    writeFileSync(probe, 'ok');
    rmSync(probe);
  } catch (err) {
    throw new DataDirError('DATA_DIR_NOT_WRITABLE', `data directory ${dir} is not writable: ${(err as Error).message}`);
  }
}
