// Raft's safety properties (Figure 3 of the paper), checked on bare cores (the autopilot
// profile drives the core and the policy without the board's storage; the board simulation
// checks boards with board-checker.ts).
import type { Entry, NodeId } from '../../src/raft/types.ts';
import type { Raft } from '../../src/raft/raft.ts';
import { SafetyViolation, dataKey } from './invariants.ts';

interface AppliedRecord {
  readonly term: number;
  readonly key: string;
  /** Term of the first node seen applying it: an upper bound of the term in which it committed. */
  readonly commitTerm: number;
}

export class SafetyChecker {
  /** Election safety: at most one leader per term. */
  private readonly leaders = new Map<number, NodeId>();
  /** Log matching: (index, term) determines the entry and the term before it. */
  private readonly entries = new Map<string, { key: string; prevTerm: number | undefined }>();
  /** State machine safety: one entry per applied index. */
  private readonly applied = new Map<number, AppliedRecord>();
  private readonly lastApplied = new Map<NodeId, number>();

  /** Election safety + leader completeness, checked every step for every live node. */
  checkNode(id: NodeId, r: Raft): void {
    if (r.role !== 'leader') return;
    const known = this.leaders.get(r.term);
    if (known === undefined) {
      this.leaders.set(r.term, id);
      this.checkLeaderCompleteness(id, r);
    } else if (known !== id) {
      throw new SafetyViolation('election safety', `term ${r.term} has two leaders: ${known} and ${id}`);
    }
  }

  /** Raft §5.4: a leader holds every entry committed in an earlier term. */
  private checkLeaderCompleteness(id: NodeId, r: Raft): void {
    const first = r.log.firstIndex();
    for (const [index, rec] of this.applied) {
      if (rec.commitTerm >= r.term || index < first) continue;
      const t = r.log.term(index);
      if (t !== rec.term) {
        throw new SafetyViolation(
          'leader completeness',
          `${id} leads term ${r.term} without committed entry ${index} (term ${rec.term}; has ${t ?? 'none'})`,
        );
      }
    }
  }

  /** Log matching (§5.3): called with the entries a node is about to persist and the term before the first. */
  onPersist(id: NodeId, ents: readonly Entry[], prevTerm: number | undefined): void {
    let prev = prevTerm;
    for (const e of ents) {
      const k = `${e.index}:${e.term}`;
      const key = dataKey(e);
      const seen = this.entries.get(k);
      if (!seen) this.entries.set(k, { key, prevTerm: prev });
      else if (seen.key !== key) {
        throw new SafetyViolation('log matching', `${id} stores a different entry at index ${e.index} term ${e.term}`);
      } else if (seen.prevTerm !== undefined && prev !== undefined && seen.prevTerm !== prev) {
        throw new SafetyViolation('log matching', `${id}: entry ${e.index}/${e.term} follows term ${prev}, elsewhere ${seen.prevTerm}`);
      }
      prev = e.term;
    }
  }

  /** State machine safety (§5.4.3): every node applies the same entry at an index, in order. True when first applied anywhere. */
  onApply(id: NodeId, e: Entry, nodeTerm: number): boolean {
    const last = this.lastApplied.get(id);
    if (last !== undefined && e.index !== last + 1) {
      throw new SafetyViolation('state machine safety', `${id} applied ${e.index} after ${last}`);
    }
    this.lastApplied.set(id, e.index);
    const rec = this.applied.get(e.index);
    const key = dataKey(e);
    if (!rec) {
      this.applied.set(e.index, { term: e.term, key, commitTerm: nodeTerm });
      return true;
    }
    if (rec.term !== e.term || rec.key !== key) {
      throw new SafetyViolation(
        'state machine safety',
        `${id} applied entry ${e.index} of term ${e.term}, another node applied one of term ${rec.term}`,
      );
    } else if (nodeTerm < rec.commitTerm) {
      this.applied.set(e.index, { ...rec, commitTerm: nodeTerm });
    }
    return false;
  }

  /** A node restarted or installed a snapshot: its next applied index starts after `index`. */
  resetApplied(id: NodeId, index: number): void {
    this.lastApplied.set(id, index);
  }

  get appliedCount(): number {
    return this.applied.size;
  }
}
