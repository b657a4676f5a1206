// Autopilot on a board: while this board leads, once a second it observes the members (the
// core's progress, the transport's last contact, the telemetry's domains), asks the policy
// (autopilot.ts) for at most one change, and proposes it through the ordinary membership
// path, waiting for it to apply before the next. A new leader starts from its own
// observations. Every action is logged once at info with its reason, kept in a bounded list
// of recent decisions (status) and published on raftlight/<cluster>/autopilot.
import { randomUUID } from 'node:crypto';
import type { ConfChange, RaftStatus } from '../raft/index.ts';
import { ApiError } from '../api/errors.ts';
import {
  AutopilotTracker, assess, seatHolder,
  type AutopilotAction, type AutopilotAssessment, type AutopilotChange, type AutopilotBugs, type AutopilotObservation, type AutopilotSettings,
} from './autopilot.ts';
import type { Logger } from './log.ts';
import { encodeMemberContext } from './members.ts';
import type { RaftLoop } from './raft-loop.ts';
import type { MemberHealth } from './telemetry-leader.ts';
import type { ProposalWaiters } from './waiters.ts';

/** The policy runs this often on the leader. */
export const AUTOPILOT_INTERVAL_MS = 1_000;
/** Recent decisions kept for status (the caps table in docs/architecture.md). */
export const MAX_AUTOPILOT_DECISIONS = 32;
/** A stopping voter waits this long for its seat to be handed over, then leaves anyway. */
export const SEAT_HANDOVER_MS = 5_000;

export interface AutopilotDecision {
  readonly at: string;
  readonly term: number;
  readonly action: AutopilotAction;
  readonly member: string;
  /** swap: the external board that takes the seat. */
  readonly with?: string;
  readonly reason: string;
  readonly outcome: 'done' | 'failed';
  readonly revision?: number;
  readonly error?: string;
}

export interface AutopilotRunnerDeps {
  readonly self: string;
  readonly settings: AutopilotSettings;
  status(): RaftStatus;
  /** Per member health as the leader's telemetry sees it (empty when not leading). */
  health(): readonly MemberHealth[];
  /** Proposes a membership change and resolves with its revision once it is applied here. */
  propose(cc: ConfChange): Promise<number>;
  /** Asks the leader to hand this board's seat over (a side message); false without a leader. */
  requestSeatRelease(): boolean;
  publish(decision: AutopilotDecision): void;
  readonly log: Logger;
  now?: () => number;
  /** Member ids whose board came back as a new incarnation (their entries are dead). */
  superseded?: () => ReadonlySet<string>;
  /** TEST ONLY. */
  readonly bugs?: AutopilotBugs;
}

export class AutopilotRunner {
  private tracker: AutopilotTracker | null = null;
  private term = 0;
  private inFlight = false;
  private last: AutopilotAssessment | null = null;
  private readonly decisions: AutopilotDecision[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly d: AutopilotRunnerDeps) {
    this.now = d.now ?? (() => performance.now());
  }

