// The load generator: idle, constant (fixed rate or as fast as the clients
// go) and burst (K writes every T seconds, the way a scene edit arrives).
// It knows nothing of raftlight or etcd: it calls a Writer.

export type Workload =
  | { kind: 'idle' }
  | { kind: 'constant'; rate: number | 'max'; clients: number }
  | { kind: 'burst'; size: number; intervalMs: number; clients: number };

export interface WriteOutcome {
  ok: boolean;
  revision: number | null;
  error?: string;
}

/** Performs write number `seq`; never throws (errors come back as ok: false). */
export type Writer = (seq: number) => Promise<WriteOutcome>;

export interface WriteRecord {
  seq: number;
  /** Send time, ms since the workload started. */
  startMs: number;
  /** Absolute send time (Date.now()), for joining with propagation events. */
  sentAt: number;
  latencyMs: number;
  ok: boolean;
  revision: number | null;
  error?: string;
  burst?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

async function timed(writer: Writer, seq: number, t0: number, burst?: number): Promise<WriteRecord> {
  const sentAt = Date.now();
  const start = performance.now();
  let out: WriteOutcome;
  try {
    out = await writer(seq);
  } catch (err) {
    out = { ok: false, revision: null, error: (err as Error).message };
  }
  const rec: WriteRecord = { seq, startMs: start - t0, sentAt, latencyMs: performance.now() - start, ok: out.ok, revision: out.revision };
  if (out.error !== undefined) rec.error = out.error;
  if (burst !== undefined) rec.burst = burst;
  return rec;
}

/** Runs the workload until `durationMs` has passed or `stop()` says so; every write ends in `onRecord`. */
export async function runWorkload(w: Workload, writer: Writer, durationMs: number, onRecord: (r: WriteRecord) => void, stop: () => boolean = () => false): Promise<void> {
  const t0 = performance.now();
  const deadline = t0 + durationMs;
  const over = (): boolean => stop() || performance.now() >= deadline;
  let seq = 0;
  if (w.kind === 'idle') {
    while (!over()) await sleep(Math.min(250, deadline - performance.now()));
    return;
  }
  if (w.kind === 'constant') {
    const client = async (): Promise<void> => {
      while (!over()) {
        const mine = seq++;
        if (w.rate !== 'max') {
          const due = t0 + (mine * 1000) / w.rate;
          if (due >= deadline) return;
          await sleep(due - performance.now());
          if (over()) return;
        }
        onRecord(await timed(writer, mine, t0));
      }
    };
    await Promise.all(Array.from({ length: w.clients }, client));
    return;
  }
  // Bursts start at t = interval/2 so the first one sees a settled cluster, then every interval.
  for (let burst = 0; ; burst++) {
    const at = t0 + w.intervalMs / 2 + burst * w.intervalMs;
    if (at >= deadline) break;
    await sleep(at - performance.now());
    if (over()) break;
    let left = w.size;
    const client = async (): Promise<void> => {
      while (left > 0) {
        left--;
        onRecord(await timed(writer, seq++, t0, burst));
      }
    };
    await Promise.all(Array.from({ length: Math.min(w.clients, w.size) }, client));
  }
  while (!over()) await sleep(Math.min(250, deadline - performance.now()));
}

/** The write payload: an area with a 128-character name, a 167-byte JSON body whatever the sequence number. */
export function areaBody(seq: number): string {
  const tag = `bench write ${seq} `;
  const name = (tag + 'x'.repeat(128)).slice(0, 128);
  return JSON.stringify({ name, type: 'room', parent: null });
}
