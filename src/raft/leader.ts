// How a leader handles messages and replicates its log (Raft §5.3, flow control, ReadIndex, transfer).
import type { AppendResponseMessage, HeartbeatResponseMessage, Message, NodeId } from './types.ts';
import { CompactedError, SnapshotUnavailableError, entrySize } from './types.ts';
import type { Raft } from './raft.ts';
import type { Progress } from './progress.ts';
import { decodeConfChange, applyConfChangeToState } from './conf-change.ts';
import { jointVote } from './quorum.ts';

export function stepLeader(r: Raft, m: Message): void {
  switch (m.type) {
    case 'propose':
      handleForwardedProposal(r, m.entries);
      break;
    case 'read-index':
      handleReadIndex(r, m.from, m.context);
      break;
    case 'transfer-leader':
      handleTransfer(r, m.transferee);
      break;
    case 'append-response':
      handleAppendResponse(r, m);
      break;
    case 'heartbeat-response':
      handleHeartbeatResponse(r, m);
      break;
    default:
      break;
  }
}

/** A proposal forwarded by a follower: drop what cannot be accepted, the client retries. */
function handleForwardedProposal(r: Raft, entries: readonly { type: 'normal' | 'conf-change'; data: Uint8Array }[]): void {
  if (r.leadTransferee !== null) return;
  const pendingBefore = r.pendingConfIndex;
  const accepted: { type: 'normal' | 'conf-change'; data: Uint8Array }[] = [];
  for (const e of entries) {
    if (e.type === 'conf-change') {
      if (!confChangeAllowed(r, e.data)) continue;
      accepted.push(e);
      // Several conf changes in one batch: only the first one may go.
      r.pendingConfIndex = r.log.lastIndex() + accepted.length;
    } else accepted.push(e);
  }
  if (accepted.length > 0 && !r.appendEntries(accepted)) r.pendingConfIndex = pendingBefore;
}

/** One change at a time: none pending, and the change is valid for the current configuration. */
export function confChangeAllowed(r: Raft, data: Uint8Array): boolean {
  if (r.pendingConfIndex > r.log.applied) return false;
  try {
    applyConfChangeToState(r.trk.confState(), decodeConfChange(data));
    return true;
  } catch {
    return false;
  }
}

/** Send every follower what it lacks, as many messages as its flow control allows. */
export function bcastAppend(r: Raft): void {
  for (const id of r.trk.progress.keys()) {
    if (id === r.id || !maybeSendAppend(r, id, true)) continue;
    while (maybeSendAppend(r, id, false)) {
      /* pipeline until paused or caught up */
    }
  }
}

/** Send the entries `to` is missing, as far as flow control allows; a snapshot when they are compacted. */
export function maybeSendAppend(r: Raft, to: NodeId, sendIfEmpty: boolean): boolean {
  const pr = r.trk.progress.get(to);
  if (!pr || pr.isPaused()) return false;
  const prevIndex = pr.next - 1;
  const prevTerm = r.log.term(prevIndex);
  let ents;
  if (prevTerm !== undefined) {
    try {
      ents = r.log.slice(pr.next, r.log.lastIndex() + 1, r.cfg.maxSizePerMsg);
    } catch (err) {
      if (!(err instanceof CompactedError)) throw err;
    }
  }
  if (prevTerm === undefined || ents === undefined) return sendSnapshot(r, to, pr);
  if (ents.length === 0 && !sendIfEmpty) return false;
  let bytes = 0;
  for (const e of ents) bytes += entrySize(e);
  r.send({
    type: 'append', from: r.id, to, term: r.term,
    index: prevIndex, logTerm: prevTerm, entries: ents, commit: r.log.committed,
  });
  pr.sentEntries(prevIndex + ents.length, ents.length, bytes);
  return true;
}

function sendSnapshot(r: Raft, to: NodeId, pr: Progress): boolean {
  if (!pr.recentActive) return false;
  let snapshot;
  try {
    snapshot = r.log.snapshot();
  } catch (err) {
    if (err instanceof SnapshotUnavailableError) return false;
    throw err;
  }
  if (snapshot.metadata.index === 0) return false;
  pr.becomeSnapshot(snapshot.metadata.index);
  r.send({ type: 'snapshot', from: r.id, to, term: r.term, snapshot });
  return true;
}

