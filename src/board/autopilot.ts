// Autopilot's policy: from what the leader observes (the configuration, each member's
// contact, lag and failure domain, the time) it chooses at most one membership change and
// says why. Pure: no timers, no I/O; the leader's runner (autopilot-runner.ts) feeds it and
// carries the change out through the ordinary membership path, one change at a time.
//
// The rules, in the order they are tried (the first that yields a change wins):
//   guard   nothing while a change is pending or the configuration is joint, and nothing
//           without a quorum of healthy voters (in contact and caught up);
//   replace a voter silent for the dead-voter time swaps its seat with the best eligible
//           external board (in contact for the whole stabilisation time and caught up, from
//           the domain with the fewest voters) in one joint change: the new voter is in before
//           the dead one is out, and should the new one fail at once, the old half still commits;
//   grow    fewer voters than wanted and none dead: promote the best eligible board;
//   orphan  a dead voter no board can replace: demote it, but never down to fewer than three
//           voters (that buys no fault tolerance, and it may return);
//   shrink  more voters than wanted, every voter healthy: demote one, from the domain with
//           the most voters (never the leader itself);
//   spread  every voter healthy and the count right, but a domain holds two voters more than
//           a domain with an eligible board: promote there (shrink then demotes from the
//           crowded domain); each such swap makes the spread strictly more even, so it ends;
//   reap    a member silent for the remove-after time: remove it.
// Every change is checked before it is chosen: the healthy voters must still be a quorum of
// the new configuration, and at most one voter leaves per change.
import type { NodeId } from '../raft/index.ts';

export interface AutopilotSettings {
  readonly enabled: boolean;
  /** Voters wanted when enough healthy boards exist; odd. */
  readonly targetVoters: number;
  /** An external board must be in contact this long, continuously, before it is promoted. */
  readonly stabilisationMs: number;
  /** Caught up: at most this many entries behind the leader's last index. */
  readonly catchUpEntries: number;
  /** A voter not heard from for this long is dead and gets replaced. */
  readonly deadVoterMs: number;
  /** A member not heard from for this long is removed entirely; null: never. */
  readonly removeAfterMs: number | null;
  /** Heard from within this long counts as "in contact" (a few heartbeats). */
  readonly contactMs: number;
}

export const defaultAutopilotSettings: AutopilotSettings = {
  enabled: true,
  targetVoters: 5,
  stabilisationMs: 10_000,
  catchUpEntries: 250,
  deadVoterMs: 30_000,
  removeAfterMs: 24 * 3600_000,
  contactMs: 2_000,
};

/** What the leader knows of one member now. */
export interface MemberObservation {
  readonly id: NodeId;
  /** null: the board gave no domain (or has not reported yet). */
  readonly domain: string | null;
  /** Milliseconds since the leader last heard from it; null: never heard from during this leadership. */
  readonly lastContactMs: number | null;
  /** Entries behind the leader's last index; null: unknown. */
  readonly lagEntries: number | null;
  /** The board came back as a new incarnation (it lost its durable state): this entry is dead now. */
  readonly superseded?: boolean;
}

export interface AutopilotObservation {
  /** Monotonic milliseconds. */
  readonly now: number;
  readonly self: NodeId;
  readonly voters: readonly NodeId[];
  readonly externals: readonly NodeId[];
  /** In a joint configuration, or a change proposed and not yet applied. */
  readonly changePending: boolean;
  readonly members: readonly MemberObservation[];
}

export type AutopilotAction = 'promote' | 'demote' | 'remove' | 'swap';

export interface AutopilotChange {
  readonly action: AutopilotAction;
  /** The board promoted, demoted or removed; for a swap, the voter that leaves. */
  readonly member: NodeId;
  /** swap: the external board that takes the seat; promote: a second board promoted in the same joint change. */
  readonly with?: NodeId;
  readonly reason: string;
}

