// RaftNode: the public face of the core. Feed it ticks, messages and requests; collect Ready batches.
import { DropCounters, checkSender, type DropReason, type ReceiverView } from './sender-check.ts';
import type { ConfState, Entry, HardState, Message, NodeId, ReadState, Snapshot } from './types.ts';
import { RaftError } from './types.ts';
import type { RaftConfig } from './config.ts';
import { Raft, type Role } from './raft.ts';
import { RaftErrorCode, proposalDropped } from './errors.ts';
import type { ProgressState } from './progress.ts';
import { applyConfChangeToState, encodeConfChange, type ConfChange, leaveJointConfChange } from './conf-change.ts';
import { confChangeAllowed, handleReadIndex, handleTransfer, maybeSendAppend } from './leader.ts';

export interface SoftState {
  readonly leader: NodeId | null;
  readonly role: Role;
}

/**
 * One batch of work for the caller. Handle it in this order:
 * 1. persist `snapshot`, `entries` (replacing any stored entries from the
 *    first one's index on) and `hardState`; fsync when `mustSync`;
 * 2. only then send `messages` (persist-before-send: a vote or an
 *    acknowledgement must never leave before what it promises is durable);
 *    `earlyMessages` (parallelLeaderWrite: the leader's appends and
 *    heartbeats) may be sent before step 1 or while it runs;
 * 3. install `snapshot` into the state machine, then apply
 *    `committedEntries` in order (call applyConfChange for conf-change entries);
 * 4. serve `readStates` once the state machine has applied `index`;
 * 5. call advance(ready). ready() may not be called again before that.
 */
export interface Ready {
  /** Present when leader or role changed. */
  readonly softState?: SoftState;
  /** Present when term, vote or commit changed. */
  readonly hardState?: HardState;
  readonly entries: readonly Entry[];
  readonly snapshot?: Snapshot;
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  /** May leave before this Ready is persisted; empty unless parallelLeaderWrite. */
  readonly earlyMessages: readonly Message[];
  readonly readStates: readonly ReadState[];
  /** Term, vote or entries changed: write with fsync before sending. */
  readonly mustSync: boolean;
}

export interface PeerStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly learner: boolean;
  readonly recentActive: boolean;
  readonly inflight: number;
  readonly inflightBytes: number;
  readonly pendingSnapshot: number;
  /** Times the peer was found holding less than it had acknowledged (a damaged log). */
  readonly regressions: number;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly role: Role;
  readonly term: number;
  readonly vote: NodeId | null;
  readonly leader: NodeId | null;
  readonly commit: number;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly confState: ConfState;
  readonly leadTransferee: NodeId | null;
  readonly uncommittedBytes: number;
  /** Entries this node acknowledged and lost are missing up to this index (0: none); it does not vote meanwhile. */
  readonly missingAcknowledgedUpTo: number;
  /** Leader: a membership change (or its first entry of the term) is not applied yet, so no new change is taken. */
  readonly confChangePending: boolean;
  /** Per-peer replication progress; only the leader has it (empty otherwise). */
  readonly progress: Readonly<Record<NodeId, PeerStatus>>;
}

export class RaftNode {
  /** The protocol state; exposed for tests and the simulation, not for applications. */
  readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;
  private outstanding = false;

