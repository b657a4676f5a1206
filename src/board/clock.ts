// Time, as the board's runtime sees it: the real timers on a board, simulated
// time in the deterministic simulation. The Ready loop, the waiters and the
// ticker only ever use this.

export interface Timer {
  cancel(): void;
}

export interface BoardClock {
  /** Milliseconds since some fixed start (only differences mean anything). */
  now(): number;
  /** Runs `fn` as soon as the current work is done (after pending I/O callbacks). */
  soon(fn: () => void): void;
  /** Runs `fn` once after `ms`. */
  after(ms: number, fn: () => void): Timer;
  /** Runs `fn` every `ms`. */
  every(ms: number, fn: () => void): Timer;
}

export const systemClock: BoardClock = {
  now: () => performance.now(),
  soon: (fn) => {
    setImmediate(fn);
  },
  after: (ms, fn) => {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
  every: (ms, fn) => {
    const t = setInterval(fn, ms);
    return { cancel: () => clearInterval(t) };
  },
};
