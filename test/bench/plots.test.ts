import t from 'tap';
import { cdfRows, cdfSpec, memorySpec, renderSvg, seriesSpec } from '../../src/bench/plots.ts';

t.test('CDF rows: 200 steps per series, ending at the maximum', async (t) => {
  const rows = cdfRows({ a: [3, 1, 2, 100], empty: [] });
  t.equal(rows.length, 200);
  t.same(rows[rows.length - 1], { series: 'a', percentile: 100, ms: 100 });
  t.equal(rows.find((r) => r.percentile === 50)!.ms, 2);
  t.ok(rows.every((r) => (r.ms as number) > 0), 'log axis needs positive values');
});

t.test('memory plot renders to SVG headless with every board and the goal line', async (t) => {
  const rows = ['v1', 'v2'].flatMap((board) => Array.from({ length: 20 }, (_, i) => ({ t: i, board, role: 'voter', rssMiB: 50 + i / 10 })));
  const svg = await renderSvg(memorySpec(rows, 2, 64, 'RSS test plot'));
  t.match(svg, /^<svg/);
  t.match(svg, /RSS test plot/);
  t.match(svg, /v1/);
  t.match(svg, /v2/);
  t.match(svg, /RSS \(MiB\)/);
});

t.test('many boards: colour by role, no per-board legend', async (t) => {
  const rows = Array.from({ length: 30 }, (_, b) => ({ t: 0, board: `e${b}`, role: b < 5 ? 'voter' : 'external', cpuPct: b }));
  const svg = await renderSvg(seriesSpec(rows, 'cpuPct', 'CPU', 'cpu', 30));
  t.match(svg, /external/);
  t.notMatch(svg, />e17</);
});

t.test('latency CDF renders', async (t) => {
  const svg = await renderSvg(cdfSpec(cdfRows({ raftlight: [1, 2, 3], etcd: [2, 4, 8] }), 'latency', 'ms'));
  t.match(svg, /raftlight/);
  t.match(svg, /etcd/);
});
