// How a follower handles messages (Raft §5.3 AppendEntries receiver, snapshots, forwarded answers).
import type { AppendMessage, HeartbeatMessage, Message, SnapshotMessage } from './types.ts';
import type { Raft } from './raft.ts';

export function stepFollower(r: Raft, m: Message): void {
  switch (m.type) {
    case 'append':
      r.electionElapsed = 0;
      r.lead = m.from;
      handleAppend(r, m);
      break;
    case 'heartbeat':
      r.electionElapsed = 0;
      r.lead = m.from;
      handleHeartbeat(r, m);
      break;
    case 'snapshot':
      r.electionElapsed = 0;
      r.lead = m.from;
      handleSnapshot(r, m);
      break;
    case 'timeout-now':
      // The leader asks us to take over (leadership transfer, thesis §3.10): skip pre-vote and lease.
      if (r.promotable()) r.hup('transfer');
      break;
    case 'read-index-response':
      r.readStates.push({ index: m.index, context: m.context });
      break;
    default:
      // Forwarded requests that reached a non-leader are dropped; their senders retry.
      break;
  }
}

export function handleAppend(r: Raft, m: AppendMessage): void {
  const base = { type: 'append-response', from: r.id, to: m.from, term: r.term } as const;
  if (m.index < r.log.committed) {
    r.send({ ...base, index: r.log.committed, reject: false, rejectHint: 0, logTerm: 0 });
    return;
  }
  const lastNew = r.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
  if (lastNew >= 0) {
    r.send({ ...base, index: lastNew, reject: false, rejectHint: 0, logTerm: 0 });
    return;
  }
  // Log matching failed: tell the leader where our log could match (fast backtracking).
  const [hintIndex, hintTerm] = r.log.findConflictByTerm(Math.min(m.index, r.log.lastIndex()), m.logTerm);
  r.send({ ...base, index: m.index, reject: true, rejectHint: hintIndex, logTerm: hintTerm });
}

export function handleHeartbeat(r: Raft, m: HeartbeatMessage): void {
  const last = r.log.lastIndex();
  if (m.commit > last) {
    // The leader only sends a commit this follower acknowledged: entries it had are gone (its
    // log was cut off). Say where it ends, so the leader sends them again, and do not vote
    // until they are back (see Raft.lostEntriesUpTo).
    r.lostEntriesUpTo(m.commit);
    r.send({ type: 'append-response', from: r.id, to: m.from, term: r.term, index: m.commit, reject: true, rejectHint: last, logTerm: r.log.lastTerm() });
  }
  r.log.commitTo(Math.min(m.commit, last));
  r.send({ type: 'heartbeat-response', from: r.id, to: m.from, term: r.term, readRound: m.readRound });
}

export function handleSnapshot(r: Raft, m: SnapshotMessage): void {
  const index = r.restore(m.snapshot) ? r.log.lastIndex() : r.log.committed;
  r.send({
    type: 'append-response', from: r.id, to: m.from, term: r.term,
    index, reject: false, rejectHint: 0, logTerm: 0,
  });
}
