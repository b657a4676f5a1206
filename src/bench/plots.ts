// SVG plots made with Vega-Lite, rendered headless (no browser, no canvas).
// vega is loaded lazily by name so the firmware bundle does not carry it.

export type Row = Record<string, string | number | boolean | null>;
export type VegaLiteSpec = Record<string, unknown>;

/** Cap: points per series handed to the renderer (keeps plots small and fast to draw). */
export const MAX_POINTS_PER_SERIES = 600;

interface VegaModule {
  View: new (runtime: unknown, opts: { renderer: string }) => { toSVG(): Promise<string>; finalize(): void };
  parse(spec: unknown): unknown;
}
interface VegaLiteModule {
  compile(spec: unknown): { spec: unknown };
}

export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const vegaName = 'vega';
  const liteName = 'vega-lite';
  let vega: VegaModule;
  let vl: VegaLiteModule;
  try {
    vega = (await import(vegaName)) as VegaModule;
    vl = (await import(liteName)) as VegaLiteModule;
  } catch {
    throw new Error('plots need the vega and vega-lite packages: run the bench from the sources (npm run bench)');
  }
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const base = (title: string, values: Row[]): VegaLiteSpec => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title, width: 720, height: 320, data: { values }, background: 'white',
});

/** Memory over time per board (the seed study's main graph), with a goal or budget as a rule. */
export function memorySpec(rows: Row[], boards: number, goalMiB: number, title = 'RSS per board', field = 'rssMiB', yTitle = 'RSS (MiB)'): VegaLiteSpec {
  const legend = boards <= 12;
  return {
    ...base(title, rows),
    layer: [
      {
        mark: { type: 'line', strokeWidth: legend ? 1.5 : 0.8, opacity: legend ? 1 : 0.6 },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'time (s)' },
          y: { field, type: 'quantitative', title: yTitle },
          color: legend ? { field: 'board', type: 'nominal' } : { field: 'role', type: 'nominal' },
          ...(legend ? {} : { detail: { field: 'board', type: 'nominal' } }),
        },
      },
      {
        data: { values: [{ goal: goalMiB }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: 'red' },
        encoding: { y: { field: 'goal', type: 'quantitative' } },
      },
    ],
  };
}

/** Any per-board time series (CPU, log entries, WAL bytes). */
export function seriesSpec(rows: Row[], field: string, yTitle: string, title: string, boards: number): VegaLiteSpec {
  const legend = boards <= 12;
  return {
    ...base(title, rows),
    mark: { type: 'line', strokeWidth: legend ? 1.5 : 0.8 },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'time (s)' },
      y: { field, type: 'quantitative', title: yTitle },
      color: legend ? { field: 'board', type: 'nominal' } : { field: 'role', type: 'nominal' },
      ...(legend ? {} : { detail: { field: 'board', type: 'nominal' } }),
    },
  };
}

/** Cumulative distribution rows: value at each percentile 0.5..100, per series. */
export function cdfRows(series: Record<string, readonly number[]>): Row[] {
  const out: Row[] = [];
  for (const [name, values] of Object.entries(series)) {
    const sorted = [...values].sort((a, b) => a - b);
    if (sorted.length === 0) continue;
    for (let p = 0.5; p <= 100; p += 0.5) {
      const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
      out.push({ series: name, percentile: p, ms: Math.max(0.01, sorted[idx]!) });
    }
  }
  return out;
}

/** Latency or propagation CDF on a log time axis: reads as "p% of writes took at most x ms". */
export function cdfSpec(rows: Row[], title: string, xTitle: string): VegaLiteSpec {
  return {
    ...base(title, rows),
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 'ms', type: 'quantitative', title: xTitle, scale: { type: 'log' } },
      y: { field: 'percentile', type: 'quantitative', title: 'percent of writes at or below', scale: { domain: [0, 100] } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

/**
 * Voters and healthy voters over time (the leader's view), with the fault events as rules:
 * rows { t, series: 'voters' | 'healthy voters', n } and events { t, label }.
 */
export function voterSpec(rows: Row[], events: Row[], title: string, yMax: number): VegaLiteSpec {
  return {
    ...base(title, rows),
    layer: [
      {
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.8 },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'time (s)' },
          y: { field: 'n', type: 'quantitative', title: 'voters', scale: { domain: [0, yMax] }, axis: { tickMinStep: 1 } },
          color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom-right', fillColor: 'white' } },
          strokeDash: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom-right', fillColor: 'white' } },
        },
      },
      {
        data: { values: events },
        mark: { type: 'rule', color: 'gray', strokeDash: [2, 3] },
        encoding: { x: { field: 't', type: 'quantitative' } },
      },
      {
        data: { values: events },
        mark: { type: 'text', align: 'left', dx: 3, dy: -4, fontSize: 9, angle: 0, baseline: 'bottom' },
        encoding: { x: { field: 't', type: 'quantitative' }, y: { value: 12 }, text: { field: 'label' } },
      },
    ],
  };
}

/** A figure against the hard memory limit per board (--limit-sweep), one line per series; optionally a dashed reference. */
export function sweepSpec(rows: Row[], field: string, yTitle: string, title: string, logScale: boolean, reference?: number): VegaLiteSpec {
  const line = {
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'limitMiB', type: 'quantitative', title: 'hard limit per board (MiB)', scale: { zero: false } },
      y: { field, type: 'quantitative', title: yTitle, ...(logScale ? { scale: { type: 'log' } } : {}) },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
  if (reference === undefined || !Number.isFinite(reference)) return { ...base(title, rows), ...line };
  return {
    ...base(title, rows),
    layer: [
      line,
      {
        data: { values: [{ reference }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' },
        encoding: { y: { field: 'reference', type: 'quantitative' } },
      },
    ],
  };
}
