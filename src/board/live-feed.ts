// The events of the installer's page (served by src/api/stream.ts), in the JSON the page
// reads (src/page/ui/types.ts mirrors it):
//   hello          {id, cluster, version, serverTime}
//   board          this board: {id, role, raftRole, leader, term, commitIndex, appliedIndex}
//   installation   the leader's view: {leader, term, commitIndex, lastIndex, ageMs, members: [...]} or null
//   series         {full, members: {id: [[ageMs, anonKiB, fileKiB, cpu‰, writes, meanUs, maxUs], ...]},
//                   propagation: [[ageMs, count, meanUs, maxUs], ...]}  (whole hour, then additions)
//   timeline       {entries: [{at, kind, text}]}  (all at first, then one by one)
//   changes        {appliedIndex, changes: [{revision, kind, id, op}]}  (recent, at first)
//   change         {revision, requestId, changes: [{kind, id, op, revision}]}  (as each commits here)
import type { LiveEvent, LiveSource } from '../api/stream.ts';
import type { StateMachine } from '../state/index.ts';
import type { ApplyResult } from '../state/results.ts';
import type { DelaySample, MemberView, Sample } from './telemetry-codec.ts';
import type { BoardTelemetry } from './telemetry.ts';
import type { InstallationView, WatchEvent } from './telemetry-watch.ts';
import type { TimelineEntry } from './timeline.ts';

/** Change records a new page starts with. */
export const RECENT_CHANGES = 200;

export interface LiveFeedDeps {
  readonly id: string;
  readonly cluster: string;
  readonly version: string;
  readonly telemetry: BoardTelemetry;
  board(): Record<string, unknown>;
  state(): StateMachine;
}

export class LiveFeed implements LiveSource {
  private readonly listeners = new Set<(e: LiveEvent) => void>();
  private detach: Array<() => void> = [];
  /** The last `board` event sent, to send it again only when it changed. */
  private lastBoard = '';

  constructor(private readonly d: LiveFeedDeps) {}

  initial(): LiveEvent[] {
    const t = this.d.telemetry;
    const series = t.watch.seriesSnapshot();
    const state = this.d.state();
    return [
      { event: 'hello', data: { id: this.d.id, cluster: this.d.cluster, version: this.d.version, serverTime: Date.now() } },
      { event: 'board', data: this.d.board() },
      { event: 'installation', data: installationJson(t.watch.view, performance.now()) },
      { event: 'series', data: seriesJson(true, series.members, series.propagation) },
      { event: 'timeline', data: { entries: t.timeline.entries() } },
      { event: 'changes', data: { appliedIndex: state.appliedIndex(), changes: recentChanges(state, RECENT_CHANGES) } },
    ];
  }

  subscribe(send: (e: LiveEvent) => void): () => void {
    this.listeners.add(send);
    if (this.listeners.size === 1) {
      const t = this.d.telemetry;
      this.detach = [
        t.watch.subscribe((e) => this.onWatch(e)),
        t.timeline.subscribe((e: TimelineEntry) => this.emit({ event: 'timeline', data: { entries: [e] } })),
      ];
    }
    return () => {
      this.listeners.delete(send);
      if (this.listeners.size === 0) {
        for (const f of this.detach) f();
        this.detach = [];
      }
    };
  }

  /** An applied command (from the Ready loop's hook). */
  applied(result: ApplyResult): void {
    if (this.listeners.size === 0 || result.changes.length === 0) return;
    this.emit({
      event: 'change',
      data: { revision: result.index, requestId: result.requestId, changes: result.changes.map((c) => ({ kind: c.kind, id: c.id, op: c.op, revision: c.revision })) },
    });
  }

  /** Leader or role of this board changed. */
  boardChanged(): void {
    if (this.listeners.size > 0) this.emitBoard();
  }

  private emitBoard(): void {
    const data = this.d.board();
    const text = JSON.stringify(data);
    if (text === this.lastBoard) return;
    this.lastBoard = text;
    this.emit({ event: 'board', data });
  }

  private onWatch(e: WatchEvent): void {
    if (e.type === 'view') {
      this.emitBoard();
      this.emit({ event: 'installation', data: installationJson(e.view, performance.now()) });
    } else {
      this.emit({ event: 'series', data: seriesJson(e.full, e.members, e.propagation) });
    }
  }

  private emit(e: LiveEvent): void {
    for (const l of this.listeners) l(e);
  }
}

function memberJson(m: MemberView): Record<string, unknown> {
  const f = m.figures;
  return {
    id: m.id, role: m.role, health: m.health, reason: m.reason,
    lastContactMs: m.lastContactMs, lagEntries: m.lagEntries,
    propagationMs: m.propagationUs === null ? null : m.propagationUs / 1000,
    ...(f === null ? { reported: false } : {
      reported: true, raftRole: f.raftRole, domain: f.domain, version: f.version, uptimeS: f.uptimeS,
      anonBytes: f.anonKiB * 1024, fileBytes: f.fileKiB * 1024, cpu: f.cpuPermille / 1000,
      appliedIndex: f.appliedIndex, term: f.term, reportAgeMs: m.reportAgeMs,
    }),
  };
}

export function installationJson(v: InstallationView | null, now: number): Record<string, unknown> | null {
  if (v === null) return null;
  return {
    leader: v.leader, term: v.term, commitIndex: v.commitIndex, lastIndex: v.lastIndex,
    ageMs: Math.max(0, Math.round(now - v.at)),
    members: v.members.map(memberJson),
  };
}

export function seriesJson(full: boolean, members: ReadonlyMap<string, readonly Sample[]>, propagation: readonly DelaySample[]): Record<string, unknown> {
  const out: Record<string, number[][]> = {};
  for (const [id, samples] of members) {
    out[id] = samples.map((s) => [s.ageMs, s.anonKiB, s.fileKiB, s.cpuPermille, s.writes, s.writeMeanUs, s.writeMaxUs]);
  }
  return { full, members: out, propagation: propagation.map((d) => [d.ageMs, d.count, d.meanUs, d.maxUs]) };
}

/** The newest change records the board still keeps (the change log is pruned from below). */
export function recentChanges(state: StateMachine, n: number): unknown[] {
  const applied = state.appliedIndex();
  let since = Math.max(0, applied - n);
  for (let attempt = 0; attempt < 16 && since < applied; attempt++) {
    try {
      return state.changesSince(since, 1000).changes.slice(-n);
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'COMPACTED') throw err;
      since = applied - Math.floor((applied - since) / 2);
    }
  }
  return [];
}
