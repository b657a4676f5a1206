// ReadIndex requests waiting for a heartbeat quorum to confirm the leader is still the leader (thesis §6.4).
import type { NodeId } from './types.ts';

export interface ReadRequest {
  readonly index: number;
  readonly from: NodeId;
  readonly context: Uint8Array;
  readonly acks: Map<NodeId, boolean>;
}

export function contextKey(ctx: Uint8Array): string {
  let s = '';
  for (let i = 0; i < ctx.length; i++) s += String.fromCharCode(ctx[i] as number);
  return s;
}

/** Pending reads in arrival order; capped by the caller (maxPendingReadIndex). */
export class ReadOnly {
  private readonly pending = new Map<string, ReadRequest>();
  private queue: string[] = [];

  get size(): number {
    return this.pending.size;
  }

  add(index: number, from: NodeId, context: Uint8Array): boolean {
    const key = contextKey(context);
    if (this.pending.has(key)) return false;
    this.pending.set(key, { index, from, context, acks: new Map() });
    this.queue.push(key);
    return true;
  }

  /** Record that `from` answered a heartbeat carrying context; returns its acks so far. */
  recvAck(from: NodeId, context: Uint8Array): Map<NodeId, boolean> | undefined {
    const rr = this.pending.get(contextKey(context));
    if (!rr) return undefined;
    rr.acks.set(from, true);
    return rr.acks;
  }

  /** Release the request for context and every request queued before it (they are confirmed too). */
  advance(context: Uint8Array): ReadRequest[] {
    const key = contextKey(context);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const released: ReadRequest[] = [];
    for (const k of this.queue.slice(0, at + 1)) {
      const rr = this.pending.get(k);
      if (rr) released.push(rr);
      this.pending.delete(k);
    }
    this.queue = this.queue.slice(at + 1);
    return released;
  }

  lastPendingContext(): Uint8Array | undefined {
    const k = this.queue[this.queue.length - 1];
    return k === undefined ? undefined : this.pending.get(k)?.context;
  }

  reset(): void {
    this.pending.clear();
    this.queue = [];
  }
}
