// Small statistics for the test platform: percentiles of a sample and the
// least-squares slope that tells a flat memory profile from a growing one.

export interface Distribution {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile (p in 0..100) of an ascending-sorted array; NaN when empty. */
export function percentileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  if (p <= 0) return sorted[0]!;
  if (p >= 100) return sorted[sorted.length - 1]!;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)]!;
}

export function distribution(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((s, v) => s + v, 0);
  return {
    count: sorted.length,
    min: sorted.length ? sorted[0]! : NaN,
    p50: percentileSorted(sorted, 50),
    p90: percentileSorted(sorted, 90),
    p99: percentileSorted(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
    mean: sorted.length ? sum / sorted.length : NaN,
  };
}

export interface Fit {
  /** Units of y per unit of x. */
  slope: number;
  intercept: number;
  /** Standard deviation of the residuals (the noise around the line). */
  residualStd: number;
  n: number;
}

/** Ordinary least squares y = slope * x + intercept; slope 0 with fewer than 2 distinct x. */
export function leastSquares(xs: readonly number[], ys: readonly number[]): Fit {
  const n = Math.min(xs.length, ys.length);
  if (n === 0) return { slope: 0, intercept: NaN, residualStd: 0, n: 0 };
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i]!;
    sy += ys[i]!;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const intercept = my - slope * mx;
  let rss = 0;
  for (let i = 0; i < n; i++) rss += (ys[i]! - (slope * xs[i]! + intercept)) ** 2;
  return { slope, intercept, residualStd: n > 2 ? Math.sqrt(rss / (n - 2)) : 0, n };
}

/** Keeps at most `max` points, evenly spaced, always keeping the first and the last. */
export function downsample<T>(rows: readonly T[], max: number): T[] {
  if (rows.length <= max || max < 2) return [...rows];
  const out: T[] = [];
  const step = (rows.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(rows[Math.round(i * step)]!);
  return out;
}

export const round = (v: number, digits = 2): number => (Number.isFinite(v) ? Number(v.toFixed(digits)) : v);

/**
 * The lowest sample of every `sliceS`-long slice from `fromS` (slices with
 * fewer than half their samples, one a second, left out): the level memory
 * returns to after each collection, without the sawtooth on top of it.
 */
export function troughs<T extends { t: number; anonMiB: number }>(samples: readonly T[], fromS: number, sliceS: number): T[] {
  const slices = new Map<number, T[]>();
  for (const s of samples) {
    const k = Math.floor((s.t - fromS) / sliceS);
    if (k < 0) continue;
    slices.set(k, [...(slices.get(k) ?? []), s]);
  }
  return [...slices.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v)
    .filter((v) => v.length >= sliceS / 2).map((v) => v.reduce((lo, s) => (s.anonMiB < lo.anonMiB ? s : lo)));
}
