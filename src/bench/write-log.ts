// The writes of a run, kept compact: typed-array columns in fixed-size chunks
// (~40 bytes a write instead of ~150 as objects), so an hour of a soak or a
// long max-rate run fits the bench's heap. Records come back as fresh objects
// when iterated; error texts are kept only for the first failed writes.
import type { WriteRecord } from './workload.ts';

const CHUNK = 65_536;
/** Cap: writes kept (~40 bytes each, ~80 MiB at the cap); later ones are only counted (summary: writes.notRecorded). */
export const MAX_RECORDED_WRITES = 2_000_000;
/** Cap: error texts kept (the rest are counted). */
const MAX_ERROR_TEXTS = 100;

interface Chunk {
  seq: Float64Array;
  startMs: Float64Array;
  sentAt: Float64Array;
  latencyMs: Float32Array;
  revision: Float64Array; // NaN: none
  burst: Int32Array; // -1: none
  ok: Uint8Array;
}

function newChunk(): Chunk {
  return {
    seq: new Float64Array(CHUNK), startMs: new Float64Array(CHUNK), sentAt: new Float64Array(CHUNK),
    latencyMs: new Float32Array(CHUNK), revision: new Float64Array(CHUNK), burst: new Int32Array(CHUNK), ok: new Uint8Array(CHUNK),
  };
}

export class WriteLog implements Iterable<WriteRecord> {
  private readonly chunks: Chunk[] = [];
  private count = 0;
  private readonly errorTexts = new Map<number, string>();
  /** Writes not recorded because the cap was reached. */
  dropped = 0;

  get length(): number {
    return this.count;
  }

  push(r: WriteRecord): void {
    if (this.count >= MAX_RECORDED_WRITES) {
      this.dropped++;
      return;
    }
    const i = this.count % CHUNK;
    if (i === 0) this.chunks.push(newChunk());
    const c = this.chunks[this.chunks.length - 1]!;
    c.seq[i] = r.seq;
    c.startMs[i] = r.startMs;
    c.sentAt[i] = r.sentAt;
    c.latencyMs[i] = r.latencyMs;
    c.revision[i] = r.revision ?? NaN;
    c.burst[i] = r.burst ?? -1;
    c.ok[i] = r.ok ? 1 : 0;
    if (!r.ok && r.error !== undefined && this.errorTexts.size < MAX_ERROR_TEXTS) this.errorTexts.set(this.count, r.error);
    this.count++;
  }

  *[Symbol.iterator](): IterableIterator<WriteRecord> {
    for (let n = 0; n < this.count; n++) {
      const c = this.chunks[Math.floor(n / CHUNK)]!;
      const i = n % CHUNK;
      const revision = c.revision[i]!;
      const burst = c.burst[i]!;
      const ok = c.ok[i] === 1;
      const error = ok ? undefined : (this.errorTexts.get(n) ?? 'error');
      yield {
        seq: c.seq[i]!, startMs: c.startMs[i]!, sentAt: c.sentAt[i]!, latencyMs: c.latencyMs[i]!, ok,
        revision: Number.isNaN(revision) ? null : revision,
        ...(burst >= 0 ? { burst } : {}), ...(error !== undefined ? { error } : {}),
      };
    }
  }

  /** Latencies of the successful writes, in ms. */
  okLatencies(): number[] {
    const out: number[] = [];
    for (const w of this) if (w.ok) out.push(w.latencyMs);
    return out;
  }
}
