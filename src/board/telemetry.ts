// Board telemetry: every member reports a compact summary of itself to the leader every
// REPORT_INTERVAL_MS (and at once when it sees a new leader) as a side message next to the
// Raft traffic; the leader keeps each member's latest report, an hour of its samples and
// its health (LeaderTelemetry); a board serving the installer's page pulls the view from the
// leader while a page is connected (InstallationWatch). Side messages are decoded strictly,
// bounded in size (one side payload) and rate (per requester), and dropped when invalid.
//
// The narrow interface other modules use:
//   memberHealth()   per member: role, domain, health and why, last contact, lag, figures
//                    (the leader's view; empty on other boards)
//   watch            the installation view on this board, for the page (subscribe/unsubscribe)
//   timeline         leader changes, membership changes and health changes seen by this board
import type { BoardServices } from '../api/services.ts';
import type { RaftStatus } from '../raft/index.ts';
import type { PeerStats } from '../transport/transport.ts';
import type { SideChannel } from '../transport/side-channel.ts';
import type { Logger } from './log.ts';
import { SelfFigures, type MemoryFigures } from './self-figures.ts';
import { decodeTelemetry, encodeTelemetry, type BoardFigures, type BoardRole, type TelemetryMessage } from './telemetry-codec.ts';
import { LeaderTelemetry, REPORT_INTERVAL_MS, type MemberHealth } from './telemetry-leader.ts';
import { SAMPLE_INTERVAL_MS } from './telemetry-series.ts';
import { InstallationWatch, VIEW_INTERVAL_MS } from './telemetry-watch.ts';
import { Timeline } from './timeline.ts';

/** View requests served per requester per second (a 1,024-member view with whole hours needs ~103 pages). */
export const MAX_VIEW_REQUESTS_PER_SECOND = 128;

export interface TelemetryDeps {
  readonly self: string;
  readonly version: string;
  /** The board's failure domain, once boards are given one. */
  readonly domain: string | null;
  readonly side: SideChannel;
  status(): RaftStatus;
  role(): BoardRole;
  links(): ReadonlyMap<string, PeerStats>;
  readonly log: Logger;
  /** Monotonic milliseconds (tests may drive it). */
  now?: () => number;
  /** This board's memory (default: /proc/self/status). */
  memory?: () => MemoryFigures;
}

export class BoardTelemetry {
  readonly figures: SelfFigures;
  readonly leader: LeaderTelemetry;
  readonly watch: InstallationWatch;
  readonly timeline = new Timeline();
  readonly counters = { reportsSent: 0, reportsReceived: 0, viewsServed: 0, refused: 0, rejected: 0 };
  private readonly now: () => number;
  private readonly startedAt: number;
  private lastFigures: BoardFigures;
  private sendFullSeries = false;
  private knownLeader: string | null = null;
  private readonly requestsThisSecond = new Map<string, number>();
  private timers: NodeJS.Timeout[] = [];
  /** The leader's autopilot: a stopping voter asked for its seat to be handed over. */
  onSeatRelease: ((from: string) => void) | undefined;

  constructor(private readonly d: TelemetryDeps) {
    this.now = d.now ?? (() => performance.now());
    this.startedAt = this.now();
    this.figures = new SelfFigures(this.now, d.memory);
    this.lastFigures = this.measure();
    this.leader = new LeaderTelemetry({
      self: d.self,
      status: () => d.status(),
      links: () => d.links(),
      selfFigures: () => this.lastFigures,
      selfSeries: () => this.figures.series,
      now: this.now,
    });
    this.watch = new InstallationWatch({
      self: d.self,
      leader: () => d.status().leader,
      leaderTelemetry: this.leader,
      send: (to, msg) => this.send(to, msg),
      healthChanged: (id, from, to, reason) => this.timeline.add('health', `${id}: ${from} → ${to}${reason ? ` (${reason})` : ''}`),
      now: this.now,
    });
    d.side.onSide((from, payload) => this.onSide(from, payload));
  }

