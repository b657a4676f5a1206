// Commit durability (Raft §5.4.2, the reason for Figure 8's rule): once an entry is committed,
// no voter lacking it can win an election, because every voter of the committing majority
// holds it and a log at least as up to date as any log without it.
// Checked the moment an entry is first applied, without waiting for such an election to happen.
import type { NodeId } from '../../src/raft/types.ts';
import type { RaftLog } from '../../src/raft/log.ts';
import type { MemoryStorage } from '../../src/raft/memory-storage.ts';
import { SafetyViolation } from './invariants.ts';

/** One view of a log: what a board persisted, or what a running board holds in memory. */
export interface LogView {
  readonly lastIndex: number;
  readonly lastTerm: number;
  /** Term at index i; 'compacted' when i is inside the snapshot, undefined beyond the log. */
  termAt(i: number): number | 'compacted' | undefined;
}

export function persistedView(s: MemoryStorage): LogView {
  const lastIndex = s.lastIndex();
  const first = s.firstIndex();
  return {
    lastIndex,
    lastTerm: s.term(lastIndex),
    termAt: (i) => (i < first ? 'compacted' : i > lastIndex ? undefined : s.term(i)),
  };
}

export function memoryView(log: RaftLog): LogView {
  const lastIndex = log.lastIndex();
  const first = log.firstIndex();
  return {
    lastIndex,
    lastTerm: log.lastTerm(),
    termAt: (i) => (i < first ? 'compacted' : log.term(i)),
  };
}

/** §5.4.1: would a voter whose log is `voter` grant its vote to a candidate whose log is `cand`? */
function upToDate(cand: LogView, voter: LogView): boolean {
  return cand.lastTerm > voter.lastTerm || (cand.lastTerm === voter.lastTerm && cand.lastIndex >= voter.lastIndex);
}

/**
 * Throws when some voter whose log (any of its views) lacks entry (index, term) could collect a
 * majority of `voters`, each granting if the candidate's log is at least as up to date as any view
 * of theirs. Vote records and terms are ignored, so this over-approximates who could win; correct
 * Raft still passes, since every voter of the committing majority refuses in every view.
 */
export function checkCommitDurable(
  index: number,
  term: number,
  voters: readonly NodeId[],
  views: ReadonlyMap<NodeId, readonly LogView[]>,
): void {
  const quorum = Math.floor(voters.length / 2) + 1;
  for (const cand of voters) {
    for (const cv of views.get(cand) ?? []) {
      const t = cv.termAt(index);
      if (t === 'compacted' || t === term) continue;
      const grants = voters.filter((v) => v === cand || (views.get(v) ?? []).some((vv) => upToDate(cv, vv)));
      if (grants.length >= quorum) {
        throw new SafetyViolation(
          'leader completeness (commit durability)',
          `entry ${index} (term ${term}) is committed, yet ${cand} (log ends ${cv.lastIndex}/${cv.lastTerm}, ` +
            `has ${t === undefined ? 'nothing' : `term ${t}`} there) could be elected by ${grants.join(', ')}`,
        );
      }
    }
  }
}
