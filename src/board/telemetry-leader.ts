// What the leader knows about every member: its latest report, an hour of its samples, its
// health and why. Built from the members' reports (side messages), the leader's Raft progress
// and its transport links; served as view pages to boards that show the installer's page.
import type { PeerStatus, RaftStatus } from '../raft/index.ts';
import type { PeerStats } from '../transport/transport.ts';
import { encodedMemberBytes, TELEMETRY_LIMITS, type BoardFigures, type BoardReport, type BoardRole, type Health, type MemberView, type ViewPage } from './telemetry-codec.ts';
import { LEADER_COMMIT_WINDOW, PropagationTracker } from './propagation-tracker.ts';
import { SeriesRing } from './telemetry-series.ts';

/** Members report this often (and at once when they see a new leader). */
export const REPORT_INTERVAL_MS = 2_000;
/** A report older than this means the board is down. */
export const REPORT_STALE_MS = 3 * REPORT_INTERVAL_MS;
/**
 * A new leader calls a silent board without a connection down once a dial to it failed, or
 * after this long (a 100-board leader dials everyone at once when elected).
 */
export const CONNECT_GRACE_MS = 5_000;
/** More entries than this behind the leader makes a board degraded. */
export const LAG_DEGRADED_ENTRIES = 500;
/** CPU at or above this share of one core makes a board degraded. */
export const CPU_DEGRADED_PERMILLE = 900;
/** The pages of one view cycle share the member list computed for its first page. */
const VIEW_CACHE_MS = 500;
/** A series-request to the same member at most this often. */
const SERIES_REQUEST_INTERVAL_MS = 30_000;

/** The narrow view of one member that other modules (the page, autopilot) rely on. */
export type MemberHealth = Omit<MemberView, 'series'>;

export interface HealthInputs {
  readonly isLeader: boolean;
  readonly connected: boolean;
  /** A dial to the board failed (or messages to it were dropped unsent) since this leadership began. */
  readonly dialFailed: boolean;
  readonly reportAgeMs: number | null;
  readonly leaderForMs: number;
  readonly lagEntries: number | null;
  readonly progress: PeerStatus | null;
  readonly cpuPermille: number | null;
}

/** Health and its reason, from what the leader sees; the first rule that matches wins. */
export function assessHealth(i: HealthInputs): { health: Health; reason: string } {
  if (i.isLeader) return { health: 'ok', reason: 'leader' };
  const secs = (ms: number): string => `${Math.round(ms / 1000)} s`;
  if (i.reportAgeMs === null) {
    if (!i.connected && (i.dialFailed || i.leaderForMs >= CONNECT_GRACE_MS)) return { health: 'down', reason: 'unreachable: no connection' };
    return { health: 'unknown', reason: 'waiting for its first report' };
  }
  if (i.reportAgeMs > REPORT_STALE_MS) {
    return { health: 'down', reason: `no report for ${secs(i.reportAgeMs)}${i.connected ? '' : ', no connection'}` };
  }
  if (!i.connected) {
    return i.reportAgeMs > REPORT_INTERVAL_MS * 1.25
      ? { health: 'down', reason: 'connection lost' }
      : { health: 'degraded', reason: 'connection lost just now' };
  }
  if (i.progress?.state === 'snapshot') return { health: 'degraded', reason: 'receiving a snapshot' };
  if (i.lagEntries !== null && i.lagEntries > LAG_DEGRADED_ENTRIES) return { health: 'degraded', reason: `${i.lagEntries} entries behind` };
  if (i.cpuPermille !== null && i.cpuPermille >= CPU_DEGRADED_PERMILLE) {
    return { health: 'degraded', reason: `CPU at ${Math.round(i.cpuPermille / 10)} % of a core` };
  }
  return { health: 'ok', reason: '' };
}

export interface LeaderInputs {
  readonly self: string;
  status(): RaftStatus;
  links(): ReadonlyMap<string, PeerStats>;
  /** This board's own figures and history (it reports to itself). */
  selfFigures(): BoardFigures;
  selfSeries(): SeriesRing;
  now(): number;
}

interface MemberRecord {
  figures: BoardFigures | null;
  reportAt: number;
  readonly series: SeriesRing;
  /** The member sent its whole history to this leader (else the leader asks for it). */
  hasHistory: boolean;
  seriesRequestedAt: number;
  propagationUs: number | null;
}

export class LeaderTelemetry {
  private readonly records = new Map<string, MemberRecord>();
  readonly propagation = new PropagationTracker();
  private leaderSince: number | null = null;
  private term = 0;
  /** Per peer when this leadership began: messages dropped plus dead links (more since then, unconnected, is a failed dial). */
  private readonly failuresAtStart = new Map<string, number>();
  private cached: { at: number; views: MemberView[] } | null = null;

  constructor(private readonly inputs: LeaderInputs) {}

  /** Called on every Ready's soft state: leadership starts or ends. */
  leadershipChanged(isLeader: boolean, term: number): void {
    if (isLeader && (this.leaderSince === null || term !== this.term)) {
      this.leaderSince = this.inputs.now();
      this.term = term;
      this.records.clear();
      this.propagation.reset();
      this.failuresAtStart.clear();
      for (const [id, link] of this.inputs.links()) this.failuresAtStart.set(id, link.dropped + link.deadLinks);
    } else if (!isLeader && this.leaderSince !== null) {
      this.leaderSince = null;
      this.cached = null;
      this.records.clear();
      this.propagation.reset();
    }
  }

  get isLeader(): boolean {
    return this.leaderSince !== null;
  }

  /** The leader knows entries first..last committed (before it sends that on and applies them). */
  leaderCommitted(first: number, last: number): void {
    if (!this.isLeader) return;
    const now = this.inputs.now();
    // At most the tracker's window of entries matters.
    for (let i = Math.max(first, last - LEADER_COMMIT_WINDOW + 1); i <= last; i++) this.propagation.leaderCommitted(i, now);
  }

