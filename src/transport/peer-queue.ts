// A bounded FIFO of encoded messages waiting for one peer's connection.

export interface QueueCaps {
  /** Most messages waiting for one peer. */
  readonly maxMessages: number;
  /** Most encoded bytes waiting for one peer. */
  readonly maxBytes: number;
}

/**
 * Defaults: 512 messages / 2 MiB per peer. With 100 peers the worst case is 200 MiB only if
 * every peer is stalled with full queues at once, which Raft's own flow control (in-flight
 * message and byte caps per follower) prevents long before; typical use is a few KiB.
 */
export const defaultQueueCaps: QueueCaps = Object.freeze({ maxMessages: 512, maxBytes: 2 * 1024 * 1024 });

export class BoundedQueue {
  private items: Uint8Array[] = [];
  private head = 0;
  private byteCount = 0;
  constructor(private readonly caps: QueueCaps) {}

  get length(): number {
    return this.items.length - this.head;
  }
  get bytes(): number {
    return this.byteCount;
  }

  /** Appends; returns false (and keeps nothing) when the caps would be exceeded. */
  push(item: Uint8Array): boolean {
    if (this.length >= this.caps.maxMessages || this.byteCount + item.byteLength > this.caps.maxBytes) return false;
    this.items.push(item);
    this.byteCount += item.byteLength;
    return true;
  }

  peek(): Uint8Array | undefined {
    return this.items[this.head];
  }

  shift(): Uint8Array | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.items[this.head] = EMPTY;
    this.head++;
    this.byteCount -= item.byteLength;
    // Compact once the consumed prefix dominates, so the array never grows without bound.
    if (this.head >= 64 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Empties the queue; returns how many messages were discarded. */
  clear(): number {
    const n = this.length;
    this.items = [];
    this.head = 0;
    this.byteCount = 0;
    return n;
  }
}

const EMPTY = new Uint8Array(0);
