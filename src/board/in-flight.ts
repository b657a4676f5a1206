// Writes this board proposed and still waits for, kept so that they can be sent again when the
// leader changes. A leader drops a forwarded proposal without an answer while it hands its
// leadership over, a board that has just stopped leading drops what reaches it, and entries a
// leader appended but did not replicate are lost with its leadership: without a second send the
// client would wait for the whole request timeout although a new leader is there. Sending a
// command twice is safe: the state machine applies a request id once and answers a repeat
// with the first outcome, as long as it still remembers the id (see `MAX_APPLIED_SINCE`).
import type { NodeId } from '../raft/index.ts';

/** Writes kept at most (the oldest are forgotten first; they then only wait for their timeout). */
export const MAX_IN_FLIGHT_WRITES = 4_096;
/** Their encoded commands' bytes at most (a command is at most 64 KiB). */
export const MAX_IN_FLIGHT_BYTES = 4 * 1024 * 1024;
/**
 * A write is sent again only while fewer entries than this were applied since it was first
 * proposed: the state machine remembers the newest 10,000 request ids, so a repeat is still
 * recognised (half of it, for margin).
 */
export const MAX_APPLIED_SINCE = 5_000;

interface InFlight {
  readonly data: Uint8Array;
  /** Where it went: the leader it was forwarded to, this board when it led, null once that leader is gone. */
  sentTo: NodeId | null;
  /** The applied index when it was first proposed. */
  readonly appliedAt: number;
}

export class InFlightWrites {
  /** Insertion order is proposal order: the first entries are the oldest. */
  private readonly byId = new Map<string, InFlight>();
  private bytes = 0;

  get size(): number {
    return this.byId.size;
  }

  /** A write was proposed (appended here, or forwarded to `sentTo`). */
  proposed(requestId: string, data: Uint8Array, sentTo: NodeId, applied: number): void {
    this.forget(requestId);
    while (this.byId.size > 0 && (this.byId.size >= MAX_IN_FLIGHT_WRITES || this.bytes + data.byteLength > MAX_IN_FLIGHT_BYTES)) {
      this.forget(this.byId.keys().next().value!);
    }
    if (data.byteLength > MAX_IN_FLIGHT_BYTES) return;
    this.byId.set(requestId, { data, sentTo, appliedAt: applied });
    this.bytes += data.byteLength;
  }

  /** Its entry was applied (or its client stopped waiting). */
  forget(requestId: string): void {
    const w = this.byId.get(requestId);
    if (w === undefined) return;
    this.byId.delete(requestId);
    this.bytes -= w.data.byteLength;
  }

  /** It was sent again, to `sentTo`. */
  sentAgain(requestId: string, sentTo: NodeId): void {
    const w = this.byId.get(requestId);
    if (w !== undefined) w.sentTo = sentTo;
  }

  /**
   * The leader is now `leader` (null: none known). Returns the writes to send again: those sent
   * to another board (or to a leader since lost) whose clients still wait (`waiting`) and that
   * a repeat would still be recognised for; forgets the others. With no leader it only marks
   * every write as orphaned, to be sent once one is known.
   */
  leaderChanged(leader: NodeId | null, applied: number, waiting: (requestId: string) => boolean): Array<{ requestId: string; data: Uint8Array }> {
    const again: Array<{ requestId: string; data: Uint8Array }> = [];
    for (const [requestId, w] of [...this.byId]) {
      if (!waiting(requestId) || applied - w.appliedAt >= MAX_APPLIED_SINCE) {
        this.forget(requestId);
        continue;
      }
      if (leader === null) w.sentTo = null;
      else if (w.sentTo !== leader) again.push({ requestId, data: w.data });
    }
    return again;
  }
}
