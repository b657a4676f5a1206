// The board's LogStore, with snapshot images kept in memory: the storage the
// core's unit tests run on (there is one log store; this only adds where the
// images live, which on a board is the snapshot store on disk).
import { LogStore } from '../../src/storage/log-store.ts';
import { bootstrapSnapshot } from '../../src/raft/bootstrap.ts';
import type { ConfState, Entry, HardState, Snapshot, SnapshotMetadata, Storage } from '../../src/raft/types.ts';

export class MemoryLog implements Storage {
  private readonly images = new Map<string, Uint8Array>();
  private store: LogStore;

  constructor() {
    this.store = new LogStore({ loadSnapshot: (m) => this.imageOf(m) });
  }

  /** A founding member of a new cluster (see bootstrapSnapshot). */
  static bootstrap(confState: ConfState): MemoryLog {
    const log = new MemoryLog();
    log.applySnapshot(bootstrapSnapshot(confState));
    log.setHardState({ term: 1, vote: null, commit: 1 });
    return log;
  }

  private imageOf(m: SnapshotMetadata): Uint8Array {
    return this.images.get(`${m.index}/${m.term}`) ?? new Uint8Array(0);
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return this.store.initialState();
  }
  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    return this.store.entries(lo, hi, maxBytes);
  }
  term(i: number): number {
    return this.store.term(i);
  }
  firstIndex(): number {
    return this.store.firstIndex();
  }
  lastIndex(): number {
    return this.store.lastIndex();
  }
  snapshot(): Snapshot {
    return this.store.snapshot();
  }
  hardState(): HardState {
    return this.store.hardStateNow();
  }
  setHardState(hs: HardState): void {
    this.store.setHardState(hs);
  }
  append(entries: readonly Entry[]): void {
    this.store.append(entries);
  }
  /** Installs a snapshot received from the leader (image and all). */
  applySnapshot(s: Snapshot): void {
    this.images.set(`${s.metadata.index}/${s.metadata.term}`, s.data);
    this.store.applySnapshot(s.metadata);
  }
  /** Records a snapshot taken at `index` (in the log) with this image. */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    const metadata = { index, term: this.store.term(index), confState };
    this.images.set(`${index}/${metadata.term}`, data);
    this.store.createSnapshot(metadata);
    return { metadata, data };
  }
  compact(index: number): void {
    this.store.compact(index);
  }
}