  start(): void {
    this.timers = [
      setInterval(() => this.report(), REPORT_INTERVAL_MS),
      setInterval(() => {
        this.figures.sample();
        this.leader.sample();
      }, SAMPLE_INTERVAL_MS),
      setInterval(() => {
        this.requestsThisSecond.clear();
        this.watch.tick();
      }, VIEW_INTERVAL_MS),
    ];
    for (const t of this.timers) t.unref();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** Per member health as the leader sees it; empty when this board does not lead. */
  memberHealth(): readonly MemberHealth[] {
    return this.leader.health();
  }

  /** Entries first..last became known committed here (the leader's commit is where propagation starts). */
  committed(first: number, last: number): void {
    this.leader.leaderCommitted(first, last);
  }

  /** Every applied entry's index, in order. */
  applied(index: number): void {
    this.figures.applied(index);
  }

  recordWrite(us: number): void {
    this.figures.recordWrite(us);
  }

  /** The Ready loop's soft state changed (leader or role). */
  softStateChanged(leader: string | null): void {
    const s = this.d.status();
    this.leader.leadershipChanged(s.role === 'leader', s.term);
    if (leader !== this.knownLeader) {
      this.timeline.add('leader', leader === null ? `no leader (term ${s.term})` : `${leader} leads (term ${s.term})`);
      this.knownLeader = leader;
      // A new leader hears from everyone at once instead of within a report period, and a
      // page asks it for the view at once.
      if (leader !== null && leader !== this.d.self) setImmediate(() => this.report());
      if (leader !== null && this.watch.active) setImmediate(() => this.watch.tick());
    }
  }

  membershipChanged(voters: readonly string[], externals: readonly string[]): void {
    this.timeline.add('membership', `voters ${voters.join(', ') || '-'}; ${externals.length} external board${externals.length === 1 ? '' : 's'}`);
    this.leader.prune();
  }

  private measure(): BoardFigures {
    const s = this.d.status();
    const mem = this.figures.currentMemory();
    return {
      id: this.d.self, role: this.d.role(), raftRole: s.role, domain: this.d.domain, version: this.d.version,
      uptimeS: Math.round((this.now() - this.startedAt) / 1000),
      anonKiB: mem.anonKiB, fileKiB: mem.fileKiB, cpuPermille: this.figures.cpuSinceLastReport(),
      appliedIndex: s.applied, term: s.term,
    };
  }

  /** A stopping voter asks the leader to hand its seat over; false when there is no leader to ask. */
  requestSeatRelease(): boolean {
    const leader = this.d.status().leader;
    return leader !== null && leader !== this.d.self && this.send(leader, { type: 'seat-release' });
  }

  /** Measures this board now and reports to the leader (every REPORT_INTERVAL_MS; tests may call it). */
  reportNow(): void {
    this.report();
  }

  private report(): void {
    this.lastFigures = this.measure();
    const leader = this.d.status().leader;
    if (leader === null || leader === this.d.self) return;
    const full = this.sendFullSeries;
    const newest = this.figures.newestSample();
    const series = full ? this.figures.series.toSamples(this.now()) : newest === null ? [] : [newest];
    const sent = this.send(leader, { type: 'report', report: { ...this.lastFigures, marks: this.figures.takeMarks(), full, series } });
    if (sent) {
      this.counters.reportsSent++;
      if (full) this.sendFullSeries = false;
    }
  }

  private send(to: string, msg: TelemetryMessage): boolean {
    let bytes: Uint8Array;
    try {
      bytes = encodeTelemetry(msg);
    } catch (err) {
      this.d.log.warn('telemetry message not encodable', { type: msg.type, err });
      return false;
    }
    return this.d.side.sendSide(to, bytes);
  }

  private onSide(from: string, payload: Uint8Array): void {
    let msg: TelemetryMessage;
    try {
      msg = decodeTelemetry(payload);
    } catch (err) {
      this.counters.rejected++;
      this.d.log.debug('telemetry message rejected', { from, err });
      return;
    }
    switch (msg.type) {
      case 'report':
        this.counters.reportsReceived++;
        if (this.leader.ingest(from, msg.report)) this.send(from, { type: 'series-request' });
        return;
      case 'series-request':
        if (from === this.d.status().leader) {
          this.sendFullSeries = true;
          this.report();
        }
        return;
      case 'view-request': {
        const n = (this.requestsThisSecond.get(from) ?? 0) + 1;
        this.requestsThisSecond.set(from, n);
        const page = n <= MAX_VIEW_REQUESTS_PER_SECOND ? this.leader.page(msg.from, msg.full) : null;
        if (page === null) {
          this.counters.refused++;
          return;
        }
        if (this.send(from, { type: 'view', requestId: msg.requestId, page })) this.counters.viewsServed++;
        return;
      }
      case 'view':
        this.watch.onView(from, msg.requestId, msg.page);
        return;
      case 'seat-release':
        if (this.leader.isLeader) this.onSeatRelease?.(from);
        return;
    }
  }
}

/** Times every write proposed through these services, from proposal to applied on this board. */
export function withWriteTiming(services: BoardServices, telemetry: BoardTelemetry): BoardServices {
  return {
    ...services,
    async propose(envelope) {
      const started = performance.now();
      const outcome = await services.propose(envelope);
      telemetry.recordWrite(Math.round((performance.now() - started) * 1000));
      return outcome;
    },
  };
}
