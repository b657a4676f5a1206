// Clients waiting on the Raft loop: proposals waiting for their entry to be
// applied, and linearizable reads waiting for a read index. Both are capped,
// and every wait ends: by a result, by a timeout, or when the board stops.
import { ApiError } from '../api/errors.ts';
import type { Outcome } from '../state/results.ts';
import type { ReadContextSource } from './read-context.ts';
import { systemClock, type BoardClock, type Timer } from './clock.ts';

/** Proposals waiting to be applied on this board at once; more get BACKPRESSURE. */
export const MAX_PENDING_PROPOSALS = 4096;
/** Reads waiting for a read index at once; more get BACKPRESSURE. */
export const MAX_PENDING_READS = 4096;

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: Error): void;
  timer: Timer;
}

function timeoutError(what: string, ms: number): ApiError {
  return new ApiError('TIMEOUT', 504, `${what} not confirmed within ${ms} ms (no quorum reachable?); a write retried with the same Request-Id applies at most once`);
}

/** Proposals by request id; resolved by the apply loop with the entry's outcome. */
export class ProposalWaiters {
  private readonly waiting = new Map<string, Waiter<Outcome>[]>();
  private count = 0;

  constructor(
    private readonly timeoutMs: number,
    private readonly max = MAX_PENDING_PROPOSALS,
    private readonly clock: BoardClock = systemClock,
  ) {}

  get size(): number {
    return this.count;
  }

  /**
   * Registers a waiter for `requestId`. Throws BACKPRESSURE (before anything
   * is proposed) when the cap is reached: a refused write must never be proposed.
   */
  register(requestId: string): Promise<Outcome> {
    if (this.count >= this.max) {
      throw new ApiError('BACKPRESSURE', 429, `${this.max} writes are already waiting on this board; retry later`);
    }
    return new Promise<Outcome>((resolve, reject) => {
      const waiter: Waiter<Outcome> = {
        resolve, reject,
        timer: this.clock.after(this.timeoutMs, () => {
          this.remove(requestId, waiter);
          reject(timeoutError('write', this.timeoutMs));
        }),
      };
      const list = this.waiting.get(requestId);
      if (list) list.push(waiter);
      else this.waiting.set(requestId, [waiter]);
      this.count++;
    });
  }

  /** A client still waits for this request id. */
  has(requestId: string): boolean {
    return this.waiting.has(requestId);
  }

  /** Called for every applied command with a request id. */
  settle(requestId: string, outcome: Outcome): void {
    for (const w of this.take(requestId)) w.resolve(outcome);
  }

  /** The proposal could not even be accepted (no leader, backpressure). */
  fail(requestId: string, err: Error): void {
    for (const w of this.take(requestId)) w.reject(err);
  }

  private take(requestId: string): Waiter<Outcome>[] {
    const list = this.waiting.get(requestId);
    if (!list) return [];
    this.waiting.delete(requestId);
    this.count -= list.length;
    for (const w of list) w.timer.cancel();
    return list;
  }

  failAll(err: Error): void {
    for (const id of [...this.waiting.keys()]) this.fail(id, err);
  }

  private remove(requestId: string, waiter: Waiter<Outcome>): void {
    const list = this.waiting.get(requestId);
    if (!list) return;
    const i = list.indexOf(waiter);
    if (i === -1) return;
    list.splice(i, 1);
    this.count--;
    if (list.length === 0) this.waiting.delete(requestId);
  }
}

/**
 * Linearizable reads. Each read asks the core for a read index under a
 * unique context; once the read state comes back it waits until the state
 * machine has applied that index.
 */
export class ReadWaiters {
  private readonly byContext = new Map<string, Waiter<void>>();
  /** Read states received, waiting for the apply loop to reach their index. */
  private readonly ready: Array<{ index: number; waiter: Waiter<void> }> = [];

  constructor(
    private readonly timeoutMs: number,
    private readonly contexts: ReadContextSource,
    private readonly clock: BoardClock = systemClock,
  ) {}

  get size(): number {
    return this.byContext.size + this.ready.length;
  }

  /**
   * Registers a read; returns its context (to pass to readIndex) and the
   * promise. Throws BACKPRESSURE, before anything is asked of the core, at the cap.
   */
  begin(): { context: Uint8Array; done: Promise<void> } {
    if (this.size >= MAX_PENDING_READS) throw new ApiError('BACKPRESSURE', 429, 'too many reads waiting; retry later');
    const { context, key } = this.contexts.next();
    const done = new Promise<void>((resolve, reject) => {
      const waiter: Waiter<void> = {
        resolve, reject,
        timer: this.clock.after(this.timeoutMs, () => {
          this.byContext.delete(key);
          const i = this.ready.findIndex((r) => r.waiter === waiter);
          if (i !== -1) this.ready.splice(i, 1);
          reject(timeoutError('linearizable read', this.timeoutMs));
        }),
      };
      this.byContext.set(key, waiter);
    });
    return { context, done };
  }

  fail(context: Uint8Array, err: Error): void {
    const key = new TextDecoder().decode(context);
    const w = this.byContext.get(key);
    if (!w) return;
    this.byContext.delete(key);
    w.timer.cancel();
    w.reject(err);
  }

  /** A read state from the core: the read may proceed once `index` is applied. */
  readState(context: Uint8Array, index: number, applied: number): void {
    const key = new TextDecoder().decode(context);
    const w = this.byContext.get(key);
    if (!w) return;
    this.byContext.delete(key);
    if (index <= applied) {
      w.timer.cancel();
      w.resolve();
    } else this.ready.push({ index, waiter: w });
  }

  /** Called after entries are applied. */
  applied(applied: number): void {
    for (let i = this.ready.length - 1; i >= 0; i--) {
      const r = this.ready[i]!;
      if (r.index <= applied) {
        this.ready.splice(i, 1);
        r.waiter.timer.cancel();
        r.waiter.resolve();
      }
    }
  }

  /**
   * The leader changed: reads still waiting for their read index were asked of
   * a leader that is gone (which forgets them), so they fail now instead of
   * timing out. Reads that have their index stay valid and complete.
   */
  failUnanswered(err: Error): void {
    for (const [key, w] of this.byContext) {
      w.timer.cancel();
      w.reject(err);
      this.byContext.delete(key);
    }
  }

  failAll(err: Error): void {
    for (const [key, w] of this.byContext) {
      w.timer.cancel();
      w.reject(err);
      this.byContext.delete(key);
    }
    for (const r of this.ready.splice(0)) {
      r.waiter.timer.cancel();
      r.waiter.reject(err);
    }
  }
}
