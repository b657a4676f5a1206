// Randomness for the core comes from outside so that the same inputs always give the same outputs.

/** A source of uniformly distributed integers; injected into the core (election timeouts). */
export interface RandomSource {
  /** An integer in [0, n); n is a positive integer. */
  nextInt(n: number): number;
}

/**
 * A small, fast seeded generator (mulberry32). Good enough for election jitter
 * and for driving the simulation; not for cryptography.
 */
export class SeededRandom implements RandomSource {
  private state: number;

  constructor(seed: number) {
    this.state = (seed ^ 0x9e3779b9) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  nextInt(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.nextInt(items.length)] as T;
  }
}
