// The Raft state machine shared by all roles: terms, elections, membership, and the common message rules.
// Role-specific handling lives in follower.ts, candidate.ts and leader.ts.
import type { Entry, EntryType, Message, NodeId, ReadState, Snapshot, VoteMessage } from './types.ts';
import { entrySize } from './types.ts';
import type { ResolvedConfig, RaftConfig } from './config.ts';
import { resolveConfig } from './config.ts';
import type { RandomSource } from './random.ts';
import { RaftLog } from './log.ts';
import { ProgressTracker } from './tracker.ts';
import { ReadOnly } from './read-only.ts';
import type { ConfState } from './types.ts';
import { invariant } from './errors.ts';
import { stepFollower } from './follower.ts';
import { stepCandidate } from './candidate.ts';
import { stepLeader, bcastAppend, sendTimeoutNow, releasePendingReadIndex } from './leader.ts';

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';
export type CampaignKind = 'pre-election' | 'election' | 'transfer';

/** A forwarded ReadIndex waiting for the leader's first commit in its term. */
export interface PendingRead {
  readonly from: NodeId;
  readonly context: Uint8Array;
}

const emptyBytes = new Uint8Array(0);

export class Raft {
  readonly id: NodeId;
  readonly cfg: ResolvedConfig;
  readonly log: RaftLog;
  readonly trk: ProgressTracker;
  readonly readOnly = new ReadOnly();
  private readonly random: RandomSource;

  term = 0;
  vote: NodeId | null = null;
  lead: NodeId | null = null;
  role: Role = 'follower';
  isLearner = false;
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  leadTransferee: NodeId | null = null;
  /** Index of the latest conf change the leader appended; no new one until it is applied. */
  pendingConfIndex = 0;
  /** Bytes of entries appended by this leader and not yet applied (backpressure). */
  uncommittedSize = 0;
  /** ReadIndex requests that wait for the first commit of this term; capped by maxPendingReadIndex. */
  pendingReads: PendingRead[] = [];
  /** Outgoing messages; drained by every Ready. */
  msgs: Message[] = [];
  /** Answered ReadIndex requests; drained by every Ready. */
  readStates: ReadState[] = [];
  /** A timeout-now arrived while a committed conf change was unapplied: campaign once it is applied. */
  transferCampaignPending = false;
  /** The leader defers appends so that proposals between two Readys travel in one message. */
  needBroadcast = false;
  /** Ticks until an early campaign after the leader's link was lost (null: none planned). */
  earlyCampaignIn: number | null = null;
  /**
   * This node was told of a commit beyond its log: it lost entries it had
   * acknowledged. Until its log reaches this index again it neither votes nor
   * campaigns (its shorter log could let a candidate without committed entries win).
   */
  lostUpTo = 0;

  constructor(config: RaftConfig) {
    this.cfg = resolveConfig(config);
    this.id = this.cfg.id;
    this.random = config.random;
    this.log = new RaftLog(config.storage, config.applied);
    this.trk = new ProgressTracker(this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes);
    const { hardState, confState } = config.storage.initialState();
    this.trk.applyConfState(confState, this.log.lastIndex() + 1);
    this.isLearner = this.trk.progress.get(this.id)?.isLearner ?? false;
    if (hardState.commit > this.log.lastIndex()) {
      throw invariant(`stored commit ${hardState.commit} is beyond the last index ${this.log.lastIndex()}`);
    }
    this.log.commitTo(hardState.commit);
    if (this.log.applied > this.log.committed) this.log.applied = this.log.committed;
    this.term = hardState.term;
    this.vote = hardState.vote;
    this.becomeFollower(this.term, null);
  }