  /**
   * A member's report. Returns true when the leader wants the member's whole history
   * (it has not had it since it became leader); the caller sends a series-request.
   */
  ingest(from: string, report: BoardReport): boolean {
    if (!this.isLeader || report.id !== from) return false;
    const members = this.memberIds();
    if (!members.has(from)) return false;
    const now = this.inputs.now();
    let rec = this.records.get(from);
    if (rec === undefined) {
      rec = { figures: null, reportAt: 0, series: new SeriesRing(), hasHistory: false, seriesRequestedAt: -Infinity, propagationUs: null };
      this.records.set(from, rec);
    }
    const { marks: _m, full: _f, series: _s, ...figures } = report;
    rec.figures = figures;
    rec.reportAt = now;
    if (report.full) {
      rec.series.replace(report.series, now);
      rec.hasHistory = true;
    } else for (const s of report.series) rec.series.appendIfNewer(s, now);
    const expected = members.size - 1;
    for (const m of report.marks) {
      const us = this.propagation.mark(from, m.index, now - m.agoMs, expected);
      if (us !== null) rec.propagationUs = us;
    }
    if (!rec.hasHistory && now - rec.seriesRequestedAt >= SERIES_REQUEST_INTERVAL_MS) {
      rec.seriesRequestedAt = now;
      return true;
    }
    return false;
  }

  /** Drops records of boards that are no longer members. */
  prune(): void {
    const members = this.memberIds();
    for (const id of this.records.keys()) if (!members.has(id)) this.records.delete(id);
  }

  sample(): void {
    if (this.isLeader) this.propagation.sample(this.inputs.now());
  }

  /** Every member with its health, voters first; empty when this board does not lead. */
  health(): MemberHealth[] {
    return this.views(false).map(({ series: _s, ...h }) => h);
  }

  /** One page of the installation view, filled up to the side payload cap. */
  page(from: number, full: boolean): ViewPage | null {
    if (!this.isLeader) return null;
    const s = this.inputs.status();
    const now = this.inputs.now();
    if (from === 0 || this.cached === null || now - this.cached.at > VIEW_CACHE_MS) this.cached = { at: now, views: this.views(false) };
    const all = this.cached.views;
    const start = Math.min(from, all.length);
    const budget = TELEMETRY_LIMITS.maxPayloadBytes - 512 - (start === 0 ? (full ? 360 : 1) * 24 : 0);
    const members: MemberView[] = [];
    let used = 0;
    for (let i = start; i < all.length; i++) {
      const m = full ? { ...all[i]!, series: this.seriesOf(all[i]!.id)?.toSamples(now) ?? [] } : all[i]!;
      const size = encodedMemberBytes(m);
      if (members.length > 0 && used + size > budget) break;
      members.push(m);
      used += size;
    }
    const end = start + members.length;
    const delays = this.propagation.history.toSamples(now);
    return {
      leader: this.inputs.self, term: s.term, commitIndex: s.commit, lastIndex: s.lastIndex,
      total: all.length, from: start, next: end < all.length ? end : null,
      propagation: start !== 0 ? [] : full ? delays : delays.slice(-1),
      members,
    };
  }

  private seriesOf(id: string): SeriesRing | undefined {
    return id === this.inputs.self ? this.inputs.selfSeries() : this.records.get(id)?.series;
  }

  private memberIds(): Set<string> {
    const cs = this.inputs.status().confState;
    return new Set([...cs.voters, ...cs.votersOutgoing, ...cs.learners]);
  }

  /** Every member with its health and its newest sample (or its whole series when `full`). */
  private views(full: boolean): MemberView[] {
    if (!this.isLeader) return [];
    const s = this.inputs.status();
    const links = this.inputs.links();
    const now = this.inputs.now();
    const leaderFor = now - (this.leaderSince ?? now);
    const voters = [...new Set([...s.confState.voters, ...s.confState.votersOutgoing])].sort();
    const learners = [...s.confState.learners].sort();
    const out: MemberView[] = [];
    for (const [role, ids] of [['voter', voters], ['external', learners]] as Array<[BoardRole, string[]]>) {
      for (const id of ids) {
        const isLeader = id === this.inputs.self;
        const rec = this.records.get(id);
        const figures = isLeader ? this.inputs.selfFigures() : rec?.figures ?? null;
        const series = this.seriesOf(id);
        const progress = s.progress[id] ?? null;
        const lagEntries = isLeader ? 0 : progress ? Math.max(0, s.lastIndex - progress.match) : null;
        const reportAgeMs = isLeader ? 0 : rec ? now - rec.reportAt : null;
        const link = links.get(id);
        const { health, reason } = assessHealth({
          isLeader, connected: link?.connected ?? false,
          dialFailed: (link ? link.dropped + link.deadLinks : 0) > (this.failuresAtStart.get(id) ?? 0), reportAgeMs, leaderForMs: leaderFor, lagEntries, progress,
          cpuPermille: figures?.cpuPermille ?? null,
        });
        const samples = series === undefined ? [] : full ? series.toSamples(now) : [series.newest(now)].filter((x) => x !== null);
        out.push({
          id, role, health, reason,
          // Any traffic from the board counts (Raft answers arrive several times a second).
          lastContactMs: isLeader ? 0 : link?.lastHeardMsAgo ?? (reportAgeMs === null ? null : Math.round(reportAgeMs)),
          lagEntries, propagationUs: isLeader ? null : rec?.propagationUs ?? null,
          figures, reportAgeMs: Math.round(reportAgeMs ?? 0),
          series: samples,
        });
      }
    }
    return out;
  }
}
