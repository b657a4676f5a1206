// Reassembles snapshot messages from chunk frames, at most one transfer per sending peer,
// within a total memory budget and with an idle timeout per transfer.
import type { NodeId } from '../raft/types.ts';
import type { AbortReason, ChunkFrame } from './peer-chunk-frames.ts';

export interface SnapshotReceiveOptions {
  readonly maxSnapshotBytes: number;
  /** Budget for all reassemblies together (bytes reserved from the first chunk's declared size). */
  readonly maxReassemblyBytes: number;
  readonly idleMs: number;
}

export interface SnapshotReceiveIo {
  reply(peer: NodeId, frame: ChunkFrame): void;
  /** A complete encoded snapshot message; returns false when it does not decode. */
  deliver(peer: NodeId, encoded: Uint8Array): boolean;
  log(peer: NodeId, detail: string): void;
}

interface Reassembly {
  readonly transfer: number;
  readonly buffer: Uint8Array;
  received: number;
  nextSeq: number;
  timer: NodeJS.Timeout;
}

export class SnapshotReceiver {
  private readonly active = new Map<NodeId, Reassembly>();
  /** Last transfer completed per peer (one entry per peer), to repeat a lost final ack. */
  private readonly completed = new Map<NodeId, { transfer: number; chunks: number }>();
  private reserved = 0;

  constructor(private readonly options: SnapshotReceiveOptions, private readonly io: SnapshotReceiveIo) {}

  get reservedBytes(): number {
    return this.reserved;
  }

  onData(peer: NodeId, frame: Extract<ChunkFrame, { kind: 'data' }>): void {
    let r = this.active.get(peer);
    const done = this.completed.get(peer);
    if (done?.transfer === frame.transfer) {
      return this.io.reply(peer, { kind: 'ack', transfer: frame.transfer, next: done.chunks });
    }
    if (r === undefined || r.transfer !== frame.transfer) {
      // Chunk 0 was lost, or we lost the transfer (restart, idle timeout): ask for chunk 0.
      if (frame.seq !== 0) return this.io.reply(peer, { kind: 'ack', transfer: frame.transfer, next: 0 });
      if (r !== undefined) this.drop(peer, r);
      r = this.start(peer, frame);
      if (r === undefined) return;
    }
    if (frame.totalBytes !== r.buffer.byteLength) return this.fail(peer, r, 'invalid', 'declared size changed');
    if (frame.seq !== r.nextSeq) {
      // Duplicate or gap: repeat where we are so the sender goes back.
      return this.io.reply(peer, { kind: 'ack', transfer: r.transfer, next: r.nextSeq });
    }
    if (frame.chunk.byteLength === 0 || r.received + frame.chunk.byteLength > r.buffer.byteLength) {
      return this.fail(peer, r, 'invalid', 'chunk overflows the declared size');
    }
    r.buffer.set(frame.chunk, r.received);
    r.received += frame.chunk.byteLength;
    r.nextSeq++;
    r.timer.refresh();
    if (r.received < r.buffer.byteLength) {
      return this.io.reply(peer, { kind: 'ack', transfer: r.transfer, next: r.nextSeq });
    }
    this.drop(peer, r);
    if (this.io.deliver(peer, r.buffer)) {
      this.completed.set(peer, { transfer: r.transfer, chunks: r.nextSeq });
      this.io.reply(peer, { kind: 'ack', transfer: r.transfer, next: r.nextSeq });
    } else {
      this.io.reply(peer, { kind: 'abort', transfer: r.transfer, reason: 'invalid' });
    }
  }

  onAbort(peer: NodeId, transfer: number): void {
    const r = this.active.get(peer);
    if (r !== undefined && r.transfer === transfer) this.drop(peer, r);
  }

  close(): void {
    for (const [peer, r] of this.active) this.drop(peer, r);
    this.completed.clear();
  }

  private start(peer: NodeId, frame: Extract<ChunkFrame, { kind: 'data' }>): Reassembly | undefined {
    if (frame.totalBytes === 0 || frame.totalBytes > this.options.maxSnapshotBytes) {
      this.io.log(peer, `snapshot of ${frame.totalBytes} bytes refused (limit ${this.options.maxSnapshotBytes})`);
      this.abort(peer, frame.transfer, 'too-large');
      return undefined;
    }
    if (this.reserved + frame.totalBytes > this.options.maxReassemblyBytes) {
      this.io.log(peer, `snapshot of ${frame.totalBytes} bytes refused: reassembly budget in use`);
      this.abort(peer, frame.transfer, 'busy');
      return undefined;
    }
    // Size checked against both caps above; zeroed pages cost no RSS until written.
    const buffer = new Uint8Array(frame.totalBytes);
    this.reserved += frame.totalBytes;
    const timer = setTimeout(() => {
      const current = this.active.get(peer);
      if (current?.transfer === frame.transfer) {
        this.io.log(peer, `snapshot transfer ${frame.transfer} idle for ${this.options.idleMs} ms, discarded`);
        this.drop(peer, current);
      }
    }, this.options.idleMs);
    const r: Reassembly = { transfer: frame.transfer, buffer, received: 0, nextSeq: 0, timer };
    this.active.set(peer, r);
    return r;
  }

  private fail(peer: NodeId, r: Reassembly, reason: AbortReason, detail: string): void {
    this.io.log(peer, `snapshot transfer ${r.transfer}: ${detail}`);
    this.drop(peer, r);
    this.abort(peer, r.transfer, reason);
  }

  private abort(peer: NodeId, transfer: number, reason: AbortReason): void {
    this.io.reply(peer, { kind: 'abort', transfer, reason });
  }

  private drop(peer: NodeId, r: Reassembly): void {
    clearTimeout(r.timer);
    if (this.active.get(peer) === r) {
      this.active.delete(peer);
      this.reserved -= r.buffer.byteLength;
    }
  }
}
