// The Raft log as the core sees it: persisted entries (Storage) followed by unstable ones.
import type { Entry, Snapshot, Storage } from './types.ts';
import { CompactedError, entrySize } from './types.ts';
import { Unstable } from './unstable.ts';
import { invariant } from './errors.ts';

export class RaftLog {
  readonly unstable: Unstable;
  /** Highest index known to be stored on a quorum. */
  committed: number;
  /** Highest index handed to the state machine and acknowledged by advance(). */
  applied: number;

  constructor(readonly storage: Storage, applied?: number) {
    const first = storage.firstIndex();
    this.unstable = new Unstable(storage.lastIndex() + 1);
    this.committed = first - 1;
    this.applied = applied ?? first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  /** The last index the caller has reported persisted (below everything still unstable). */
  lastStableIndex(): number {
    if (this.unstable.snapshot) return 0;
    return Math.min(this.lastIndex(), this.unstable.offset - 1);
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** Term of entry i, or undefined when it is compacted or beyond the log. */
  term(i: number): number | undefined {
    const u = this.unstable.maybeTerm(i);
    if (u !== undefined) return u;
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return undefined;
    try {
      return this.storage.term(i);
    } catch {
      return undefined;
    }
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  matchTerm(i: number, t: number): boolean {
    return this.term(i) === t;
  }

  /** Raft §5.4.1: is a log ending at (index, term) at least as up to date as ours? */
  isUpToDate(index: number, term: number): boolean {
    const lt = this.lastTerm();
    return term > lt || (term === lt && index >= this.lastIndex());
  }

  /** Index of the first entry that conflicts with (or extends) our log; 0 when all match. */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) if (!this.matchTerm(e.index, e.term)) return e.index;
    return 0;
  }

  /**
   * The largest index <= index whose term is <= term, with that term: where a
   * leader whose log has `term` at `index` should probe next (fast backtracking).
   */
  findConflictByTerm(index: number, term: number): [number, number] {
    for (let i = index; i >= 0; i--) {
      const t = this.term(i);
      if (t === undefined) return [i, 0];
      if (t <= term) return [i, t];
    }
    return [0, 0];
  }

  /** Raft §5.3 AppendEntries receiver: returns the last new index, or -1 when (index, logTerm) does not match. */
  maybeAppend(index: number, logTerm: number, committed: number, ents: readonly Entry[]): number {
    if (!this.matchTerm(index, logTerm)) return -1;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) throw invariant(`entry ${ci} conflicts with committed entry (commit ${this.committed})`);
      this.append(ents.slice(ci - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(ents: readonly Entry[]): number {
    const first = ents[0];
    if (!first) return this.lastIndex();
    if (first.index - 1 < this.committed) {
      throw invariant(`appending after ${first.index - 1} would truncate committed ${this.committed}`);
    }
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** Entries [lo, hi) limited to maxBytes (at least one). Throws CompactedError below firstIndex. */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo >= hi) return [];
    const first = this.firstIndex();
    if (lo < first) throw new CompactedError(lo, first);
    const u = this.unstable.offset;
    let out: Entry[] = [];
    if (lo < u) {
      out = this.storage.entries(lo, Math.min(hi, u), maxBytes);
      if (out.length < Math.min(hi, u) - lo) return out; // size limit reached in storage
    }
    if (hi > u) {
      let size = 0;
      for (const e of out) size += entrySize(e);
      const from = Math.max(lo, u);
      const ents = this.unstable.entries;
      for (let i = from; i < hi; i++) {
        const e = ents[i - u];
        if (!e) break;
        size += entrySize(e);
        if (out.length > 0 && size > maxBytes) break;
        out.push(e);
      }
    }
    return out;
  }

  /** Committed entries the state machine has not been given yet. */
  nextCommittedEntries(maxBytes: number, applyBeforeCommitBug: boolean): Entry[] {
    if (this.unstable.snapshot) return [];
    const lo = this.applied + 1;
    const hi = (applyBeforeCommitBug ? this.lastIndex() : this.committed) + 1;
    if (lo >= hi) return [];
    return this.slice(Math.max(lo, this.firstIndex()), hi, maxBytes);
  }

  hasNextCommittedEntries(applyBeforeCommitBug: boolean): boolean {
    if (this.unstable.snapshot) return false;
    const hi = applyBeforeCommitBug ? this.lastIndex() : this.committed;
    return this.applied < hi;
  }

  commitTo(i: number): void {
    if (i <= this.committed) return;
    if (i > this.lastIndex()) throw invariant(`commit ${i} is beyond the last index ${this.lastIndex()}`);
    this.committed = i;
  }

  /** Commit maxIndex when it carries the leader's current term (§5.4.2) unless the test-only bug allows older terms. */
  maybeCommit(maxIndex: number, term: number, anyTermBug: boolean): boolean {
    if (maxIndex <= this.committed) return false;
    const t = this.term(maxIndex);
    if (t === term || (anyTermBug && t !== undefined)) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  appliedTo(i: number): void {
    if (i > this.applied) this.applied = i;
  }

  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }
}
