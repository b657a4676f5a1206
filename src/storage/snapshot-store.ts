// Snapshot files on disk: written atomically, the newest `keep` kept, the
// newest valid one loaded on start (a corrupt newest falls back, logged).
import * as path from 'node:path';
import { crc32 } from './crc32.ts';
import { StorageError } from './errors.ts';
import { nodeFs, type StorageFs } from './fs-layer.ts';
import { decodeSnapshotFile, encodeHeader } from './snapshot-format.ts';
import { SnapshotUnavailableError, type Snapshot, type SnapshotMetadata } from '../raft/types.ts';

const SNAPSHOT_NAME = /^snapshot-(\d{16})-(\d{16})\.snap$/;
export const SNAPSHOT_TEMP_SUFFIX = '.tmp';

export interface SnapshotFile { readonly file: string; readonly index: number; readonly term: number }

export interface SnapshotStoreOptions {
  readonly dir: string;
  /** Snapshots kept on disk (default 2: the newest and one to fall back to). */
  readonly keep?: number;
  readonly fs?: StorageFs;
  readonly logger?: (message: string) => void;
}

export function snapshotFileName(index: number, term: number): string {
  return `snapshot-${String(index).padStart(16, '0')}-${String(term).padStart(16, '0')}.snap`;
}

export class SnapshotStore {
  private files: SnapshotFile[] = [];
  readonly dir: string;
  readonly fs: StorageFs;
  readonly keep: number;
  readonly log: (message: string) => void;

  private constructor(options: SnapshotStoreOptions) {
    this.dir = options.dir;
    this.fs = options.fs ?? nodeFs;
    this.keep = Math.max(1, options.keep ?? 2);
    this.log = options.logger ?? (() => {});
  }

  /** Opens the directory, removing temp files left by a crash mid-write. */
  static async open(options: SnapshotStoreOptions): Promise<SnapshotStore> {
    const store = new SnapshotStore(options);
    await store.fs.mkdir(store.dir);
    for (const file of await store.fs.readdir(store.dir)) {
      if (file.endsWith(SNAPSHOT_TEMP_SUFFIX)) {
        await store.fs.unlink(path.join(store.dir, file));
        store.log(`snapshot: removed unfinished file ${file}`);
        continue;
      }
      const m = SNAPSHOT_NAME.exec(file);
      if (m !== null) store.files.push({ file, index: Number(m[1]), term: Number(m[2]) });
    }
    store.sortFiles();
    return store;
  }

  /** Snapshot files on disk, oldest first. */
  list(): readonly SnapshotFile[] {
    return this.files;
  }

  /** Index of the oldest snapshot kept: the WAL must keep entries after it, so a fallback can replay. */
  oldestIndex(): number {
    return this.files.length > 0 ? this.files[0]!.index : 0;
  }

  /** Writes a snapshot atomically (temp file, fsync, rename, fsync dir), then prunes to `keep`. */
  async save(snapshot: Snapshot): Promise<SnapshotFile> {
    const { index, term } = snapshot.metadata;
    const name = snapshotFileName(index, term);
    const header = encodeHeader({ metadata: snapshot.metadata, size: snapshot.data.length, crc: crc32(snapshot.data) });
    const temp = path.join(this.dir, name + SNAPSHOT_TEMP_SUFFIX);
    await this.fs.unlink(temp).catch(() => {});
    let f;
    try {
      f = await this.fs.open(temp, 'create');
      await f.write(header, 0);
      await f.write(snapshot.data, header.length);
      await f.sync();
      await f.close();
      return await this.install(temp, name, index, term);
    } catch (e) {
      await f?.close().catch(() => {});
      await this.fs.unlink(temp).catch(() => {});
      if (e instanceof StorageError) throw e;
      throw new StorageError('SNAPSHOT_WRITE_FAILED', `writing snapshot ${name} failed: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Renames a complete, fsynced temp file into place and prunes old snapshots. */
  async install(temp: string, name: string, index: number, term: number): Promise<SnapshotFile> {
    await this.fs.rename(temp, path.join(this.dir, name));
    // PLANTED BUG (never in images): the rename is left to the next directory fsync, if any.
    if (!globalThis.raftlightPlantedBugs?.skipSnapshotDirSync === true) await this.fs.syncDir(this.dir);
    const entry = { file: name, index, term };
    this.files = this.files.filter((f) => f.file !== name);
    this.files.push(entry);
    this.sortFiles();
    while (this.files.length > this.keep) {
      const old = this.files.shift()!;
      await this.fs.unlink(path.join(this.dir, old.file)).catch(() => {});
    }
    if (!globalThis.raftlightPlantedBugs?.skipSnapshotDirSync === true) await this.fs.syncDir(this.dir);
    return entry;
  }

  /**
   * The newest snapshot that verifies, or null when there is none. A corrupt
   * one is logged and skipped (and removed from the list, not from disk); if
   * snapshots exist but none verifies, throws SNAPSHOT_CORRUPT.
   */
  async loadNewest(): Promise<Snapshot | null> {
    for (let i = this.files.length - 1; i >= 0; i--) {
      const f = this.files[i]!;
      const full = path.join(this.dir, f.file);
      const decoded = decodeSnapshotFile(await this.fs.readFile(full));
      if (typeof decoded !== 'string' && decoded.header.metadata.index === f.index && decoded.header.metadata.term === f.term) {
        this.files = this.files.slice(0, i + 1);
        return { metadata: decoded.header.metadata, data: decoded.data };
      }
      const reason = typeof decoded === 'string' ? decoded : 'metadata does not match the file name';
      this.log(`snapshot: ${full} is invalid (${reason}); falling back to the previous snapshot`);
    }
    if (this.files.length > 0) throw new StorageError('SNAPSHOT_CORRUPT', `no valid snapshot among ${this.files.length} files in ${this.dir}`);
    return null;
  }

  /** Synchronously reads and verifies one snapshot's image (for Storage.snapshot()). */
  readImageSync(metadata: SnapshotMetadata): Uint8Array {
    const f = this.files.find((x) => x.index === metadata.index && x.term === metadata.term);
    if (f === undefined) throw new SnapshotUnavailableError();
    const decoded = decodeSnapshotFile(this.fs.readFileSync(path.join(this.dir, f.file)));
    if (typeof decoded === 'string') throw new StorageError('SNAPSHOT_CORRUPT', `snapshot ${f.file}: ${decoded}`);
    return decoded.data;
  }

  pathOf(file: SnapshotFile): string {
    return path.join(this.dir, file.file);
  }

  private sortFiles(): void {
    this.files.sort((a, b) => a.index - b.index || a.term - b.term);
  }
}
