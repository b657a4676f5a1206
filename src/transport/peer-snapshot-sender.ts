// Sends one encoded snapshot message to one peer as chunk frames with a sliding window:
// at most `window` unacknowledged chunks are in flight; without ack progress for
// ackTimeoutMs the sender goes back to the first unacknowledged chunk (go-back-N), and
// after maxRetries such rounds it gives up. The outcome is reported exactly once.
import type { ChunkFrame } from './peer-chunk-frames.ts';

export interface SnapshotSendOptions {
  readonly chunkBytes: number;
  readonly window: number;
  readonly ackTimeoutMs: number;
  readonly maxRetries: number;
}

export interface SnapshotSendIo {
  /** Writes a frame if the connection can take it now; false to retry on the next pump. */
  trySend(frame: ChunkFrame): boolean;
  /** Called once, with true when the receiver stored and decoded the whole snapshot. */
  finished(ok: boolean, why: string): void;
}

export class SnapshotSendSession {
  private readonly chunkCount: number;
  /** Chunks below this are acknowledged. */
  private acked = 0;
  /** Next chunk to write. */
  private next = 0;
  private retries = 0;
  private timer: NodeJS.Timeout | undefined;
  private done = false;

  constructor(
    readonly transfer: number,
    private readonly encoded: Uint8Array,
    private readonly options: SnapshotSendOptions,
    private readonly io: SnapshotSendIo,
  ) {
    this.chunkCount = Math.max(1, Math.ceil(encoded.byteLength / options.chunkBytes));
    this.armTimer();
  }

  get finished(): boolean {
    return this.done;
  }

  /** Writes as many chunks as the window and the connection allow. */
  pump(): void {
    while (!this.done && this.next < this.chunkCount && this.next < this.acked + this.options.window) {
      const start = this.next * this.options.chunkBytes;
      const chunk = this.encoded.subarray(start, Math.min(start + this.options.chunkBytes, this.encoded.byteLength));
      const frame: ChunkFrame = { kind: 'data', transfer: this.transfer, seq: this.next, totalBytes: this.encoded.byteLength, chunk };
      if (!this.io.trySend(frame)) return;
      this.next++;
    }
  }

  onAck(next: number): void {
    // The receiver asks for chunk 0 after we saw progress: it lost the transfer.
    if (!this.done && next === 0 && this.acked > 0) return this.finish(false, 'receiver lost the transfer');
    if (this.done || next <= this.acked || next > this.chunkCount) return;
    this.acked = next;
    if (this.next < next) this.next = next;
    this.retries = 0;
    if (this.acked === this.chunkCount) return this.finish(true, 'delivered');
    this.armTimer();
    this.pump();
  }

  onAbort(reason: string): void {
    this.finish(false, `receiver aborted: ${reason}`);
  }

  /** Stops without telling the receiver (the caller sends an abort frame if it wants). */
  cancel(why: string): void {
    this.finish(false, why);
  }

  private armTimer(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.onTimeout(), this.options.ackTimeoutMs);
  }

  private onTimeout(): void {
    if (this.done) return;
    if (++this.retries > this.options.maxRetries) {
      return this.finish(false, `no acknowledgement after ${this.options.maxRetries} retries`);
    }
    this.next = this.acked;
    this.armTimer();
    this.pump();
  }

  private finish(ok: boolean, why: string): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.io.finished(ok, why);
  }
}
