// A small line chart drawn as SVG polylines: the last hour on the x axis, one line per
// series. No plotting library: a page this size needs axes, lines and a text alternative.
import { useEffect, useRef, useState } from 'preact/hooks';
import { HOUR_MS } from './store.ts';

export interface ChartLine {
  readonly key: string;
  readonly label: string;
  /** [time on the page's clock, value] */
  readonly points: ReadonlyArray<readonly [number, number]>;
  /** line-normal, line-leader, line-problem, line-selected, line-max */
  readonly tone: string;
}

interface Props {
  readonly id: string;
  readonly title: string;
  readonly unit: string;
  readonly lines: readonly ChartLine[];
  readonly now: number;
  /** What a screen reader reads instead of the picture. */
  readonly summary: string;
}

const H = 200;
const PAD = { left: 48, right: 10, top: 10, bottom: 26 };

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

/** The drawing is as wide as its box, so labels keep their size on a phone. */
function useWidth(): [preact.RefObject<HTMLElement | null>, number] {
  const ref = useRef<HTMLElement>(null);
  const [width, setWidth] = useState(480);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setWidth(Math.max(240, Math.round(el.clientWidth))));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

export function Chart({ id, title, unit, lines, now, summary }: Props) {
  const [ref, W] = useWidth();
  const start = now - HOUR_MS;
  let max = 0;
  for (const l of lines) for (const [t, v] of l.points) if (t >= start && v > max) max = v;
  const top = niceMax(max * 1.05);
  const x = (t: number): number => PAD.left + ((t - start) / HOUR_MS) * (W - PAD.left - PAD.right);
  const y = (v: number): number => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * top);
  const xTicks = [60, 45, 30, 15, 0];
  // Emphasised lines are drawn last, on top.
  const order = [...lines].sort((a, b) => rank(a.tone) - rank(b.tone));
  const empty = lines.every((l) => l.points.length === 0);
  return (
    <figure class="chart" ref={ref}>
      <figcaption id={`${id}-title`}>{title} <span class="unit">({unit})</span></figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id}-title ${id}-desc`}>
        <desc id={`${id}-desc`}>{summary}</desc>
        {yTicks.map((v) => (
          <g key={`y${v}`}>
            <line class="grid" x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} />
            <text class="tick" x={PAD.left - 6} y={y(v) + 4} text-anchor="end">{formatTick(v)}</text>
          </g>
        ))}
        {xTicks.map((m) => (
          <text key={`x${m}`} class="tick" x={x(now - m * 60_000)} y={H - 8} text-anchor={m === 60 ? 'start' : m === 0 ? 'end' : 'middle'}>
            {m === 0 ? 'now' : `−${m} min`}
          </text>
        ))}
        {order.map((l) => (
          <polyline
            key={l.key}
            class={`line ${l.tone}`}
            points={l.points.filter(([t]) => t >= start).map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}
          >
            <title>{l.label}</title>
          </polyline>
        ))}
        {empty && <text class="empty" x={W / 2} y={H / 2} text-anchor="middle">no samples yet (one every 10 s)</text>}
      </svg>
    </figure>
  );
}

function rank(tone: string): number {
  return tone === 'line-selected' ? 4 : tone === 'line-problem' ? 3 : tone === 'line-leader' ? 2 : tone === 'line-max' ? 1 : 0;
}

function formatTick(v: number): string {
  if (v === 0) return '0';
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(0);
  if (v >= 1) return v.toFixed(1);
  return v.toFixed(2);
}
