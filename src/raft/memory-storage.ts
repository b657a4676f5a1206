// An in-memory Storage for tests, the simulation and the benchmark.
import type { ConfState, Entry, HardState, Snapshot, Storage } from './types.ts';
import { CompactedError, RaftError, UnavailableError, emptyConfState, emptyHardState, entrySize } from './types.ts';
import { RaftErrorCode } from './errors.ts';

const emptyData = new Uint8Array(0);

/**
 * A new cluster's boards all start from this identical snapshot (index 1,
 * term 1) that carries the initial membership, with hard state
 * { term: 1, vote: null, commit: 1 }. A board joining later starts empty and
 * receives the leader's snapshot, so every log replay sees a full configuration.
 */
export function bootstrapSnapshot(confState: ConfState): Snapshot {
  return { metadata: { index: 1, term: 1, confState }, data: emptyData };
}

/** The log held in memory: bounded only by compaction, so callers compact after snapshots. */
export class MemoryStorage implements Storage {
  private hard: HardState = emptyHardState;
  private snap: Snapshot = { metadata: { index: 0, term: 0, confState: emptyConfState }, data: emptyData };
  /** ents[0] is a dummy entry at the snapshot's index and term. */
  private ents: Entry[] = [{ index: 0, term: 0, type: 'normal', data: emptyData }];

  /** A storage for a founding member of a new cluster (see bootstrapSnapshot). */
  static bootstrap(confState: ConfState): MemoryStorage {
    const s = new MemoryStorage();
    s.applySnapshot(bootstrapSnapshot(confState));
    s.setHardState({ term: 1, vote: null, commit: 1 });
    return s;
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hard, confState: this.snap.metadata.confState };
  }

  hardState(): HardState {
    return this.hard;
  }

  setHardState(h: HardState): void {
    this.hard = h;
  }

  private offset(): number {
    return (this.ents[0] as Entry).index;
  }

  firstIndex(): number {
    return this.offset() + 1;
  }

  lastIndex(): number {
    return this.offset() + this.ents.length - 1;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const off = this.offset();
    if (lo <= off) throw new CompactedError(lo, off + 1);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    const out: Entry[] = [];
    let size = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.ents[i - off] as Entry;
      size += entrySize(e);
      if (out.length > 0 && size > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  term(i: number): number {
    const off = this.offset();
    if (i < off) throw new CompactedError(i, off + 1);
    if (i > this.lastIndex()) throw new UnavailableError(i, this.lastIndex());
    return (this.ents[i - off] as Entry).term;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replace everything with a snapshot (a follower installing the leader's snapshot). */
  applySnapshot(s: Snapshot): void {
    if (s.metadata.index < this.snap.metadata.index) {
      throw new RaftError(RaftErrorCode.invariant, `snapshot ${s.metadata.index} is older than ${this.snap.metadata.index}`);
    }
    this.snap = s;
    this.ents = [{ index: s.metadata.index, term: s.metadata.term, type: 'normal', data: emptyData }];
  }

  /** Record a snapshot of the state machine at index i (<= last index) without dropping entries. */
  createSnapshot(i: number, confState: ConfState, data: Uint8Array): Snapshot {
    if (i <= this.snap.metadata.index) return this.snap;
    if (i > this.lastIndex()) throw new UnavailableError(i, this.lastIndex());
    this.snap = { metadata: { index: i, term: this.term(i), confState }, data };
    return this.snap;
  }

  /** Drop entries up to and including i (i must be covered by a snapshot the caller made). */
  compact(i: number): void {
    const off = this.offset();
    if (i <= off) return;
    if (i > this.lastIndex()) throw new UnavailableError(i, this.lastIndex());
    const dummy = this.ents[i - off] as Entry;
    this.ents = [{ index: dummy.index, term: dummy.term, type: 'normal', data: emptyData }, ...this.ents.slice(i - off + 1)];
  }

  /** Append entries, replacing any stored entries from the first one's index on. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (!first) return;
    const off = this.offset();
    const lastNew = first.index + entries.length - 1;
    if (lastNew <= off) return; // all compacted already
    const skip = Math.max(0, off + 1 - first.index);
    const from = first.index + skip;
    if (from > this.lastIndex() + 1) {
      throw new RaftError(RaftErrorCode.invariant, `gap: appending ${from} after last index ${this.lastIndex()}`);
    }
    this.ents.length = from - off;
    for (let k = skip; k < entries.length; k++) this.ents.push(entries[k] as Entry);
  }
}