/** What the policy found, even when it changes nothing (shown in status). */
export interface AutopilotAssessment {
  readonly change: AutopilotChange | null;
  /** Why nothing changes (empty when a change is chosen or all is well). */
  readonly waiting: string;
  readonly wantedVoters: number;
  readonly healthyVoters: number;
  readonly members: readonly MemberState[];
}

export type MemberCondition = 'healthy' | 'stabilising' | 'lagging' | 'silent' | 'dead' | 'gone';

export interface MemberState {
  readonly id: NodeId;
  readonly role: 'voter' | 'external';
  readonly domain: string | null;
  readonly condition: MemberCondition;
  readonly why: string;
}

/** TEST ONLY: deliberately broken rules, to prove the simulation's checks catch them. */
export interface AutopilotBugs {
  /** Demote a dead voter even when an eligible board could be promoted first. */
  readonly demoteBeforeReplace?: boolean;
  /** Promote without checking that the board is caught up. */
  readonly promoteLagging?: boolean;
  /** Act without a quorum of healthy voters. */
  readonly actWithoutQuorum?: boolean;
  /** Choose boards by id, whatever their domain. */
  readonly ignoreDomains?: boolean;
}

/**
 * The memory of the policy: when each member's contact began and when it was last heard.
 * Built only from the current leader's own observations; a new leader starts a new one.
 */
export class AutopilotTracker {
  private readonly contactSince = new Map<NodeId, number>();
  private readonly silentSince = new Map<NodeId, number>();

  constructor(readonly leaderSince: number) {}

  /** Records this round's observations; returns for each member (contact since, silent since). */
  observe(o: AutopilotObservation, contactMs: number): Map<NodeId, { contactSince: number | null; silentSince: number | null }> {
    const out = new Map<NodeId, { contactSince: number | null; silentSince: number | null }>();
    const seen = new Set<NodeId>();
    for (const m of o.members) {
      seen.add(m.id);
      const inContact = m.id === o.self || (m.superseded !== true && m.lastContactMs !== null && m.lastContactMs <= contactMs);
      if (inContact) {
        this.silentSince.delete(m.id);
        if (!this.contactSince.has(m.id)) this.contactSince.set(m.id, o.now);
      } else {
        this.contactSince.delete(m.id);
        if (!this.silentSince.has(m.id)) {
          // Silent since it was last heard, but never before this leadership began.
          const heard = m.lastContactMs === null || m.superseded === true ? this.leaderSince : o.now - m.lastContactMs;
          this.silentSince.set(m.id, Math.max(this.leaderSince, Math.min(o.now, heard)));
        }
      }
      out.set(m.id, { contactSince: this.contactSince.get(m.id) ?? null, silentSince: this.silentSince.get(m.id) ?? null });
    }
    for (const id of [...this.contactSince.keys()]) if (!seen.has(id)) this.contactSince.delete(id);
    for (const id of [...this.silentSince.keys()]) if (!seen.has(id)) this.silentSince.delete(id);
    return out;
  }
}

interface Candidate {
  readonly id: NodeId;
  readonly voter: boolean;
  readonly domain: string;
  readonly inContact: boolean;
  readonly caughtUp: boolean;
  readonly lag: number;
  readonly stableMs: number;
  readonly silentMs: number;
  readonly superseded: boolean;
}

const quorum = (n: number): number => Math.floor(n / 2) + 1;
/** The largest odd number at most n (0 for 0). */
const oddFloor = (n: number): number => (n <= 0 ? 0 : n % 2 === 1 ? n : n - 1);
const domainKey = (d: string | null): string => d ?? '';
const secs = (ms: number): string => `${Math.round(ms / 1000)} s`;

