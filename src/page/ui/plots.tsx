// The plots: memory of every board over the last hour (the study's main graph), the latency
// of writes proposed through each board, and how long the leader's entries took to be
// applied on every board. Leader, boards with problems and boards the installer picked
// stand out; the rest stay in the background.
import { Chart, type ChartLine } from './chart.tsx';
import { ms } from './format.ts';
import type { Point, Store } from './store.ts';
import type { Member } from './types.ts';

function tone(store: Store, id: string, m: Member | undefined): string {
  if (store.selectedBoards.has(id)) return 'line-selected';
  if (m && (m.health === 'down' || m.health === 'degraded')) return 'line-problem';
  if (store.installation?.leader === id) return 'line-leader';
  return 'line-normal';
}

function lines(store: Store, value: (p: Point) => number | null): ChartLine[] {
  const members = new Map((store.installation?.members ?? []).map((m) => [m.id, m]));
  const out: ChartLine[] = [];
  for (const [id, points] of store.series) {
    const pts: Array<[number, number]> = [];
    for (const p of points) {
      const v = value(p);
      if (v !== null) pts.push([p[0], v]);
    }
    out.push({ key: id, label: id, points: pts, tone: tone(store, id, members.get(id)) });
  }
  return out;
}

function highest(ls: readonly ChartLine[], fmt: (v: number) => string): string {
  let best: { id: string; v: number } | null = null;
  for (const l of ls) {
    const last = l.points[l.points.length - 1];
    if (last && (best === null || last[1] > best.v)) best = { id: l.key, v: last[1] };
  }
  return best === null ? 'no samples yet' : `highest now: ${best.id} at ${fmt(best.v)}`;
}

export function Plots({ store, now }: { store: Store; now: number }) {
  const memory = lines(store, (p) => p[1] / 1024);
  const writes = lines(store, (p) => (p[4] > 0 ? p[5] / 1000 : null)).filter((l) => l.points.length > 0);
  const prop = store.propagation.filter((d) => d[1] > 0);
  const propagation: ChartLine[] = [
    { key: 'max', label: 'slowest entry per 10 s', points: prop.map((d) => [d[0], d[3] / 1000] as const), tone: 'line-max' },
    { key: 'mean', label: 'mean per 10 s', points: prop.map((d) => [d[0], d[2] / 1000] as const), tone: 'line-leader' },
  ];
  const lastProp = prop[prop.length - 1];
  return (
    <section id="plots" aria-labelledby="plots-h">
      <h2 id="plots-h">Plots</h2>
      <p class="muted">One sample per board every 10 seconds, the last hour. Press a board above to highlight it.</p>
      <div class="charts">
        <Chart
          id="chart-memory" title="Memory per board: anonymous resident memory" unit="MiB" lines={memory} now={now}
          summary={`${memory.length} boards; ${highest(memory, (v) => `${v.toFixed(1)} MiB`)}`}
        />
        <Chart
          id="chart-writes" title="Write latency: proposal to applied, per board where writes were made" unit="ms, mean per 10 s" lines={writes} now={now}
          summary={writes.length === 0 ? 'no writes in the last hour' : `${writes.length} boards took writes; ${highest(writes, (v) => ms(v))}`}
        />
        <Chart
          id="chart-propagation" title="Propagation: leader's commit to applied on every board" unit="ms" lines={propagation} now={now}
          summary={lastProp === undefined ? 'no entries measured yet' : `latest 10 s: mean ${ms(lastProp[2] / 1000)}, slowest ${ms(lastProp[3] / 1000)} over ${lastProp[1]} entries`}
        />
      </div>
      <p class="legend" aria-hidden="true">
        <span class="key line-leader" /> leader or mean <span class="key line-problem" /> board with a problem
        <span class="key line-selected" /> highlighted <span class="key line-max" /> slowest <span class="key line-normal" /> other boards
      </p>
    </section>
  );
}
