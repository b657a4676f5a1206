import t from 'tap';
import { distribution, downsample, leastSquares, percentileSorted } from '../../src/bench/stats.ts';

t.test('nearest-rank percentiles', async (t) => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
  t.equal(percentileSorted(xs, 50), 50);
  t.equal(percentileSorted(xs, 90), 90);
  t.equal(percentileSorted(xs, 99), 99);
  t.equal(percentileSorted(xs, 100), 100);
  t.equal(percentileSorted(xs, 0), 1);
  t.equal(percentileSorted([7], 99), 7);
  t.ok(Number.isNaN(percentileSorted([], 50)));
});

t.test('distribution sorts its input and reports the tails', async (t) => {
  const d = distribution([5, 1, 4, 2, 3, 1000]);
  t.equal(d.count, 6);
  t.equal(d.min, 1);
  t.equal(d.max, 1000);
  t.equal(d.p50, 3);
  t.equal(d.p99, 1000);
  t.equal(d.mean, 1015 / 6);
  t.equal(distribution([]).count, 0);
});

t.test('least squares finds a line and measures the noise around it', async (t) => {
  const xs = Array.from({ length: 50 }, (_, i) => i);
  const exact = leastSquares(xs, xs.map((x) => 3 * x + 2));
  t.ok(Math.abs(exact.slope - 3) < 1e-9);
  t.ok(Math.abs(exact.intercept - 2) < 1e-9);
  t.ok(exact.residualStd < 1e-9);
  // A flat sawtooth: slope near 0, noise near the tooth height.
  const saw = leastSquares(xs, xs.map((x) => 60 + (x % 2 === 0 ? 1 : -1)));
  t.ok(Math.abs(saw.slope) < 0.01, `slope ${saw.slope}`);
  t.ok(saw.residualStd > 0.9 && saw.residualStd < 1.1, `noise ${saw.residualStd}`);
  t.equal(leastSquares([1, 1, 1], [1, 2, 3]).slope, 0, 'no spread in x: no slope');
  t.equal(leastSquares([], []).n, 0);
});

t.test('downsample keeps the ends and the size cap', async (t) => {
  const rows = Array.from({ length: 1001 }, (_, i) => i);
  const d = downsample(rows, 11);
  t.equal(d.length, 11);
  t.equal(d[0], 0);
  t.equal(d[10], 1000);
  t.same(d, [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
  t.same(downsample([1, 2, 3], 10), [1, 2, 3]);
});

t.test('troughs: the low of each slice, short slices left out', async (t) => {
  const { troughs } = await import('../../src/bench/stats.ts');
  // A sawtooth 10..14 every 5 s on a level rising 1 MiB per 20 s.
  const samples = Array.from({ length: 61 }, (_, i) => ({ t: 60 + i, anonMiB: 10 + (i % 5) + i / 20 }));
  const lows = troughs(samples, 60, 20);
  t.same(lows.map((s) => s.t), [60, 80, 100], 'the last slice (t = 120 only) is too short');
  t.same(lows.map((s) => s.anonMiB), [10, 11, 12]);
});