/** The policy itself: one round. `tracker` carries contact and silence across rounds. */
export function assess(o: AutopilotObservation, s: AutopilotSettings, tracker: AutopilotTracker, bugs: AutopilotBugs = {}): AutopilotAssessment {
  const times = tracker.observe(o, s.contactMs);
  const voters = new Set(o.voters);
  const cands: Candidate[] = o.members.filter((m) => voters.has(m.id) || o.externals.includes(m.id)).map((m) => {
    const t = times.get(m.id)!;
    const self = m.id === o.self;
    const lag = self ? 0 : m.lagEntries ?? Number.MAX_SAFE_INTEGER;
    return {
      id: m.id, voter: voters.has(m.id), domain: domainKey(m.domain),
      inContact: t.contactSince !== null, caughtUp: lag <= s.catchUpEntries, lag,
      stableMs: t.contactSince === null ? 0 : o.now - t.contactSince,
      silentMs: t.silentSince === null ? 0 : o.now - t.silentSince,
      superseded: m.superseded === true,
    };
  });
  const isDead = (c: Candidate): boolean => !c.inContact && (c.superseded || c.silentMs >= s.deadVoterMs);
  const isGone = (c: Candidate): boolean => !c.inContact && s.removeAfterMs !== null && (c.silentMs >= s.removeAfterMs || (c.superseded && !c.voter));
  const isHealthy = (c: Candidate): boolean => c.inContact && c.caughtUp;
  const eligible = (c: Candidate): boolean =>
    !c.voter && c.inContact && c.stableMs >= s.stabilisationMs && (bugs.promoteLagging === true || c.caughtUp);

  const members: MemberState[] = cands.map((c) => {
    const role = c.voter ? 'voter' as const : 'external' as const;
    const domain = c.domain === '' ? null : c.domain;
    let condition: MemberCondition;
    let why: string;
    if (c.inContact && !c.caughtUp) [condition, why] = ['lagging', `${c.lag === Number.MAX_SAFE_INTEGER ? 'unknown' : c.lag} entries behind`];
    else if (c.inContact && !c.voter && c.stableMs < s.stabilisationMs) [condition, why] = ['stabilising', `in contact for ${secs(c.stableMs)}`];
    else if (c.inContact) [condition, why] = ['healthy', ''];
    else if (isGone(c)) [condition, why] = ['gone', c.superseded ? 'came back as a new incarnation' : `silent for ${secs(c.silentMs)}`];
    else if (isDead(c)) [condition, why] = ['dead', c.superseded ? 'came back as a new incarnation' : `silent for ${secs(c.silentMs)}`];
    else [condition, why] = ['silent', `silent for ${secs(c.silentMs)}`];
    return { id: c.id, role, domain, condition, why };
  });

  const voterCands = cands.filter((c) => c.voter);
  const healthyVoters = voterCands.filter(isHealthy).length;
  const good = voterCands.filter((c) => !isDead(c));
  const pool = cands.filter(eligible);
  const wanted = Math.min(oddFloor(s.targetVoters), Math.max(1, oddFloor(good.length + pool.length)));
  const base = { wantedVoters: wanted, healthyVoters, members };
  const none = (waiting: string): AutopilotAssessment => ({ ...base, change: null, waiting });
  const pick = (action: AutopilotAction, c: Candidate, reason: string): AutopilotAssessment => ({ ...base, change: { action, member: c.id, reason }, waiting: '' });

  if (!s.enabled) return none('autopilot is off');
  if (o.changePending) return none('a membership change is in progress');
  if (healthyVoters < quorum(voterCands.length) && bugs.actWithoutQuorum !== true) {
    return none(`only ${healthyVoters} of ${voterCands.length} voters are healthy: no change without a quorum of healthy voters`);
  }
  /** Healthy voters stay a quorum of the configuration after the change. */
  const keepsQuorum = (add: Candidate | null, drop: Candidate | null): boolean => {
    if (bugs.actWithoutQuorum === true) return true;
    const after = voterCands.filter((c) => c !== drop).concat(add ? [add] : []);
    return after.filter(isHealthy).length >= quorum(after.length);
  };

  const count = countByDomain(good);
  const votersIn = (d: string): number => (bugs.ignoreDomains === true ? 0 : count.get(d) ?? 0);
  // Boards go to the domain with the fewest voters, then the least lag.
  const byPreference = (a: Candidate, b: Candidate): number => votersIn(a.domain) - votersIn(b.domain) || a.lag - b.lag || a.id.localeCompare(b.id);

  const dead = voterCands.filter(isDead).sort((a, b) => b.silentMs - a.silentMs || a.id.localeCompare(b.id));
  // replace: the dead voter silent longest swaps its seat with the best eligible board in one
  // joint change (the healthy voters must be a quorum of both halves; if the new voter failed
  // at once, the old half would still commit without it).
  if (dead.length > 0 && pool.length > 0 && bugs.demoteBeforeReplace !== true) {
    const d = dead[0]!;
    const c = [...pool].sort(byPreference)[0]!;
    if (keepsQuorum(c, d)) {
      return { ...base, waiting: '', change: {
        action: 'swap', member: d.id, with: c.id,
        reason: d.superseded
          ? `voter ${d.id} came back as a new incarnation: ${c.id} (caught up, in contact for ${secs(c.stableMs)}) takes its seat`
          : `voter ${d.id} silent for ${secs(d.silentMs)} (dead after ${secs(s.deadVoterMs)}): ${c.id} (caught up, in contact for ${secs(c.stableMs)}) takes its seat`,
      } };
    }
  }
  // grow: from an odd count two boards at once (one joint change), so that no even
  // configuration exists in which one of the new voters failing at once would stop commits
  if (good.length < wanted && pool.length > 0 && dead.length === 0) {
    const [c, c2] = [...pool].sort(byPreference);
    if (good.length % 2 === 1 && c2 !== undefined && wanted - good.length >= 2) {
      return { ...base, waiting: '', change: {
        action: 'promote', member: c!.id, with: c2.id,
        reason: `${good.length} voters, ${wanted} wanted; ${c!.id} and ${c2.id} are caught up and in contact for ${secs(Math.min(c!.stableMs, c2.stableMs))}`,
      } };
    }
    if (keepsQuorum(c!, null)) {
      return pick('promote', c!, `${good.length} voters, ${wanted} wanted; ${c!.id} is caught up and in contact for ${secs(c!.stableMs)}`);
    }
  }
  // a dead voter nobody can replace: demoted, when that leaves at least three voters
  for (const c of dead) {
    if (!keepsQuorum(null, c)) continue;
    // Below three voters a demotion buys no fault tolerance, and the dead voter may return: keep it.
    if (voterCands.length - 1 < 3 && !c.superseded) continue;
    const remove = isGone(c) || (c.superseded && s.removeAfterMs !== null);
    return pick(remove ? 'remove' : 'demote', c, c.superseded
      ? `voter ${c.id} came back as a new incarnation: its old entry is dead`
      : `voter ${c.id} silent for ${secs(c.silentMs)} (dead after ${secs(s.deadVoterMs)}), no eligible board to take its seat${remove ? '; past the remove-after time' : ''}`);
  }
  const allHealthy = voterCands.every(isHealthy);
  // shrink: from the domain with the most voters
  if (voterCands.length > wanted && allHealthy) {
    const victims = voterCands.filter((c) => c.id !== o.self)
      .sort((a, b) => votersIn(b.domain) - votersIn(a.domain) || b.lag - a.lag || b.id.localeCompare(a.id));
    for (const c of victims) {
      if (!keepsQuorum(null, c)) continue;
      return pick('demote', c, `${voterCands.length} voters, ${wanted} wanted; ${c.id} is in ${c.domain ? `domain ${c.domain}` : 'no domain'}, which has ${count.get(c.domain) ?? 0} voters`);
    }
  }
  // spread: a seat moves from the most crowded domain to one with two voters fewer and an eligible board
  if (voterCands.length === wanted && allHealthy && bugs.ignoreDomains !== true && pool.length > 0) {
    const most = Math.max(...voterCands.map((c) => votersIn(c.domain)));
    const c = [...pool].sort(byPreference)[0]!;
    if (most - votersIn(c.domain) >= 2 && keepsQuorum(c, null)) {
      return pick('promote', c, `restoring the spread over domains: ${c.domain || '(none)'} has ${votersIn(c.domain)} voters, another domain ${most}`);
    }
  }
  // reap
  const gone = cands.filter((c) => !c.voter && isGone(c)).sort((a, b) => b.silentMs - a.silentMs || a.id.localeCompare(b.id));
  if (gone.length > 0) {
    const c = gone[0]!;
    return pick('remove', c, c.superseded ? `${c.id} came back as a new incarnation` : `${c.id} silent for ${secs(c.silentMs)} (removed after ${secs(s.removeAfterMs ?? 0)})`);
  }
  if (!allHealthy) {
    const sick = members.filter((m) => m.role === 'voter' && m.condition !== 'healthy').map((m) => `${m.id} ${m.condition}${m.why ? ` (${m.why})` : ''}`);
    return none(`watching: ${sick.join(', ')}`);
  }
  if (good.length < wanted || voterCands.length < s.targetVoters) {
    return none(`${voterCands.length} voters of ${s.targetVoters} wanted: no external board is eligible yet`);
  }
  return none('');
}

