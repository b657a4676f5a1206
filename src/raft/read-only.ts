// ReadIndex requests waiting for a heartbeat quorum to confirm the leader is still the leader (thesis §6.4).
//
// A pending read is keyed by its requester AND its context, so two boards that
// happen to pick the same context never share (or drop) each other's read.
// Leadership is confirmed by heartbeat rounds, not by contexts: each read is
// registered with the next round number, the heartbeats of that round carry
// it, and a voter's acknowledgement counts for a read only when it answers a
// round at or after the read's. So an acknowledgement that was sent before the
// read existed (one delayed on the wire since an earlier read, even one with
// the same context) can never confirm it. Rounds only grow for the life of the
// Raft object; together with the term check every message goes through (a
// board leads a term at most once, and only as one process), a round names one
// heartbeat broadcast of one leadership.
import type { NodeId } from './types.ts';

export interface ReadRequest {
  readonly index: number;
  readonly from: NodeId;
  readonly context: Uint8Array;
  /** The heartbeat round whose acknowledgements can confirm this read. */
  readonly round: number;
}

/** Requester and context together: a read's identity at the leader. */
function readKey(from: NodeId, ctx: Uint8Array): string {
  let s = `${from}\u0000`;
  for (let i = 0; i < ctx.length; i++) s += String.fromCharCode(ctx[i] as number);
  return s;
}

export type AddResult = 'added' | 'duplicate';

/** Pending reads in arrival order (so in round order); capped by the caller (maxPendingReadIndex). */
export class ReadOnly {
  private readonly byKey = new Map<string, ReadRequest>();
  private queue: ReadRequest[] = [];
  /** The last round handed out; never reset, so rounds stay unique for this object's life. */
  private round = 0;
  /** Highest round each member acknowledged in the current leadership. */
  private readonly acked = new Map<NodeId, number>();

  get size(): number {
    return this.queue.length;
  }

  /** The round pending reads wait on (0 when none is pending): heartbeats carry it. */
  get pendingRound(): number {
    return this.queue.length === 0 ? 0 : this.round;
  }

  /**
   * Registers a read at `index` under a new round. The same requester asking
   * again with the same context (a duplicated message) joins the pending read:
   * it is the same request, answered once.
   */
  add(index: number, from: NodeId, context: Uint8Array): AddResult {
    const key = readKey(from, context);
    if (this.byKey.has(key)) return 'duplicate';
    const rr: ReadRequest = { index, from, context, round: ++this.round };
    this.byKey.set(key, rr);
    this.queue.push(rr);
    return 'added';
  }

  /**
   * Records that `from` answered the heartbeat of `round`. `anyRound` is the
   * planted bug that credits any answer of this term, even to a heartbeat that
   * left before the read was registered.
   */
  recvAck(from: NodeId, round: number, anyRound = false): void {
    if (round <= 0 && !anyRound) return;
    const credited = anyRound ? this.round : round;
    if (credited > (this.acked.get(from) ?? 0)) this.acked.set(from, credited);
  }

  /** Which members acknowledged `round` or a later one. */
  ackedAtLeast(round: number): Map<NodeId, boolean> {
    const votes = new Map<NodeId, boolean>();
    for (const [id, r] of this.acked) if (r >= round) votes.set(id, true);
    return votes;
  }

  /**
   * Releases, in order, every read whose round `confirmed` says a quorum
   * acknowledged; rounds grow along the queue, so the released reads form a prefix.
   */
  release(confirmed: (round: number) => boolean): ReadRequest[] {
    let n = 0;
    // The newest confirmed round confirms every older one: search from the back.
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (confirmed((this.queue[i] as ReadRequest).round)) {
        n = i + 1;
        break;
      }
    }
    if (n === 0) return [];
    const released = this.queue.slice(0, n);
    this.queue = this.queue.slice(n);
    for (const rr of released) this.byKey.delete(readKey(rr.from, rr.context));
    return released;
  }

  /** A new leadership (or none): pending reads are dropped and acknowledgements forgotten; rounds keep growing. */
  reset(): void {
    this.byKey.clear();
    this.queue = [];
    this.acked.clear();
  }
}