  /** Starts (or restarts) from what config.storage holds. */
  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoft = { leader: this.raft.lead, role: this.raft.role };
    this.prevHard = this.hardState();
  }

  get id(): NodeId {
    return this.raft.id;
  }

  /** Advance logical time by one tick (elections, heartbeats, check-quorum). */
  tick(): void {
    this.raft.tick();
  }

  /** Start an election now (pre-vote first when enabled). */
  campaign(): void {
    const r = this.raft;
    r.hup(r.cfg.preVote ? 'pre-election' : 'election');
  }

  /** Hand a message from the network to the core. Malformed or stale messages are ignored. */
  step(m: Message): void {
    if (m.to !== this.raft.id || m.from === this.raft.id) return;
    const refused = checkSender(this.view, m);
    if (refused !== null) {
      this.dropped.count(refused);
      this.lastDrop = { reason: refused, type: m.type, from: m.from, term: m.term };
      return;
    }
    // Proposals, reads and transfers from the network arrive only as forwarded requests.
    this.raft.step(m);
  }

  /** Messages refused by checkSender, by reason; the last one for the log. */
  readonly dropped = new DropCounters();
  lastDrop: { readonly reason: DropReason; readonly type: Message['type']; readonly from: NodeId; readonly term: number } | null = null;

  /** The receiving side as checkSender sees it (one object, read live: no allocation per message). */
  private readonly view: ReceiverView = ((node: RaftNode): ReceiverView => ({
    get term() { return node.raft.term; },
    get lead() { return node.raft.lead; },
    get isLeader() { return node.raft.role === 'leader'; },
    get knowsNoConfiguration() { return node.raft.trk.progress.size === 0; },
    get inLeaderLease() { return node.raft.role === 'leader' || (node.raft.lead !== null && node.raft.electionElapsed < node.raft.cfg.electionTicks); },
    isVoter: (id) => node.raft.trk.isVoter(id),
    isMember: (id) => node.raft.trk.progress.has(id),
  }))(this);

  /**
   * Propose a command. Throws RAFT_PROPOSAL_DROPPED without a leader or during
   * a leadership transfer, RAFT_TOO_MANY_UNCOMMITTED when the leader's
   * uncommitted cap is reached. Acceptance is not commitment: watch committed entries.
   * Returns the leader a follower forwarded it to (null: this node leads and appended it).
   * A forwarded proposal is fire-and-forget: a leader that is handing over or has just
   * stepped down drops it without an answer, so the caller may send it again to the next
   * leader (commands carry request ids; the state machine applies a request id once).
   */
  propose(data: Uint8Array): NodeId | null {
    return this.proposeEntries([{ type: 'normal', data }]);
  }

  /** Propose several commands at once (one append message instead of many). */
  proposeBatch(datas: readonly Uint8Array[]): void {
    this.proposeEntries(datas.map((data) => ({ type: 'normal' as const, data })));
  }

  /**
   * Propose a membership change. On the leader it throws RAFT_CONF_CHANGE_PENDING
   * while an earlier change (or the leader's first entry of its term) is not applied,
   * and RAFT_INVALID_CONF_CHANGE when cc does not fit the current configuration.
   */
  proposeConfChange(cc: ConfChange): void {
    const r = this.raft;
    const data = encodeConfChange(cc);
    if (r.role === 'leader') {
      if (r.pendingConfIndex > r.log.applied) {
        throw new RaftError(RaftErrorCode.confChangePending, 'a configuration change is still pending');
      }
      applyConfChangeToState(r.trk.confState(), cc); // throws when invalid
      if (!confChangeAllowed(r, data)) throw new RaftError(RaftErrorCode.invalidConfChange, 'conf change refused');
    }
    this.proposeEntries([{ type: 'conf-change', data }]);
    if (r.role === 'leader') r.pendingConfIndex = r.log.lastIndex();
  }

  /** Appends on the leader (null) or forwards to the leader (its id). */
  private proposeEntries(items: readonly { type: 'normal' | 'conf-change'; data: Uint8Array }[]): NodeId | null {
    const r = this.raft;
    if (r.role === 'leader') {
      if (r.leadTransferee !== null) throw proposalDropped(`leadership transfer to ${r.leadTransferee} in progress`);
      if (!r.appendEntries(items)) {
        throw new RaftError(RaftErrorCode.tooManyUncommitted, 'too many uncommitted entries; retry later');
      }
      return null;
    }
    if (r.lead === null || r.role !== 'follower') throw proposalDropped('no leader');
    const entries: Entry[] = items.map((it) => ({ term: 0, index: 0, type: it.type, data: it.data }));
    r.send({ type: 'propose', from: r.id, to: r.lead, term: 0, entries });
    return r.lead;
  }

  /**
   * Ask for a linearizable read point. The answer arrives as a ReadState with
   * the same context (unique per request) in a later Ready.
   */
  readIndex(context: Uint8Array): void {
    const r = this.raft;
    if (r.role === 'leader') {
      if (!handleReadIndex(r, r.id, context)) throw proposalDropped('too many pending reads');
      return;
    }
    if (r.lead === null || r.role !== 'follower') throw proposalDropped('no leader for read');
    r.send({ type: 'read-index', from: r.id, to: r.lead, term: 0, context });
  }

  /** Ask the leader to hand leadership to `to` (a voter). */
  transferLeadership(to: NodeId): void {
    const r = this.raft;
    if (r.role === 'leader') {
      const pr = r.trk.progress.get(to);
      if (!pr || pr.isLearner) throw new RaftError(RaftErrorCode.transferRejected, `${to} is not a voter`);
      handleTransfer(r, to);
      return;
    }
    if (r.lead === null) throw proposalDropped('no leader to transfer from');
    r.send({ type: 'transfer-leader', from: r.id, to: r.lead, term: 0, transferee: to });
  }

  /**
   * Apply a committed conf-change entry's change. Returns the new configuration.
   * A change that is invalid for the current configuration is ignored (the same
   * way on every node) and the unchanged configuration is returned.
   */
  applyConfChange(cc: ConfChange): ConfState {
    const r = this.raft;
    let next: ConfState;
    try {
      next = applyConfChangeToState(r.trk.confState(), cc);
    } catch {
      return r.trk.confState();
    }
    r.switchToConfig(next);
    return next;
  }

  /**
   * The transport could not reach `id`. A leader stops pipelining to it; a
   * follower that lost its leader forgets it and campaigns soon (see
   * Raft.leaderUnreachable).
   */
  reportUnreachable(id: NodeId): void {
    const r = this.raft;
    const pr = r.trk.progress.get(id);
    if (r.role === 'leader' && pr && pr.state === 'replicate') pr.becomeProbe();
    if (r.role === 'follower' && r.lead === id) r.leaderUnreachable();
  }

  /**
   * The transport has a working link to `id` again (a new connection): a
   * leader probes it at once instead of waiting for its next heartbeat, so a
   * board back from a partition rejoins within a round trip.
   */
  reportReachable(id: NodeId): void {
    const r = this.raft;
    const pr = r.trk.progress.get(id);
    if (r.role !== 'leader' || !pr || id === r.id) return;
    if (pr.state === 'probe') pr.probeSent = false;
    r.sendHeartbeat(id, 0);
    maybeSendAppend(r, id, false);
  }

  /** Must be called after every snapshot message was sent (ok) or failed to send. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    const pr = this.raft.trk.progress.get(id);
    if (this.raft.role !== 'leader' || !pr || pr.state !== 'snapshot') return;
    if (!ok) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    // Wait for the follower's answer or the next heartbeat before probing again.
    pr.probeSent = true;
  }

  private hardState(): HardState {
    const r = this.raft;
    return { term: r.term, vote: r.vote, commit: r.log.committed };
  }

  hasReady(): boolean {
    const r = this.raft;
    if (this.outstanding) return false;
    r.flushBroadcast();
    if (r.msgs.length > 0 || r.readStates.length > 0) return true;
    if (r.log.unstable.snapshot || r.log.unstable.entries.length > 0) return true;
    if (r.lead !== this.prevSoft.leader || r.role !== this.prevSoft.role) return true;
    const h = this.prevHard;
    if (r.term !== h.term || r.vote !== h.vote || r.log.committed !== h.commit) return true;
    return r.log.hasNextCommittedEntries(r.cfg.bugs.applyBeforeCommit === true);
  }

  ready(): Ready {
    const r = this.raft;
    if (this.outstanding) throw new RaftError(RaftErrorCode.readyNotAdvanced, 'advance() the previous Ready first');
    r.flushBroadcast();
    const h = this.prevHard;
    const hardChanged = r.term !== h.term || r.vote !== h.vote || r.log.committed !== h.commit;
    const softChanged = r.lead !== this.prevSoft.leader || r.role !== this.prevSoft.role;
    const entries = r.log.unstable.entries.slice();
    const snapshot = r.log.unstable.snapshot;
    const [earlyMessages, messages] = this.splitEarly(r.msgs);
    const rd: Ready = {
      ...(softChanged ? { softState: { leader: r.lead, role: r.role } } : {}),
      ...(hardChanged ? { hardState: this.hardState() } : {}),
      entries,
      ...(snapshot ? { snapshot } : {}),
      committedEntries: r.log.nextCommittedEntries(
        r.cfg.maxCommittedSizePerReady,
        r.cfg.bugs.applyBeforeCommit === true,
      ),
      messages,
      earlyMessages,
      readStates: r.readStates,
      mustSync: r.term !== h.term || r.vote !== h.vote || entries.length > 0 || snapshot !== undefined,
    };
    r.msgs = [];
    r.readStates = [];
    this.outstanding = true;
    return rd;
  }

  /**
   * With a parallel leader write, the leader's appends and heartbeats may leave
   * before the Ready is persisted, but only once its term is durable (the last
   * persisted hard state has it): entries of a term the leader could forget in a
   * crash must never reach a follower. Their commit index counts only persisted
   * entries (see Raft.persistedTo). Everything else keeps persist-before-send.
   */
  private splitEarly(msgs: Message[]): [Message[], Message[]] {
    const r = this.raft;
    if (!r.cfg.parallelLeaderWrite || r.role !== 'leader' || this.prevHard.term !== r.term) return [[], msgs];
    const early: Message[] = [];
    const late: Message[] = [];
    for (const m of msgs) (m.type === 'append' || m.type === 'heartbeat' ? early : late).push(m);
    return [early, late];
  }

  /** The caller finished a Ready: its entries are durable and its committed entries applied. */
  advance(rd: Ready): void {
    const r = this.raft;
    if (!this.outstanding) return;
    this.outstanding = false;
    if (rd.softState) this.prevSoft = rd.softState;
    if (rd.hardState) this.prevHard = rd.hardState;
    const lastEntry = rd.entries[rd.entries.length - 1];
    if (lastEntry) {
      r.log.unstable.stableTo(lastEntry.index, lastEntry.term);
      if (r.cfg.parallelLeaderWrite) r.persistedTo(lastEntry.index, lastEntry.term);
    }
    if (rd.snapshot) {
      r.log.unstable.stableSnapTo(rd.snapshot.metadata.index);
      r.log.appliedTo(rd.snapshot.metadata.index);
    }
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied) {
      r.log.appliedTo(lastApplied.index);
      if (r.role === 'leader') r.reduceUncommittedSize(rd.committedEntries);
    }
    r.afterApplied();
    this.maybeAutoLeaveJoint();
  }

  /** A joint configuration entered with autoLeave is left by the leader once it is applied. */
  private maybeAutoLeaveJoint(): void {
    const r = this.raft;
    if (r.role !== 'leader' || !r.trk.autoLeave || !r.trk.isJoint()) return;
    if (r.pendingConfIndex > r.log.applied || r.leadTransferee !== null) return;
    if (r.appendEntries([{ type: 'conf-change', data: encodeConfChange(leaveJointConfChange) }])) {
      r.pendingConfIndex = r.log.lastIndex();
    }
  }

  status(): RaftStatus {
    const r = this.raft;
    const progress: Record<NodeId, PeerStatus> = {};
    if (r.role === 'leader') {
      for (const [id, pr] of r.trk.progress) {
        progress[id] = {
          match: pr.match, next: pr.next, state: pr.state, learner: pr.isLearner,
          recentActive: pr.recentActive, inflight: pr.inflights.count,
          inflightBytes: pr.inflights.bytes, pendingSnapshot: pr.pendingSnapshot, regressions: pr.regressions,
        };
      }
    }
    return {
      id: r.id, role: r.role, term: r.term, vote: r.vote, leader: r.lead,
      commit: r.log.committed, applied: r.log.applied,
      firstIndex: r.log.firstIndex(), lastIndex: r.log.lastIndex(),
      confState: r.trk.confState(), leadTransferee: r.leadTransferee,
      uncommittedBytes: r.uncommittedSize, missingAcknowledgedUpTo: r.missingAcknowledged() ? r.lostUpTo : 0,
      confChangePending: r.role === 'leader' && r.pendingConfIndex > r.log.applied, progress,
    };
  }
}