function countByDomain(cs: readonly Candidate[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of cs) m.set(c.domain, (m.get(c.domain) ?? 0) + 1);
  return m;
}

/**
 * Whether the voters could be spread more evenly over the domains: some domain holds two
 * voters more than a domain that has an eligible external board. 0 when as even as the
 * boards allow (the simulation's convergence bound); else the largest such difference.
 */
export function spreadGap(voterDomains: readonly (string | null)[], eligibleDomains: readonly (string | null)[]): number {
  const count = new Map<string, number>();
  for (const d of voterDomains) count.set(domainKey(d), (count.get(domainKey(d)) ?? 0) + 1);
  const most = Math.max(0, ...count.values());
  let gap = 0;
  for (const d of eligibleDomains) {
    const diff = most - (count.get(domainKey(d)) ?? 0);
    if (diff >= 2) gap = Math.max(gap, diff);
  }
  return gap;
}

/**
 * A voter is stopping on purpose (SIGTERM): the eligible external board that should take its
 * seat, in the same domain when one is eligible there, or null when none is (the voter then
 * simply leaves and the dead-voter rules take over if it does not come back). The swap is one
 * joint change: at most one voter leaves, and the healthy voters stay a quorum of both halves.
 */
export function seatHolder(o: AutopilotObservation, s: AutopilotSettings, tracker: AutopilotTracker, leaving: NodeId): NodeId | null {
  if (!s.enabled || o.changePending || !o.voters.includes(leaving)) return null;
  const times = tracker.observe(o, s.contactMs);
  const byId = new Map(o.members.map((m) => [m.id, m]));
  const healthy = (id: NodeId): boolean => {
    const m = byId.get(id);
    const t = times.get(id);
    return m !== undefined && t?.contactSince !== null && (id === o.self || (m.lagEntries ?? Infinity) <= s.catchUpEntries);
  };
  const healthyVoters = o.voters.filter(healthy).length;
  if (healthyVoters < quorum(o.voters.length)) return null;
  // The new configuration: without the leaving voter, with the new one (healthy by eligibility).
  if (healthyVoters - 1 + 1 < quorum(o.voters.length)) return null;
  const domainOf = (id: NodeId): string => domainKey(byId.get(id)?.domain ?? null);
  const count = new Map<string, number>();
  for (const v of o.voters) if (v !== leaving) count.set(domainOf(v), (count.get(domainOf(v)) ?? 0) + 1);
  const pool = o.externals.filter((id) => {
    const t = times.get(id);
    return healthy(id) && t?.contactSince !== null && t !== undefined && o.now - (t.contactSince ?? o.now) >= s.stabilisationMs;
  });
  const lag = (id: NodeId): number => byId.get(id)?.lagEntries ?? Infinity;
  const same = domainOf(leaving);
  pool.sort((a, b) => Number(domainOf(b) === same) - Number(domainOf(a) === same)
    || (count.get(domainOf(a)) ?? 0) - (count.get(domainOf(b)) ?? 0) || lag(a) - lag(b) || a.localeCompare(b));
  return pool[0] ?? null;
}
