// When to take a snapshot, and how far to compact the in-memory log after it.

export interface SnapshotPolicyOptions {
  /** Snapshot once this many entries were applied since the last snapshot (default 10,000). */
  readonly maxEntries?: number;
  /** ...or once the in-memory log holds this many bytes (default 4 MiB). */
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

export class SnapshotPolicy {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly keepEntries: number;

  constructor(options: SnapshotPolicyOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
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