  start(): void {
    this.timer = setInterval(() => this.round(), AUTOPILOT_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round: observe, assess, and carry out at most one change. */
  round(): void {
    const o = this.observe();
    if (o === null) return;
    const a = assess(o, this.d.settings, this.tracker!, this.d.bugs);
    this.last = a;
    if (a.change === null) return;
    void this.carryOut({ ...a.change }, changeOf(a.change));
  }

  /** The leader: a voter is stopping and asks for its seat to go to a healthy external board. */
  releaseSeat(from: string): void {
    const o = this.observe();
    if (o === null || !this.d.settings.enabled) return;
    const holder = seatHolder(o, this.d.settings, this.tracker!, from);
    if (holder === null) {
      this.d.log.info('autopilot: a stopping voter asked for its seat to be handed over; no external board is eligible', { voter: from });
      return;
    }
    void this.carryOut(
      { action: 'swap', member: from, with: holder, reason: `${from} is stopping: ${holder} takes its seat (one joint change)` },
      { transition: 'auto', changes: [{ kind: 'add-voter', node: holder }, { kind: 'add-learner', node: from }] },
    );
  }

  /**
   * This board is stopping (SIGTERM): with autopilot on, a voter asks for its seat to be handed
   * to a healthy external board and waits (bounded) until it is no longer an incoming voter.
   */
  async handSeatOver(): Promise<void> {
    const s = this.d.status();
    if (!this.d.settings.enabled || !s.confState.voters.includes(this.d.self) || s.confState.voters.length < 2) return;
    if (s.role === 'leader') this.releaseSeat(this.d.self);
    else if (!this.d.requestSeatRelease()) return;
    const deadline = this.now() + SEAT_HANDOVER_MS;
    while (this.now() < deadline && this.d.status().confState.voters.includes(this.d.self)) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const handed = !this.d.status().confState.voters.includes(this.d.self);
    this.d.log.info('autopilot: seat hand-over before stopping', { handedOver: handed });
  }

  /** What status shows: the assessment of the last round and the recent decisions. */
  view(): Record<string, unknown> {
    const a = this.last;
    const st = this.d.settings;
    return {
      enabled: st.enabled,
      settings: {
        targetVoters: st.targetVoters, stabilisationMs: st.stabilisationMs, catchUpEntries: st.catchUpEntries,
        deadVoterMs: st.deadVoterMs, removeAfterMs: st.removeAfterMs,
      },
      active: a !== null,
      ...(a !== null ? { wantedVoters: a.wantedVoters, healthyVoters: a.healthyVoters, waiting: a.waiting, members: a.members } : {}),
      changing: this.inFlight,
      decisions: [...this.decisions],
    };
  }

  private observe(): AutopilotObservation | null {
    const s = this.d.status();
    if (s.role !== 'leader') {
      this.tracker = null;
      this.last = null;
      return null;
    }
    const now = this.now();
    if (this.tracker === null || this.term !== s.term) {
      this.tracker = new AutopilotTracker(now);
      this.term = s.term;
    }
    const superseded = this.d.superseded?.() ?? new Set<string>();
    const health = this.d.health();
    return {
      now, self: this.d.self,
      voters: s.confState.voters, externals: s.confState.learners,
      changePending: this.inFlight || s.confChangePending || s.confState.votersOutgoing.length > 0,
      members: health.map((h) => ({
        id: h.id, domain: h.figures?.domain ?? null, lastContactMs: h.lastContactMs, lagEntries: h.lagEntries,
        ...(superseded.has(h.id) ? { superseded: true } : {}),
      })),
    };
  }

  private async carryOut(what: Omit<AutopilotDecision, 'at' | 'term' | 'outcome' | 'revision' | 'error'>, cc: ConfChange): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    const term = this.term;
    const at = new Date().toISOString();
    let decision: AutopilotDecision;
    try {
      const revision = await this.d.propose(cc);
      decision = { at, term, ...what, outcome: 'done', revision };
    } catch (err) {
      const e = err as Error;
      // Another change got there first (an operator's): nothing was decided, try again next round.
      if (e instanceof ApiError && e.code === 'CONF_CHANGE_PENDING') {
        this.inFlight = false;
        return;
      }
      decision = { at, term, ...what, outcome: 'failed', error: e instanceof ApiError ? `${e.code}: ${e.message}` : e.message };
    }
    this.inFlight = false;
    this.decisions.push(decision);
    if (this.decisions.length > MAX_AUTOPILOT_DECISIONS) this.decisions.splice(0, this.decisions.length - MAX_AUTOPILOT_DECISIONS);
    this.d.log.info(`autopilot: ${decision.action} ${decision.member}${decision.with ? ` → ${decision.with}` : ''} ${decision.outcome}`, {
      reason: decision.reason, ...(decision.revision !== undefined ? { revision: decision.revision } : {}), ...(decision.error ? { error: decision.error } : {}),
    });
    this.d.publish(decision);
  }
}

/** The membership change that carries out a decision (a swap is one joint change). */
export function changeOf(c: AutopilotChange): ConfChange {
  if (c.action === 'swap') {
    return { transition: 'auto', changes: [{ kind: 'add-voter', node: c.with! }, { kind: 'add-learner', node: c.member }] };
  }
  if (c.action === 'promote' && c.with !== undefined) {
    return { transition: 'auto', changes: [{ kind: 'add-voter', node: c.member }, { kind: 'add-voter', node: c.with }] };
  }
  const kind = c.action === 'promote' ? 'add-voter' : c.action === 'demote' ? 'add-learner' : 'remove-node';
  return { transition: 'auto', changes: [{ kind, node: c.member }] };
}

/** Proposes a membership change through the loop and waits for it to apply (as the REST path does). */
export function confChanger(loop: RaftLoop, proposals: ProposalWaiters): (cc: ConfChange) => Promise<number> {
  return async (cc) => {
    const requestId = `autopilot-${randomUUID()}`;
    const done = proposals.register(requestId);
    const change = { ...cc, context: encodeMemberContext({ requestId, addresses: {} }) };
    if (!loop.submit({ type: 'conf-change', requestId, change })) {
      proposals.fail(requestId, new ApiError('BACKPRESSURE', 429, 'the board is busy or stopping'));
    }
    const outcome = await done;
    if (!outcome.ok) throw new ApiError('MEMBERSHIP_FAILED', 500, `membership change not applied: ${JSON.stringify(outcome)}`);
    return outcome.revision;
  };
}

/** Per member, as /v1/status shows it on the leader: role, domain, contact, match and lag, health and why. */
export function installationView(health: readonly MemberHealth[], s: RaftStatus): Record<string, unknown>[] {
  return health.map((h) => ({
    id: h.id, role: h.role, domain: h.figures?.domain ?? null, health: h.health, reason: h.reason,
    lastContactMs: h.lastContactMs, match: h.id === s.id ? s.lastIndex : s.progress[h.id]?.match ?? null, lagEntries: h.lagEntries,
  }));
}