  // ---- roles ----

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = null;
    }
    this.lead = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTicks + this.random.nextInt(this.cfg.electionTicks);
    this.leadTransferee = null;
    this.trk.resetVotes();
    const last = this.log.lastIndex();
    // With a parallel leader write only what is already durable counts as our own match.
    const ownMatch = this.cfg.parallelLeaderWrite ? this.log.lastStableIndex() : last;
    for (const [id, pr] of this.trk.progress) {
      pr.becomeProbe();
      pr.match = id === this.id ? ownMatch : 0;
      pr.next = last + 1;
      pr.recentActive = false;
    }
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly.reset();
    this.pendingReads = [];
    this.needBroadcast = false;
    this.transferCampaignPending = false;
    this.earlyCampaignIn = null;
  }

  becomeFollower(term: number, lead: NodeId | null): void {
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
  }

  becomePreCandidate(): void {
    if (this.role === 'leader') throw invariant('leader cannot become pre-candidate');
    // Pre-vote changes neither term nor vote: a lost pre-election leaves no trace.
    this.trk.resetVotes();
    this.lead = null;
    this.role = 'pre-candidate';
  }

  becomeCandidate(): void {
    if (this.role === 'leader') throw invariant('leader cannot become candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  becomeLeader(): void {
    if (this.role === 'follower') throw invariant('follower cannot become leader');
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    const self = this.trk.progress.get(this.id);
    if (self) {
      self.becomeReplicate();
      self.recentActive = true;
    }
    // No conf change until everything before this term is applied (one-at-a-time safety fix).
    this.pendingConfIndex = this.log.lastIndex();
    // Raft §5.4.2 / §8: commit an entry of our own term so earlier ones commit and ReadIndex can start.
    if (!this.appendEntries([{ type: 'normal', data: emptyBytes }])) throw invariant('empty entry refused');
  }

  promotable(): boolean {
    const pr = this.trk.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.log.unstable.snapshot && !this.missingAcknowledged();
  }

  lostEntriesUpTo(index: number): void {
    this.lostUpTo = Math.max(this.lostUpTo, index);
  }

  /** Whether entries this node acknowledged are still missing from its log. */
  missingAcknowledged(): boolean {
    if (this.lostUpTo === 0) return false;
    if (this.log.lastIndex() >= this.lostUpTo) this.lostUpTo = 0;
    return this.lostUpTo !== 0;
  }

  // ---- time ----

  tick(): void {
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.earlyCampaignIn !== null && --this.earlyCampaignIn <= 0) {
      this.earlyCampaignIn = null;
      if (this.promotable() && this.lead === null) {
        this.electionElapsed = 0;
        this.hup(this.cfg.preVote ? 'pre-election' : 'election');
        return;
      }
    }
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(this.cfg.preVote ? 'pre-election' : 'election');
    }
  }

  /**
   * The transport lost its link to our leader (its connection closed, or went
   * silent): forget the leader, which ends our lease with it (we grant
   * pre-votes again), and campaign soon instead of after a whole election
   * timeout. Voters go in the order of their ids, two ticks apart, so that
   * when the leader's process died and everyone noticed at once they do not
   * split the vote. Only pre-vote makes this harmless: if the leader is alive
   * and the others hear it, they refuse our pre-vote and its next heartbeat
   * makes us its follower again.
   */
  leaderUnreachable(): void {
    if (this.role !== 'follower' || this.lead === null || !this.cfg.preVote) return;
    const gone = this.lead;
    this.lead = null;
    const voters = this.trk.voters().filter((v) => v !== gone).sort();
    const rank = voters.indexOf(this.id);
    if (rank >= 0) this.earlyCampaignIn = 1 + 2 * rank;
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) {
        if (!this.trk.quorumActive(this.id)) {
          this.becomeFollower(this.term, null);
          return;
        }
        for (const [id, pr] of this.trk.progress) if (id !== this.id) pr.recentActive = false;
      }
      // A transfer that did not finish within an election timeout is abandoned; a leader
      // that is no longer a voter (its hand-over did not finish) steps down.
      this.leadTransferee = null;
      if (!this.trk.isVoter(this.id)) {
        this.becomeFollower(this.term, null);
        return;
      }
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat(this.readOnly.pendingRound);
    }
  }

  // ---- elections ----

  hup(kind: CampaignKind): void {
    if (this.role === 'leader' || !this.promotable()) return;
    // A conf change that is committed but not applied could change who may vote: wait for it.
    if (this.hasUnappliedConfChanges()) {
      if (kind === 'transfer') this.transferCampaignPending = true;
      return;
    }
    this.campaign(kind);
  }

  /** Called after the caller applied entries (advance). */
  afterApplied(): void {
    if (this.transferCampaignPending && !this.hasUnappliedConfChanges()) {
      this.transferCampaignPending = false;
      this.hup('transfer');
    }
  }

  private hasUnappliedConfChanges(): boolean {
    if (this.log.applied >= this.log.committed) return false;
    try {
      const ents = this.log.slice(this.log.applied + 1, this.log.committed + 1, Number.MAX_SAFE_INTEGER);
      return ents.some((e) => e.type === 'conf-change');
    } catch {
      return true;
    }
  }

  campaign(kind: CampaignKind): void {
    let term: number;
    let type: VoteMessage['type'];
    if (kind === 'pre-election') {
      this.becomePreCandidate();
      type = 'pre-vote';
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      type = 'vote';
      term = this.term;
    }
    if (this.poll(this.id, true) === 'won') {
      if (kind === 'pre-election') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    const index = this.log.lastIndex();
    const logTerm = this.log.lastTerm();
    for (const to of this.trk.voters()) {
      if (to === this.id) continue;
      this.send({ type, from: this.id, to, term, logTerm, index, transfer: kind === 'transfer' });
    }
  }

  poll(from: NodeId, granted: boolean): 'won' | 'lost' | 'pending' {
    this.trk.recordVote(from, granted);
    return this.trk.voteResult();
  }

  // ---- the common message rules (Raft §5.1: terms) ----

  step(m: Message): void {
    if (m.term === 0) {
      // Forwarded requests (propose, read-index, transfer-leader) carry no term.
    } else if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'pre-vote') {
        const inLease = this.cfg.checkQuorum && this.lead !== null && this.electionElapsed < this.cfg.electionTicks;
        // Thesis §4.2.3: while a leader is heard from, ignore disruptive candidates (unless a transfer asked for it).
        if (!m.transfer && inLease) return;
      }
      if (m.type === 'pre-vote' || (m.type === 'pre-vote-response' && !m.reject)) {
        // A pre-vote never changes our term; a granted pre-vote response carries the future term.
      } else if (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, null);
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'heartbeat' || m.type === 'append')) {
        // Tell a stale leader about the newer term so it steps down instead of lingering.
        this.send({
          type: 'append-response', from: this.id, to: m.from, term: this.term,
          index: 0, reject: false, rejectHint: 0, logTerm: 0,
        });
      } else if (m.type === 'pre-vote') {
        this.send({ type: 'pre-vote-response', from: this.id, to: m.from, term: this.term, reject: true });
      }
      return;
    }

    if (m.type === 'vote' || m.type === 'pre-vote') {
      this.handleVote(m);
      return;
    }
    switch (this.role) {
      case 'leader':
        stepLeader(this, m);
        break;
      case 'candidate':
      case 'pre-candidate':
        stepCandidate(this, m);
        break;
      case 'follower':
        stepFollower(this, m);
        break;
    }
  }

  /** Raft §5.2 and §5.4.1: one vote per term, only for a candidate whose log is at least as up to date. */
  private handleVote(m: VoteMessage): void {
    const canVote =
      this.vote === m.from ||
      (this.vote === null && this.lead === null) ||
      (m.type === 'pre-vote' && m.term > this.term);
    const upToDate = this.cfg.bugs.voteWithoutLogCheck === true || (this.log.isUpToDate(m.index, m.logTerm) && !this.missingAcknowledged());
    const respType = m.type === 'vote' ? 'vote-response' : 'pre-vote-response';
    if (canVote && upToDate) {
      this.send({ type: respType, from: this.id, to: m.from, term: m.term, reject: false });
      if (m.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: respType, from: this.id, to: m.from, term: this.term, reject: true });
    }
  }

  // ---- log helpers used by several roles ----

  /** Leader: append new entries of the current term; false when the uncommitted cap refuses them. */
  appendEntries(items: readonly { type: EntryType; data: Uint8Array }[]): boolean {
    let size = 0;
    for (const it of items) size += it.data.byteLength + 16;
    const max = this.cfg.maxUncommittedEntriesSize;
    if (max > 0 && this.uncommittedSize > 0 && this.uncommittedSize + size > max) return false;
    this.uncommittedSize += size;
    let index = this.log.lastIndex();
    const ents: Entry[] = new Array<Entry>(items.length);
    for (let i = 0; i < items.length; i++) {
      const it = items[i] as { type: EntryType; data: Uint8Array };
      ents[i] = { term: this.term, index: ++index, type: it.type, data: it.data };
    }
    const last = this.log.append(ents);
    // Persisting before sending, the leader may count its own entries at once; with a
    // parallel write it counts them in persistedTo, once they are durable (thesis §10.2.1).
    if (!this.cfg.parallelLeaderWrite) this.trk.progress.get(this.id)?.maybeUpdate(last);
    this.maybeCommit();
    this.needBroadcast = true;
    return true;
  }

  /** The caller persisted the log up to `index` (of `term`): a leader now counts it toward commit. */
  persistedTo(index: number, term: number): void {
    if (this.role !== 'leader' || this.log.term(index) !== term) return;
    if (this.trk.progress.get(this.id)?.maybeUpdate(index)) this.maybeCommit();
  }

  reduceUncommittedSize(ents: readonly Entry[]): void {
    if (this.uncommittedSize === 0) return;
    let size = 0;
    for (const e of ents) size += entrySize(e);
    this.uncommittedSize = Math.max(0, this.uncommittedSize - size);
  }

  /** Leader: advance the commit index to what a quorum stores (Raft §5.3, §5.4.2). */
  maybeCommit(): boolean {
    const before = this.log.committed;
    const mci = this.trk.committed();
    if (!this.log.maybeCommit(mci, this.term, this.cfg.bugs.commitPreviousTermByCounting === true)) return false;
    this.needBroadcast = true;
    // ReadIndex waits for the first commit of this term (thesis §6.4 step 1).
    if (before < this.log.committed && this.committedEntryInCurrentTerm()) releasePendingReadIndex(this);
    return true;
  }

  committedEntryInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  flushBroadcast(): void {
    if (this.needBroadcast && this.role === 'leader') bcastAppend(this);
    this.needBroadcast = false;
  }

  /** `readRound`: the ReadIndex round this broadcast confirms (0 when no read waits). */
  bcastHeartbeat(readRound: number): void {
    for (const id of this.trk.progress.keys()) if (id !== this.id) this.sendHeartbeat(id, readRound);
  }

  sendHeartbeat(to: NodeId, readRound: number): void {
    const pr = this.trk.progress.get(to);
    if (!pr) return;
    this.send({
      type: 'heartbeat', from: this.id, to, term: this.term,
      commit: Math.min(pr.match, this.log.committed), readRound,
    });
  }

  send(m: Message): void {
    this.msgs.push(m);
  }

  /**
   * The leader was removed or demoted: hand leadership to the most up-to-date voter of the
   * new configuration without waiting for an election. When that voter already holds the
   * whole log it gets timeout-now at once and this node steps down; otherwise this node
   * keeps leading (taking no proposals) and catches it up first: timeout-now leaves when
   * its match reaches the last index (handleAppendResponse), and this node steps down when
   * the new leader's term reaches it, or after one election timeout (tickHeartbeat).
   */
  private handOver(): void {
    let best: NodeId | null = null;
    let bestMatch = -1;
    for (const id of this.trk.voters()) {
      const pr = this.trk.progress.get(id);
      if (id !== this.id && pr && pr.match > bestMatch) {
        best = id;
        bestMatch = pr.match;
      }
    }
    if (best !== null && bestMatch === this.log.lastIndex()) sendTimeoutNow(this, best);
    if (best === null || bestMatch === this.log.lastIndex()) {
      this.becomeFollower(this.term, null);
      return;
    }
    this.leadTransferee = best;
    this.electionElapsed = 0;
    // The quorum changed: the commit index may move; the transferee gets what it lacks now.
    this.maybeCommit();
    this.needBroadcast = true;
  }

  // ---- snapshots and membership ----

  /** Follower: install a snapshot from the leader; false when it brings nothing new. */
  restore(s: Snapshot): boolean {
    const { index, term } = s.metadata;
    if (index <= this.log.committed) return false;
    if (this.log.matchTerm(index, term)) {
      // We already hold the snapshot's last entry: just move the commit index (log matching §5.3).
      this.log.commitTo(index);
      return false;
    }
    this.log.restore(s);
    this.trk.applyConfState(s.metadata.confState, this.log.lastIndex() + 1);
    this.isLearner = this.trk.progress.get(this.id)?.isLearner ?? false;
    return true;
  }

  switchToConfig(cs: ConfState): void {
    this.trk.applyConfState(cs, this.log.lastIndex() + 1);
    const self = this.trk.progress.get(this.id);
    this.isLearner = self?.isLearner ?? false;
    if (this.role !== 'leader') return;
    if (!self || self.isLearner) {
      this.handOver();
      return;
    }
    // The quorum changed: the commit index may move, new members need probing.
    this.maybeCommit();
    this.needBroadcast = true;
    if (this.leadTransferee !== null && !this.trk.isVoter(this.leadTransferee)) this.leadTransferee = null;
  }
}
