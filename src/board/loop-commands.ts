// What the API, the transport and the board ask of the Raft core: one typed
// queue, drained by the Ready loop, which alone calls the core.
import type { ConfChange, Message, NodeId } from '../raft/index.ts';

export type LoopCommand =
  | { readonly type: 'step'; readonly message: Message }
  | { readonly type: 'propose'; readonly requestId: string; readonly data: Uint8Array }
  | { readonly type: 'read'; readonly context: Uint8Array }
  | { readonly type: 'conf-change'; readonly requestId: string; readonly change: ConfChange }
  | { readonly type: 'transfer-leadership'; readonly to: NodeId }
  | { readonly type: 'unreachable'; readonly peer: NodeId }
  | { readonly type: 'reachable'; readonly peer: NodeId }
  | { readonly type: 'snapshot-status'; readonly peer: NodeId; readonly ok: boolean };

/**
 * Commands waiting for the loop. A bounded ring: past `cap`, submit() refuses
 * (the caller drops a message or answers BACKPRESSURE). Ticks are not queued:
 * they are counted, so a stalled loop never piles them up.
 */
export class CommandQueue {
  private readonly ring: (LoopCommand | undefined)[];
  private head = 0;
  private count = 0;
  pendingTicks = 0;

  constructor(readonly cap: number) {
    this.ring = new Array<LoopCommand | undefined>(cap);
  }

  get length(): number {
    return this.count;
  }

  push(cmd: LoopCommand): boolean {
    if (this.count >= this.cap) return false;
    this.ring[(this.head + this.count) % this.cap] = cmd;
    this.count++;
    return true;
  }

  shift(): LoopCommand | undefined {
    if (this.count === 0) return undefined;
    const cmd = this.ring[this.head];
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.cap;
    this.count--;
    return cmd;
  }

  /** Empties the queue, returning what was in it (to fail the waiters behind it). */
  drain(): LoopCommand[] {
    const out: LoopCommand[] = [];
    for (let c = this.shift(); c !== undefined; c = this.shift()) out.push(c);
    this.pendingTicks = 0;
    return out;
  }
}
