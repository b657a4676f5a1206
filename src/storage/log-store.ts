// The in-memory view of the persisted log that the Raft core reads (etcd's
// MemoryStorage semantics). It holds only entries after the compaction point.
//
// Memory cap: the board compacts after each snapshot, which the snapshot
// policy triggers once the log passes its entry or byte threshold; so this
// holds at most policy.maxEntries (or maxBytes) + policy.keepEntries entries,
// plus the uncommitted tail that the core's uncommitted-bytes cap bounds.
// Writes go to the WAL first; the caller updates this store after they are durable.
import { StorageError } from './errors.ts';
import {
  CompactedError,
  emptyConfState,
  emptyHardState,
  entrySize,
  SnapshotUnavailableError,
  UnavailableError,
  type ConfState,
  type Entry,
  type HardState,
  type Snapshot,
  type SnapshotMetadata,
  type Storage,
} from '../raft/types.ts';

export interface LogStoreInit {
  readonly hardState?: HardState;
  /** Metadata of the snapshot the log starts after (index 0 when none). */
  readonly snapshot?: SnapshotMetadata;
  /** Entries following the snapshot, contiguous from snapshot.index + 1. */
  readonly entries?: readonly Entry[];
  /** Reads a snapshot's bytes on demand, so they are not held in memory. */
  readonly loadSnapshot?: (metadata: SnapshotMetadata) => Uint8Array;
}

const noSnapshot: SnapshotMetadata = Object.freeze({ index: 0, term: 0, confState: emptyConfState });

export class LogStore implements Storage {
  private hardState: HardState;
  private snapshotMeta: SnapshotMetadata;
  /** Compaction point: the "dummy entry" position whose term stays readable. */
  private baseIndex: number;
  private baseTerm: number;
  private log: Entry[];
  private bytes = 0;
  private readonly loadSnapshot: ((metadata: SnapshotMetadata) => Uint8Array) | undefined;

  constructor(init: LogStoreInit = {}) {
    this.hardState = init.hardState ?? emptyHardState;
    this.snapshotMeta = init.snapshot ?? noSnapshot;
    this.baseIndex = this.snapshotMeta.index;
    this.baseTerm = this.snapshotMeta.term;
    this.log = [];
    this.loadSnapshot = init.loadSnapshot;
    if (init.entries !== undefined && init.entries.length > 0) this.append(init.entries);
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState, confState: this.snapshotMeta.confState };
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo <= this.baseIndex) throw new CompactedError(lo, this.firstIndex());
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    if (lo > hi) throw new StorageError('LOG_INVALID_APPEND', `invalid range [${lo}, ${hi})`);
    const out: Entry[] = [];
    let size = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.log[i - this.baseIndex - 1]!;
      size += entrySize(e);
      if (out.length > 0 && size > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  term(i: number): number {
    if (i === this.baseIndex) return this.baseTerm;
    if (i < this.baseIndex) throw new CompactedError(i, this.firstIndex());
    if (i > this.lastIndex()) throw new UnavailableError(i, this.lastIndex());
    return this.log[i - this.baseIndex - 1]!.term;
  }

  firstIndex(): number {
    return this.baseIndex + 1;
  }

  lastIndex(): number {
    return this.baseIndex + this.log.length;
  }

  snapshot(): Snapshot {
    if (this.snapshotMeta.index === 0) return { metadata: this.snapshotMeta, data: new Uint8Array(0) };
    if (this.loadSnapshot === undefined) throw new SnapshotUnavailableError();
    return { metadata: this.snapshotMeta, data: this.loadSnapshot(this.snapshotMeta) };
  }

  /** Latest snapshot's metadata, without loading its bytes. */
  snapshotMetadata(): SnapshotMetadata {
    return this.snapshotMeta;
  }

  hardStateNow(): HardState {
    return this.hardState;
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  /** Appends entries; ones at or below the compaction point are ignored, a lower index truncates the suffix. */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    let from = 0;
    while (from < entries.length && entries[from]!.index <= this.baseIndex) from++;
    if (from === entries.length) return;
    const first = entries[from]!.index;
    if (first > this.lastIndex() + 1) {
      throw new StorageError('LOG_INVALID_APPEND', `append of entry ${first} would leave a gap after ${this.lastIndex()}`);
    }
    for (let i = from + 1; i < entries.length; i++) {
      if (entries[i]!.index !== entries[i - 1]!.index + 1) throw new StorageError('LOG_INVALID_APPEND', 'appended entries are not contiguous');
    }
    const keep = first - this.baseIndex - 1;
    for (let i = keep; i < this.log.length; i++) this.bytes -= entrySize(this.log[i]!);
    this.log.length = keep;
    for (const e of packed(entries, from)) {
      this.log.push(e);
      this.bytes += entrySize(e);
    }
  }

  /** Replaces the whole log with a snapshot received from the leader. */
  applySnapshot(metadata: SnapshotMetadata): void {
    if (metadata.index <= this.snapshotMeta.index) {
      throw new StorageError('LOG_INVALID_APPEND', `snapshot ${metadata.index} is not newer than snapshot ${this.snapshotMeta.index}`);
    }
    this.snapshotMeta = metadata;
    this.baseIndex = metadata.index;
    this.baseTerm = metadata.term;
    this.log = [];
    this.bytes = 0;
  }

  /** Records a snapshot taken locally at `metadata.index` (which must be in the log); does not compact. */
  createSnapshot(metadata: SnapshotMetadata): void {
    if (metadata.index <= this.snapshotMeta.index) {
      throw new StorageError('LOG_INVALID_APPEND', `snapshot ${metadata.index} is not newer than snapshot ${this.snapshotMeta.index}`);
    }
    if (metadata.index > this.lastIndex()) throw new UnavailableError(metadata.index, this.lastIndex());
    this.snapshotMeta = metadata;
  }

  /** Drops entries up to and including `index`; its term stays readable through term(). */
  compact(index: number): void {
    if (index <= this.baseIndex) throw new CompactedError(index, this.firstIndex());
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    const term = this.term(index);
    const drop = index - this.baseIndex;
    for (let i = 0; i < drop; i++) this.bytes -= entrySize(this.log[i]!);
    this.log = this.log.slice(drop);
    this.baseIndex = index;
    this.baseTerm = term;
  }

  /** Entries held in memory and their size (entrySize), for the snapshot policy and metrics. */
  size(): { entries: number; bytes: number } {
    return { entries: this.log.length, bytes: this.bytes };
  }
}

/**
 * The entries from `from` on, their data copied into one buffer of exactly
 * their total size. The log keeps entries until the next snapshot (10,000 by
 * default), and the bytes handed in are often small views of something larger:
 * a leader's proposal is a slice of Node's shared 8 KiB Buffer pool, a
 * follower's a slice of a received packet. Kept as they came, each view pins
 * its whole backing store (a heap snapshot of a leader showed ~1,000 pinned
 * pool slabs, 8 MiB, growing with the log).
 */
function packed(entries: readonly Entry[], from: number): Entry[] {
  let total = 0;
  for (let i = from; i < entries.length; i++) total += entries[i]!.data.byteLength;
  const bytes = new Uint8Array(total);
  const out: Entry[] = [];
  let offset = 0;
  for (let i = from; i < entries.length; i++) {
    const e = entries[i]!;
    bytes.set(e.data, offset);
    out.push({ term: e.term, index: e.index, type: e.type, data: bytes.subarray(offset, offset + e.data.byteLength) });
    offset += e.data.byteLength;
  }
  return out;
}
