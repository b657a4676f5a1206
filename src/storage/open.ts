// Opening a board's data directory: lock it, load the newest valid snapshot,
// replay the WAL after it, and hand back the storage the board wires up.
//   <dir>/LOCK   <dir>/wal/*.wal   <dir>/snap/*.snap
import * as path from 'node:path';
import { StorageError, WalCorruptError } from './errors.ts';
import { acquireDataDirLock, notWritable } from './data-dir-lock.ts';
import { nodeFs, type StorageFs } from './fs-layer.ts';
import { LogStore } from './log-store.ts';
import { SnapshotStore } from './snapshot-store.ts';
import { SnapshotPolicy, type SnapshotPolicyOptions } from './snapshot-policy.ts';
import { DurableStorage } from './durable-storage.ts';
import { Wal } from './wal/wal.ts';
import { entriesAfterSnapshot } from './wal/replay.ts';
import { emptyConfState, type ConfState, type HardState, type Snapshot } from '../raft/types.ts';

export interface OpenDataDirOptions {
  readonly dir: string;
  readonly segmentBytes?: number;
  readonly keepSnapshots?: number;
  readonly policy?: SnapshotPolicyOptions;
  readonly fs?: StorageFs;
  readonly logger?: (message: string) => void;
  /**
   * Take the directory's LOCK file (default). The simulation runs several boards
   * in one process on simulated disks, where the pid lock means nothing.
   */
  readonly lock?: boolean;
}

export interface OpenedDataDir {
  readonly storage: DurableStorage;
  /** What the Raft core reads (also storage.logStore). */
  readonly logStore: LogStore;
  readonly hardState: HardState;
  readonly confState: ConfState;
  /** The snapshot to restore the state machine from (null: start from an empty database). */
  readonly snapshot: Snapshot | null;
  /** Flushes and closes the WAL and releases the lock. */
  close(): Promise<void>;
}

export async function openDataDir(options: OpenDataDirOptions): Promise<OpenedDataDir> {
  const dir = path.resolve(options.dir);
  const fsx = options.fs ?? nodeFs;
  try {
    await fsx.mkdir(dir);
    await fsx.checkWritable(dir);
  } catch (e) {
    throw notWritable(dir, e);
  }
  const lock = options.lock === false ? { release: () => {} } : acquireDataDirLock(dir);
  try {
    const logger = options.logger;
    const walDir = path.join(dir, 'wal');
    const snapshots = await SnapshotStore.open({ dir: path.join(dir, 'snap'), keep: options.keepSnapshots, fs: fsx, logger });
    const snapshot = await snapshots.loadNewest();
    const hadWal = (await fsx.readdir(walDir).catch(() => [])).some((f) => f.endsWith('.wal'));
    if (snapshot !== null && !hadWal) {
      throw new WalCorruptError('WAL_SEGMENT_MISSING', walDir, 0, `snapshot ${snapshot.metadata.index} exists but the write-ahead log has no segments (hard state would be lost)`);
    }
    const { wal, log } = await Wal.open({ dir: walDir, segmentBytes: options.segmentBytes, fs: fsx, logger });
    const base = snapshot?.metadata ?? { index: 0, term: 0, confState: emptyConfState };
    const entries = entriesAfterSnapshot(log, base, walDir);
    const lastIndex = entries.length > 0 ? entries[entries.length - 1]!.index : base.index;
    const hardState: HardState = { ...log.hardState, commit: Math.max(log.hardState.commit, base.index) };
    if (hardState.commit > lastIndex) {
      await wal.close();
      throw new WalCorruptError('WAL_CORRUPT', walDir, 0, `hard state commit ${hardState.commit} is beyond the last entry ${lastIndex}: committed entries are missing`);
    }
    // The snapshot may be newer than the log's record of it (a power cut between the snapshot's
    // rename and the log's marker, or a cut log): the log then learns of it, so that what the
    // core appends next (after the snapshot) follows on in the log too.
    if (entries.length === 0 && base.index > 0 && (wal.lastIndex < base.index || log.snapshot?.index !== base.index)) {
      await wal.saveSnapshot(base.index, base.term);
    }
    const logStore = new LogStore({ hardState, snapshot: base, entries, loadSnapshot: (m) => snapshots.readImageSync(m) });
    const storage = new DurableStorage(wal, logStore, snapshots, new SnapshotPolicy(options.policy));
    return {
      storage,
      logStore,
      hardState,
      confState: base.confState,
      snapshot,
      async close() {
        try {
          await wal.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (e) {
    lock.release();
    if (e instanceof StorageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM') throw notWritable(dir, e);
    throw e;
  }
}
