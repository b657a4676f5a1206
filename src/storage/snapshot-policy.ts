// When to take a snapshot, and how far to compact the in-memory log after it.

export interface SnapshotPolicyOptions {
  /** Snapshot once this many entries were applied since the last snapshot (default DEFAULT_SNAPSHOT_ENTRIES). */
  readonly maxEntries?: number;
  /** ...or once the in-memory log holds this many bytes (default DEFAULT_SNAPSHOT_LOG_BYTES). */
  readonly maxBytes?: number;
  /** Entries kept before the snapshot index when compacting, so slightly lagging followers avoid a snapshot (default 500). */
  readonly keepEntries?: number;
}

export interface LogProgress {
  readonly appliedIndex: number;
  readonly snapshotIndex: number;
  /** Bytes held in the in-memory log (LogStore.size().bytes). */
  readonly logBytes: number;
}

/**
 * The in-memory log is a board's largest growing structure between
 * snapshots: at 100 writes/s its entries (their bytes and one object each)
 * took 3-4 MiB of anonymous memory before a snapshot at 10,000 entries.
 * 2,500 entries (25 s at that rate) keep it under 1 MiB for small writes;
 * a snapshot of a 2 MiB database costs a few milliseconds of export and one
 * file write.
 */
export const DEFAULT_SNAPSHOT_ENTRIES = 2_500;
export const DEFAULT_SNAPSHOT_LOG_BYTES = 1024 * 1024;

export class SnapshotPolicy {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly keepEntries: number;

  constructor(options: SnapshotPolicyOptions = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_SNAPSHOT_ENTRIES;
    this.maxBytes = options.maxBytes ?? DEFAULT_SNAPSHOT_LOG_BYTES;
    this.keepEntries = options.keepEntries ?? 500;
  }

  shouldSnapshot(p: LogProgress): boolean {
    if (p.appliedIndex <= p.snapshotIndex) return false;
    return p.appliedIndex - p.snapshotIndex >= this.maxEntries || p.logBytes >= this.maxBytes;
  }

  /** The index to compact the in-memory log to after a snapshot at `snapshotIndex` (0: nothing to compact). */
  compactTo(snapshotIndex: number, firstIndex: number): number {
    const to = snapshotIndex - this.keepEntries;
    return to >= firstIndex ? to : 0;
  }
}
