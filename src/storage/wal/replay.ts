// Rebuilding the log from WAL records, and joining it to the loaded snapshot.
import { WalCorruptError } from '../errors.ts';
import { emptyHardState, type Entry, type HardState } from '../../raft/types.ts';
import type { WalRecord } from './record.ts';

export interface LogPosition { readonly index: number; readonly term: number }

export interface ReplayedLog {
  readonly hardState: HardState;
  /** The last snapshot marker seen, if any. */
  readonly snapshot: LogPosition | null;
  /** Contiguous entries; a later record with a lower index superseded the suffix. */
  readonly entries: readonly Entry[];
}

export class LogReplayer {
  private hardState: HardState = emptyHardState;
  private base: LogPosition | null = null;
  private entries: Entry[] = [];

  apply(record: WalRecord, file: string, offset: number): void {
    switch (record.type) {
      case 'segment-header':
        return;
      case 'hard-state':
        this.hardState = record.hardState;
        return;
      case 'snapshot':
        this.applySnapshot({ index: record.index, term: record.term });
        return;
      case 'entry':
        this.applyEntry(record.entry, file, offset);
        return;
    }
  }

  result(): ReplayedLog {
    return { hardState: this.hardState, snapshot: this.base, entries: this.entries };
  }

  private applyEntry(e: Entry, file: string, offset: number): void {
    const first = this.entries.length > 0 ? this.entries[0]!.index : this.base !== null ? this.base.index + 1 : e.index;
    const next = first + this.entries.length;
    if (e.index > next) throw new WalCorruptError('WAL_CORRUPT', file, offset, `entry ${e.index} leaves a gap after entry ${next - 1}`);
    if (e.index < first) {
      // Truncation below everything known: the log restarts here.
      this.entries = [e];
      this.base = null;
      return;
    }
    this.entries.length = e.index - first;
    this.entries.push(e);
  }

  private applySnapshot(at: LogPosition): void {
    const first = this.entries.length > 0 ? this.entries[0]!.index : 0;
    const held = this.entries.length > 0 && at.index >= first && at.index < first + this.entries.length ? this.entries[at.index - first]! : null;
    if (held !== null && held.term === at.term) {
      this.entries = this.entries.slice(at.index - first + 1);
    } else if (!(this.base !== null && this.base.index === at.index && this.base.term === at.term)) {
      this.entries = [];
    }
    this.base = at;
  }
}

/**
 * The entries that follow the snapshot loaded at start (index 0 when none),
 * by the rule etcd's raftLog.restore uses: entries after the snapshot are
 * kept when the log holds the snapshot's entry with the same term (or starts
 * right after it); a log that ends before it is simply covered. A log that
 * starts after snapshot+1 lost entries: that is a missing segment.
 */
export function entriesAfterSnapshot(log: ReplayedLog, snapshot: LogPosition, walDir: string): Entry[] {
  const entries = log.entries;
  if (entries.length === 0) return [];
  const first = entries[0]!.index;
  const last = first + entries.length - 1;
  if (last <= snapshot.index) return [];
  if (first > snapshot.index + 1) {
    throw new WalCorruptError('WAL_SEGMENT_MISSING', walDir, 0, `log starts at entry ${first} but the snapshot ends at ${snapshot.index}; entries in between are gone`);
  }
  if (first === snapshot.index + 1) {
    if (log.snapshot !== null && log.snapshot.index === snapshot.index && log.snapshot.term !== snapshot.term) return [];
    return entries.slice();
  }
  const atSnapshot = entries[snapshot.index - first]!;
  return atSnapshot.term === snapshot.term ? entries.slice(snapshot.index - first + 1) : [];
}
