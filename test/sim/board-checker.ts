// Raft's safety properties, checked on boards as they run (Figure 3 of the
// paper), plus the durability of what clients were told: every board applies
// the same entry at an index, a term has one leader and every voter grants its
// vote once per term (across restarts and incarnations), a new leader holds
// every committed entry, and an acknowledged write stays at its index.
import type { Entry, Message, NodeId } from '../../src/raft/types.ts';
import { SafetyViolation, dataKey } from './invariants.ts';

interface AppliedRecord {
  readonly term: number;
  readonly key: string;
}

/** What a voter's log looks like to an election: its last entry, and the term at any index. */
export interface LogView {
  readonly lastIndex: number;
  readonly lastTerm: number;
  /** 'compacted' inside the snapshot, undefined beyond the log. */
  termAt(i: number): number | 'compacted' | undefined;
}

/** §5.4.1: would a voter whose log is `voter` grant its vote to a candidate whose log is `cand`? */
function upToDate(cand: LogView, voter: LogView): boolean {
  return cand.lastTerm > voter.lastTerm || (cand.lastTerm === voter.lastTerm && cand.lastIndex >= voter.lastIndex);
}

/**
 * Commit durability (Raft §5.4.2, the reason for Figure 8's rule), checked the moment an entry
 * is first applied: no voter lacking it may be able to win an election, in either half of a joint
 * configuration. Votes and terms are ignored, so this over-approximates who could win; correct
 * Raft passes, since every voter of the committing majority refuses. Voters without a view (a
 * member id no board runs any more: it cannot vote) are left out.
 */
export function checkCommitDurable(index: number, term: number, configs: readonly (readonly NodeId[])[], views: ReadonlyMap<NodeId, LogView>): void {
  const everyone = [...new Set(configs.flat())];
  for (const cand of everyone) {
    const cv = views.get(cand);
    if (!cv) continue;
    const t = cv.termAt(index);
    if (t === 'compacted' || t === term) continue;
    const wins = configs.every((voters) => {
      if (voters.length === 0) return true;
      const grants = voters.filter((v) => v === cand || (views.get(v) !== undefined && upToDate(cv, views.get(v)!)));
      return grants.length >= Math.floor(voters.length / 2) + 1;
    });
    if (wins) {
      throw new SafetyViolation('leader completeness (commit durability)', `entry ${index} (term ${term}) is committed, yet ${cand} (log ends ${cv.lastIndex}/${cv.lastTerm}, has ${t === undefined ? 'nothing' : `term ${t}`} there) could be elected`);
    }
  }
}

export class BoardChecker {
  private readonly leaders = new Map<number, NodeId>();
  private readonly votes = new Map<string, NodeId>();
  private readonly applied = new Map<number, AppliedRecord>();
  private readonly lastApplied = new Map<NodeId, number>();
  /** Acknowledged writes: index → request id. */
  private readonly acknowledged = new Map<number, string>();
  private readonly requestAt = new Map<number, string>();

  /** Election safety and leader completeness, for a board that says it leads `term`. */
  checkLeader(id: NodeId, role: string, term: number, termAt: (index: number) => number | undefined, firstIndex: number): void {
    if (role !== 'leader') return;
    const known = this.leaders.get(term);
    if (known === undefined) {
      this.leaders.set(term, id);
      for (const [index, rec] of this.applied) {
        if (index < firstIndex) continue;
        const t = termAt(index);
        if (t !== rec.term) {
          throw new SafetyViolation('leader completeness', `${id} leads term ${term} without committed entry ${index} (term ${rec.term}; has ${t ?? 'none'})`);
        }
      }
    } else if (known !== id) {
      throw new SafetyViolation('election safety', `term ${term} has two leaders: ${known} and ${id}`);
    }
  }

  /** A vote granted on the wire: one per voter and term, whatever restarts in between. */
  onVoteSent(m: Message): void {
    if (m.type !== 'vote-response' || m.reject) return;
    const k = `${m.from}@${m.term}`;
    const before = this.votes.get(k);
    if (before === undefined) this.votes.set(k, m.to);
    else if (before !== m.to) {
      throw new SafetyViolation('election safety', `${m.from} voted twice in term ${m.term}: for ${before} and for ${m.to}`);
    }
  }

  /** State machine safety: every board applies the same entry at an index, in order. True when first applied anywhere. */
  onApply(id: NodeId, e: Entry): boolean {
    const last = this.lastApplied.get(id);
    if (last !== undefined && e.index !== last + 1) {
      throw new SafetyViolation('state machine safety', `${id} applied ${e.index} after ${last}`);
    }
    this.lastApplied.set(id, e.index);
    const key = dataKey(e);
    const rec = this.applied.get(e.index);
    if (!rec) {
      this.applied.set(e.index, { term: e.term, key });
      const ack = this.acknowledged.get(e.index);
      if (ack !== undefined && !key.includes(ack)) {
        throw new SafetyViolation('durability', `write ${ack} was acknowledged at index ${e.index}, which now holds another entry`);
      }
      return true;
    }
    if (rec.term !== e.term || rec.key !== key) {
      throw new SafetyViolation('state machine safety', `${id} applied entry ${e.index} of term ${e.term}, another board applied one of term ${rec.term}`);
    }
    return false;
  }

  /** A client was told its write is at `index`. */
  onAcknowledged(index: number, requestId: string): void {
    const rec = this.applied.get(index);
    if (rec !== undefined && !rec.key.includes(requestId)) {
      throw new SafetyViolation('durability', `write ${requestId} acknowledged at index ${index}, which holds another entry`);
    }
    this.acknowledged.set(index, requestId);
    this.requestAt.set(index, requestId);
  }

  /** A board started or installed a snapshot: its next applied index follows `index`. */
  resetApplied(id: NodeId, index: number): void {
    this.lastApplied.set(id, index);
  }

  get appliedCount(): number {
    return this.applied.size;
  }
}