function handleAppendResponse(r: Raft, m: AppendResponseMessage): void {
  const pr = r.trk.progress.get(m.from);
  if (!pr) return;
  pr.recentActive = true;
  if (m.reject) {
    let hint = m.rejectHint;
    if (m.logTerm > 0) hint = r.log.findConflictByTerm(m.rejectHint, m.logTerm)[0];
    if (hint < pr.match && m.index <= pr.match && (pr.state !== 'probe' || pr.next - 1 === m.index)) {
      // The follower no longer holds entries it acknowledged: it lost part of its log (a damaged
      // or replaced disk). Forget what it matched and probe down from what it has; without this
      // the leader would probe at its old match forever, a round trip at a time.
      pr.lostEntries(hint);
      maybeSendAppend(r, m.from, true);
      return;
    }
    // Only a rejection that moves the probe sends again at once; others wait for a heartbeat
    // answer, so a follower that keeps refusing costs at most one append per heartbeat.
    if (pr.maybeDecrTo(m.index, hint)) {
      if (pr.state === 'replicate') pr.becomeProbe();
      maybeSendAppend(r, m.from, true);
    }
    return;
  }
  const wasPaused = pr.isPaused();
  if (!pr.maybeUpdate(m.index)) {
    if (wasPaused && !pr.isPaused()) maybeSendAppend(r, m.from, false);
    return;
  }
  if (pr.state === 'probe') pr.becomeReplicate();
  else if (pr.state === 'snapshot' && pr.match + 1 >= r.log.firstIndex()) {
    pr.becomeProbe();
    pr.becomeReplicate();
  } else if (pr.state === 'replicate') pr.inflights.freeLE(m.index);
  r.maybeCommit();
  // Keep the pipe full for this follower.
  while (maybeSendAppend(r, m.from, false)) {
    /* send until paused or caught up */
  }
  if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) sendTimeoutNow(r, m.from);
}

function handleHeartbeatResponse(r: Raft, m: HeartbeatResponseMessage): void {
  const pr = r.trk.progress.get(m.from);
  if (!pr) return;
  pr.recentActive = true;
  pr.probeSent = false;
  if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
  if (pr.match < r.log.lastIndex()) maybeSendAppend(r, m.from, true);
  const anyRound = r.cfg.bugs.readAckAnyRound === true;
  if (m.readRound === 0 && !anyRound) return;
  r.readOnly.recvAck(m.from, m.readRound, anyRound);
  releaseConfirmedReads(r);
}

/** Answers every pending read whose heartbeat round a quorum of voters acknowledged. */
function releaseConfirmedReads(r: Raft): void {
  const confirmed = (round: number): boolean =>
    jointVote(r.trk.incoming, r.trk.outgoing, r.readOnly.ackedAtLeast(round)) === 'won';
  for (const rr of r.readOnly.release(confirmed)) answerRead(r, rr.from, rr.index, rr.context);
}

// ---- ReadIndex (thesis §6.4) ----

export function handleReadIndex(r: Raft, from: NodeId, context: Uint8Array): boolean {
  const alone = r.trk.outgoing.size === 0 && r.trk.incoming.size === 1 && r.trk.incoming.has(r.id);
  if (alone) {
    answerRead(r, from, r.log.committed, context);
    return true;
  }
  if (!r.committedEntryInCurrentTerm()) {
    if (r.pendingReads.length >= r.cfg.maxPendingReadIndex) return false;
    r.pendingReads.push({ from, context });
    return true;
  }
  return startRead(r, from, context);
}

function startRead(r: Raft, from: NodeId, context: Uint8Array): boolean {
  if (r.cfg.bugs.readIndexWithoutQuorum === true) {
    answerRead(r, from, r.log.committed, context);
    return true;
  }
  if (r.readOnly.size >= r.cfg.maxPendingReadIndex) return false;
  // A duplicate (same requester, same context) is the same request: it is answered with the pending one.
  if (r.readOnly.add(r.log.committed, from, context) === 'duplicate') return true;
  const round = r.readOnly.pendingRound;
  r.readOnly.recvAck(r.id, round);
  releaseConfirmedReads(r);
  if (r.readOnly.size > 0) r.bcastHeartbeat(round);
  return true;
}

export function releasePendingReadIndex(r: Raft): void {
  const pending = r.pendingReads;
  r.pendingReads = [];
  for (const p of pending) startRead(r, p.from, p.context);
}

function answerRead(r: Raft, from: NodeId, index: number, context: Uint8Array): void {
  if (from === r.id) r.readStates.push({ index, context });
  else r.send({ type: 'read-index-response', from: r.id, to: from, term: r.term, index, context });
}

// ---- leadership transfer (thesis §3.10) ----

export function handleTransfer(r: Raft, transferee: NodeId): void {
  const pr = r.trk.progress.get(transferee);
  if (!pr || pr.isLearner || transferee === r.id) return;
  if (r.leadTransferee === transferee) return;
  r.leadTransferee = transferee;
  // The transfer must finish within one election timeout.
  r.electionElapsed = 0;
  if (pr.match === r.log.lastIndex()) sendTimeoutNow(r, transferee);
  else maybeSendAppend(r, transferee, true);
}

export function sendTimeoutNow(r: Raft, to: NodeId): void {
  r.send({ type: 'timeout-now', from: r.id, to, term: r.term });
}
