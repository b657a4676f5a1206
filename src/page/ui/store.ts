// Everything the page shows, fed by the live stream and by REST reads of the configuration.
// Mutable, with a version that views re-render on; every list is capped like the board's.
import type {
  BoardStatus, ChangeEvent, ChangeRecord, DelayRow, Hello, Installation, ObjectKind, SampleRow, SeriesEvent, StoredObject, TimelineEntry,
} from './types.ts';
import { KINDS } from './types.ts';
import type { LinkState } from './live.ts';

export const HOUR_MS = 3_600_000;
const MAX_SAMPLES = 360;
const MAX_FEED = 200;
const MAX_HISTORY_RECORDS = 2_000;
const MAX_TIMELINE = 200;

/** A sample placed on the page's clock: [t, anonKiB, fileKiB, cpu‰, writes, meanUs, maxUs]. */
export type Point = [number, number, number, number, number, number, number];
/** [t, count, meanUs, maxUs] */
export type DelayPoint = [number, number, number, number];

export interface FeedItem {
  readonly at: number;
  readonly revision: number;
  readonly kind: ObjectKind;
  readonly id: string;
  readonly op: 'create' | 'update' | 'delete';
}

export class Store {
  version = 0;
  link: { state: LinkState; detail: string } = { state: 'connecting', detail: '' };
  hello: Hello | null = null;
  board: BoardStatus | null = null;
  installation: Installation | null = null;
  /** When the installation view arrived (page clock) and how old it was then. */
  installationAt = 0;
  readonly series = new Map<string, Point[]>();
  propagation: DelayPoint[] = [];
  timeline: TimelineEntry[] = [];
  feed: FeedItem[] = [];
  history: ChangeRecord[] = [];
  readonly objects = new Map<ObjectKind, Map<string, StoredObject>>(KINDS.map((k) => [k, new Map()]));
  configState: 'loading' | 'ready' | 'error' = 'loading';
  configError = '';
  /** Boards the installer picked to highlight in the plots. */
  readonly selectedBoards = new Set<string>();
  selectedObject: { kind: ObjectKind; id: string } | null = null;
  private readonly listeners = new Set<() => void>();
  private scheduled = false;

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-render once per animation frame, however many events arrived. */
  changed(): void {
    this.version++;
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      for (const l of this.listeners) l();
    });
  }

  /** Applies one event of the live stream. */
  apply(name: string, data: unknown): void {
    const now = Date.now();
    switch (name) {
      case 'hello':
        this.hello = data as Hello;
        break;
      case 'board':
        this.board = data as BoardStatus;
        break;
      case 'installation':
        this.installation = data as Installation | null;
        this.installationAt = now - (this.installation?.ageMs ?? 0);
        break;
      case 'series':
        this.applySeries(data as SeriesEvent, now);
        break;
      case 'timeline': {
        const entries = (data as { entries: TimelineEntry[] }).entries;
        this.timeline = [...this.timeline, ...entries].slice(-MAX_TIMELINE);
        break;
      }
      case 'changes': {
        const { changes } = data as { changes: ChangeRecord[] };
        this.history = changes.slice(-MAX_HISTORY_RECORDS);
        if (this.feed.length === 0) {
          this.feed = changes.slice(-MAX_FEED).reverse().map((c) => ({ at: 0, revision: c.revision, kind: c.kind, id: c.id, op: c.op }));
        }
        break;
      }
      case 'change': {
        const e = data as ChangeEvent;
        const items = e.changes.map((c) => ({ at: now, revision: e.revision, kind: c.kind, id: c.id, op: c.op }));
        this.feed = [...items.reverse(), ...this.feed.filter((f) => f.revision !== e.revision)].slice(0, MAX_FEED);
        this.history = [...this.history, ...e.changes.map((c) => ({ revision: e.revision, kind: c.kind, id: c.id, op: c.op }))].slice(-MAX_HISTORY_RECORDS);
        break;
      }
      default:
        return;
    }
    this.changed();
  }

  private applySeries(e: SeriesEvent, now: number): void {
    const place = (r: SampleRow): Point => [now - r[0], r[1], r[2], r[3], r[4], r[5], r[6]];
    if (e.full) {
      this.series.clear();
      for (const [id, rows] of Object.entries(e.members)) this.series.set(id, rows.map(place));
      this.propagation = e.propagation.map((d: DelayRow) => [now - d[0], d[1], d[2], d[3]]);
      return;
    }
    for (const [id, rows] of Object.entries(e.members)) {
      const list = this.series.get(id) ?? [];
      list.push(...rows.map(place));
      this.series.set(id, trim(list, now));
    }
    this.propagation = trim([...this.propagation, ...e.propagation.map((d): DelayPoint => [now - d[0], d[1], d[2], d[3]])], now);
    if (this.installation) {
      const ids = new Set(this.installation.members.map((m) => m.id));
      for (const id of this.series.keys()) if (!ids.has(id)) this.series.delete(id);
    }
  }

  setObject(o: StoredObject): void {
    this.objects.get(o.kind)!.set(o.id, o);
  }

  deleteObject(kind: ObjectKind, id: string): void {
    this.objects.get(kind)!.delete(id);
  }
}

function trim<T extends readonly number[]>(list: T[], now: number): T[] {
  const from = list.findIndex((p) => p[0]! >= now - HOUR_MS);
  const kept = from < 0 ? [] : list.slice(from);
  return kept.length > MAX_SAMPLES ? kept.slice(-MAX_SAMPLES) : kept;
}
