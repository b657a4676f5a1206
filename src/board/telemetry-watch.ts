// The installation view on a board that serves the installer's page. Only while a page is
// connected (and for a minute after the last one leaves), the board pulls the view from the
// leader once a second, page by page (view-request → view), keeps the last assembled view and
// an hour of every member's samples, and tells its listeners what changed. The first cycle of
// an active period asks for the members' whole hour; later cycles carry each member's newest
// sample only. When this board leads, the pages come from its own LeaderTelemetry.
import { randomInt } from 'node:crypto';
import type { DelaySample, Health, MemberView, Sample, TelemetryMessage, ViewPage } from './telemetry-codec.ts';
import { TELEMETRY_LIMITS } from './telemetry-codec.ts';
import type { LeaderTelemetry } from './telemetry-leader.ts';
import { DelayRing, SeriesRing } from './telemetry-series.ts';

/** How often an active board pulls the view. */
export const VIEW_INTERVAL_MS = 1_000;
/** The caches are kept this long after the last page disconnected (a page reloading keeps them). */
export const WATCH_LINGER_MS = 60_000;

export interface InstallationView {
  readonly leader: string;
  readonly term: number;
  readonly commitIndex: number;
  readonly lastIndex: number;
  /** Every member with its newest sample. */
  readonly members: readonly MemberView[];
  /** When it was assembled, on this board's clock. */
  readonly at: number;
}

export type WatchEvent =
  | { readonly type: 'view'; readonly view: InstallationView }
  | { readonly type: 'series'; readonly full: boolean; readonly members: ReadonlyMap<string, readonly Sample[]>; readonly propagation: readonly DelaySample[] };

export interface WatchInputs {
  readonly self: string;
  /** The leader this board knows of now. */
  leader(): string | null;
  readonly leaderTelemetry: LeaderTelemetry;
  send(to: string, msg: TelemetryMessage): boolean;
  /** A member's health changed between two known states. */
  healthChanged(id: string, from: Health, to: Health, reason: string): void;
  now(): number;
}

interface Cycle {
  readonly requestId: number;
  readonly leader: string;
  readonly full: boolean;
  readonly members: MemberView[];
  propagation: readonly DelaySample[];
}

export class InstallationWatch {
  private readonly listeners = new Set<(e: WatchEvent) => void>();
  private readonly series = new Map<string, SeriesRing>();
  private readonly propagation = new DelayRing();
  private readonly lastKnownHealth = new Map<string, Health>();
  private current: InstallationView | null = null;
  private cycle: Cycle | null = null;
  private nextRequestId = randomInt(0x3fff_ffff);
  private needFull = true;
  private idleSince: number | null = null;
  readonly counters = { cycles: 0, cyclesLost: 0, pagesIgnored: 0 };

  constructor(private readonly inputs: WatchInputs) {}

  get active(): boolean {
    return this.listeners.size > 0;
  }

  get view(): InstallationView | null {
    return this.current;
  }

