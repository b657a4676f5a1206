// The leader's view of the membership: the active configuration, per-peer progress and election votes.
import type { ConfState, NodeId } from './types.ts';
import { Progress } from './progress.ts';
import { jointCommitted, jointVote, type VoteResult } from './quorum.ts';

export class ProgressTracker {
  incoming = new Set<NodeId>();
  outgoing = new Set<NodeId>();
  learners = new Set<NodeId>();
  learnersNext = new Set<NodeId>();
  autoLeave = false;
  /** One entry per member of the configuration (bounded by the membership). */
  readonly progress = new Map<NodeId, Progress>();
  /** Votes received in the current election (bounded by the membership). */
  readonly votes = new Map<NodeId, boolean>();
  private readonly matchOf = (id: NodeId): number => this.progress.get(id)?.match ?? 0;

  constructor(private readonly maxInflightMsgs: number, private readonly maxInflightBytes: number) {}

  isJoint(): boolean {
    return this.outgoing.size > 0;
  }

  isVoter(id: NodeId): boolean {
    return this.incoming.has(id) || this.outgoing.has(id);
  }

  confState(): ConfState {
    const sorted = (s: Set<NodeId>): NodeId[] => [...s].sort();
    return {
      voters: sorted(this.incoming),
      learners: sorted(this.learners),
      votersOutgoing: sorted(this.outgoing),
      learnersNext: sorted(this.learnersNext),
      autoLeave: this.autoLeave,
    };
  }

  /** Switch to cs; new members start probing at nextIndex, departed ones are forgotten. */
  applyConfState(cs: ConfState, nextIndex: number): void {
    this.incoming = new Set(cs.voters);
    this.outgoing = new Set(cs.votersOutgoing);
    this.learners = new Set(cs.learners);
    this.learnersNext = new Set(cs.learnersNext);
    this.autoLeave = cs.autoLeave;
    const members = new Set<NodeId>([...this.incoming, ...this.outgoing, ...this.learners, ...this.learnersNext]);
    for (const id of [...this.progress.keys()]) if (!members.has(id)) this.progress.delete(id);
    for (const id of members) {
      const learner = !this.isVoter(id);
      const pr = this.progress.get(id);
      if (pr) pr.isLearner = learner;
      else {
        const p = new Progress(nextIndex, this.maxInflightMsgs, this.maxInflightBytes, learner);
        // A newly added member counts as active so check-quorum does not fire before it answers.
        p.recentActive = true;
        this.progress.set(id, p);
      }
    }
  }

  committed(): number {
    return jointCommitted(this.incoming, this.outgoing, this.matchOf);
  }

  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  voteResult(): VoteResult {
    return jointVote(this.incoming, this.outgoing, this.votes);
  }

  resetVotes(): void {
    this.votes.clear();
  }

  /** Check-quorum: has a quorum (counting self) been heard from recently? */
  quorumActive(self: NodeId): boolean {
    const active = new Map<NodeId, boolean>();
    for (const [id, pr] of this.progress) if (!pr.isLearner) active.set(id, id === self || pr.recentActive);
    return jointVote(this.incoming, this.outgoing, active) === 'won';
  }

  /** The voters, each once. */
  voters(): NodeId[] {
    return [...new Set([...this.incoming, ...this.outgoing])];
  }
}
