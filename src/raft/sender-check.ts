// Where a message lands, before it touches any state: could its sender have
// sent it? Appends, heartbeats and snapshots come only from the leader of their
// term, which is a voter; vote requests only from voters (out of a leader lease,
// from any member: see below); forwarded proposals
// only from voters (an external board's credential must not become write
// access); responses only from members. A message that fails is dropped and
// counted, never treated as an invariant: the network may be hostile.
//
// The check uses this board's configuration, which may lag the cluster's: a
// board that missed the promotion of today's leader would drop that leader's
// appends for good. So the voters-only rule for leader messages holds while
// the board is in its leader lease (it heard a leader it accepts within an
// election timeout): then a non-voter's claim could only be a hijack. Out of
// lease, a leader message (or a vote request) is accepted from whoever the link
// authenticated (its member credential), and the board catches up and learns
// the promotion (see
// docs/architecture.md, "Raft messages checked where they land").
import type { Message, NodeId } from './types.ts';

export const DROP_REASONS = [
  /** append / heartbeat / snapshot / timeout-now / read-index-response from a board that is not a voter here. */
  'leader-message-from-non-voter',
  /** A leader message in this board's term from a board other than the leader it knows (or while it leads). */
  'second-leader-in-term',
  /** A vote answer from a board that is not a voter here; a vote or pre-vote request from one while in a leader's lease (or from a stranger). */
  'vote-from-non-voter',
  /** A forwarded proposal or leadership transfer from a board that is not a voter here. */
  'request-from-non-voter',
  /** A response or a forwarded read from a board outside the configuration. */
  'not-a-member',
  /** A message from a non-voter carrying a term above this board's: it could only disrupt. */
  'higher-term-from-non-voter',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** What the check reads of the receiving board. */
export interface ReceiverView {
  readonly term: number;
  readonly lead: NodeId | null;
  readonly isLeader: boolean;
  /** No configuration at all yet (a board that joined and awaits its first snapshot). */
  readonly knowsNoConfiguration: boolean;
  /** It heard from a leader it accepts within the last election timeout. */
  readonly inLeaderLease: boolean;
  isVoter(id: NodeId): boolean;
  isMember(id: NodeId): boolean;
}

export function checkSender(r: ReceiverView, m: Message): DropReason | null {
  // A board without a configuration cannot judge; its links admit only members it was told about.
  if (r.knowsNoConfiguration) return null;
  const voter = r.isVoter(m.from);
  switch (m.type) {
    case 'append':
    case 'heartbeat':
    case 'snapshot':
    case 'timeout-now':
    case 'read-index-response':
      // A non-voter here (its configuration may be old: today's leader may have been promoted, or have
      // joined, since): refused while this board is in a leader's lease, accepted out of it or once it
      // is this term's leader. Who it is was settled by the link's login, against the members' credentials.
      if (!voter && r.inLeaderLease && r.lead !== m.from) return 'leader-message-from-non-voter';
      if (m.term === r.term && (r.isLeader || (r.lead !== null && r.lead !== m.from))) return 'second-leader-in-term';
      return null;
    case 'vote':
    case 'pre-vote':
      // A member that is not a voter here may be a voter of a configuration this board has not
      // applied yet (promoted while this board was behind). Heard out of a leader lease, as a
      // leader's messages are: else a board with an old configuration could refuse the only
      // candidates able to win, and no leader would ever come (the autopilot profile, seed 37).
      if (voter) return null;
      return !r.inLeaderLease && r.isMember(m.from) ? null : 'vote-from-non-voter';
    case 'vote-response':
    case 'pre-vote-response':
      return voter ? null : 'vote-from-non-voter';
    case 'propose':
    case 'transfer-leader':
      return voter ? null : 'request-from-non-voter';
    case 'read-index':
    case 'append-response':
    case 'heartbeat-response':
      if (!r.isMember(m.from)) return 'not-a-member';
      if (!voter && m.term > r.term) return 'higher-term-from-non-voter';
      return null;
  }
}

/** Dropped messages by reason (bounded: one counter per reason). */
export class DropCounters {
  private readonly counts = new Map<DropReason, number>();
  total = 0;

  count(reason: DropReason): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
    this.total++;
  }

  snapshot(): Readonly<Partial<Record<DropReason, number>>> {
    return Object.fromEntries(this.counts);
  }
}