  /** Starts pulling at once; the returned function unsubscribes. */
  subscribe(listener: (e: WatchEvent) => void): () => void {
    this.listeners.add(listener);
    this.idleSince = null;
    if (this.listeners.size === 1) this.tick();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.idleSince = this.inputs.now();
    };
  }

  /** Every member's hour of samples and the propagation history, as held now. */
  seriesSnapshot(): { members: Map<string, Sample[]>; propagation: DelaySample[] } {
    const now = this.inputs.now();
    return {
      members: new Map([...this.series].map(([id, ring]) => [id, ring.toSamples(now)])),
      propagation: this.propagation.toSamples(now),
    };
  }

  /** Called every VIEW_INTERVAL_MS by the board. */
  tick(): void {
    if (!this.active) {
      if (this.idleSince !== null && this.inputs.now() - this.idleSince >= WATCH_LINGER_MS) this.drop();
      return;
    }
    if (this.cycle !== null) this.counters.cyclesLost++;
    this.cycle = null;
    const leader = this.inputs.leader();
    if (leader === null) return;
    const requestId = (this.nextRequestId = (this.nextRequestId + 1) % 0x3fff_ffff);
    this.cycle = { requestId, leader, full: this.needFull, members: [], propagation: [] };
    this.request(0);
  }

  /** A view page from `from` (the leader, by its authenticated connection). */
  onView(from: string, requestId: number, page: ViewPage): void {
    const c = this.cycle;
    if (c === null || c.requestId !== requestId || c.leader !== from || page.leader !== from || page.from !== c.members.length) {
      this.counters.pagesIgnored++;
      return;
    }
    if (page.from === 0) c.propagation = page.propagation;
    c.members.push(...page.members);
    if (page.next !== null) {
      if (c.members.length >= TELEMETRY_LIMITS.maxMembers) return this.abandon();
      this.request(page.next);
      return;
    }
    this.cycle = null;
    this.counters.cycles++;
    this.finish(c, page);
  }

  private request(from: number): void {
    const c = this.cycle!;
    if (c.leader === this.inputs.self) {
      // Served locally, synchronously: same pages as a remote board would get.
      const page = this.inputs.leaderTelemetry.page(from, c.full);
      if (page === null) return this.abandon();
      this.onView(this.inputs.self, c.requestId, page);
      return;
    }
    if (!this.inputs.send(c.leader, { type: 'view-request', requestId: c.requestId, from, full: c.full })) this.abandon();
  }

  private abandon(): void {
    this.cycle = null;
    this.counters.cyclesLost++;
  }

  private finish(c: Cycle, last: ViewPage): void {
    const now = this.inputs.now();
    const added = new Map<string, Sample[]>();
    const keep = new Set(c.members.map((m) => m.id));
    for (const id of this.series.keys()) if (!keep.has(id)) this.series.delete(id);
    for (const m of c.members) {
      let ring = this.series.get(m.id);
      if (ring === undefined) this.series.set(m.id, (ring = new SeriesRing()));
      if (c.full) {
        ring.replace(m.series, now);
        continue;
      }
      const fresh = m.series.filter((s) => ring.appendIfNewer(s, now));
      if (fresh.length > 0) added.set(m.id, fresh);
    }
    let delays: DelaySample[] = [];
    if (c.full) {
      this.propagation.clear();
      for (const d of c.propagation) this.propagation.appendIfNewer(d, now);
    } else {
      delays = c.propagation.filter((d) => this.propagation.appendIfNewer(d, now));
    }
    const members = c.members.map((m) => ({ ...m, series: m.series.slice(-1) }));
    this.current = { leader: last.leader, term: last.term, commitIndex: last.commitIndex, lastIndex: last.lastIndex, members, at: now };
    this.emit({ type: 'view', view: this.current });
    this.noteHealth(members);
    if (c.full) {
      this.needFull = false;
      const snap = this.seriesSnapshot();
      this.emit({ type: 'series', full: true, members: snap.members, propagation: snap.propagation });
    } else if (added.size > 0 || delays.length > 0) {
      this.emit({ type: 'series', full: false, members: added, propagation: delays });
    }
  }

  /** Health changes between known states (a new leader's "waiting for a report" is not one). */
  private noteHealth(members: readonly MemberView[]): void {
    for (const m of members) {
      if (m.health === 'unknown') continue;
      const before = this.lastKnownHealth.get(m.id);
      this.lastKnownHealth.set(m.id, m.health);
      if (before !== undefined && before !== m.health) this.inputs.healthChanged(m.id, before, m.health, m.reason);
    }
    if (this.lastKnownHealth.size > members.length) {
      const keep = new Set(members.map((m) => m.id));
      for (const id of this.lastKnownHealth.keys()) if (!keep.has(id)) this.lastKnownHealth.delete(id);
    }
  }

  private emit(e: WatchEvent): void {
    for (const l of this.listeners) l(e);
  }

  private drop(): void {
    this.idleSince = null;
    this.series.clear();
    this.propagation.clear();
    this.lastKnownHealth.clear();
    this.current = null;
    this.cycle = null;
    this.needFull = true;
  }
}
