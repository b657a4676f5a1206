// A 100-board installation's telemetry without 100 processes, for the page's layout at
// scale: the real BoardTelemetry of a leader (its LeaderTelemetry, InstallationWatch and
// LiveFeed) fed an hour of reports from 99 simulated members through the real codec, and a
// real state machine with a small configuration behind the real REST handler. Everything
// comes from one seed; the clock is simulated.
import { AccessPolicy } from '../../src/api/access.ts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRestHandler } from '../../src/api/rest.ts';
import { createPageHandler, withInstallerPage } from '../../src/api/page.ts';
import { LiveStream } from '../../src/api/stream.ts';
import type { BoardServices } from '../../src/api/services.ts';
import { ApiError } from '../../src/api/errors.ts';
import { createLogger } from '../../src/board/log.ts';
import { LiveFeed } from '../../src/board/live-feed.ts';
import { BoardTelemetry } from '../../src/board/telemetry.ts';
import { decodeTelemetry, encodeTelemetry, type BoardReport, type Sample } from '../../src/board/telemetry-codec.ts';
import { SAMPLE_INTERVAL_MS } from '../../src/board/telemetry-series.ts';
import { encodeCommand, type ObjectCommand } from '../../src/model/index.ts';
import { loadPageAssets } from '../../src/page/assets-loader.ts';
import type { PeerStatus, RaftStatus } from '../../src/raft/index.ts';
import { StateMachine } from '../../src/state/index.ts';
import type { PeerStats } from '../../src/transport/transport.ts';

export interface SimulatedInstallation {
  readonly url: string;
  readonly members: readonly string[];
  /** Boards made to look down and degraded. */
  readonly down: readonly string[];
  readonly degraded: readonly string[];
  close(): Promise<void>;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const link = (connected: boolean, dropped = 0): PeerStats => ({
  queued: 0, queuedBytes: 0, sent: 0, dropped, received: 0, rejected: 0, connected, via: connected ? 'outbound' : null, snapshotsSent: 0, snapshotsFailed: 0,
  lastHeardMsAgo: connected ? 150 : 300_000, deadLinks: 0,
});

const progress = (match: number, learner: boolean): PeerStatus => ({
  match, next: match + 1, state: 'replicate', learner, recentActive: true, inflight: 0, inflightBytes: 0, pendingSnapshot: 0, regressions: 0,
});

/** Commands for a small building: floors, rooms, dimmers, zones, scenes and a keypad. */
function building(): ObjectCommand[] {
  const out: ObjectCommand[] = [];
  for (let f = 1; f <= 3; f++) {
    out.push({ type: 'create', kind: 'area', id: `floor-${f}`, value: { name: `Floor ${f}`, type: 'floor', parent: null } });
    for (let r = 1; r <= 3; r++) {
      const room = `room-${f}0${r}`;
      out.push({ type: 'create', kind: 'area', id: room, value: { name: `Room ${f}0${r}`, type: 'room', parent: `floor-${f}` } });
      out.push({ type: 'create', kind: 'device', id: `dimmer-${f}0${r}`, value: { name: `Dimmer ${f}0${r}`, kind: 'dimmer', serialNumber: `RR-${f}0${r}`, model: 'RRD-6NA', area: room } });
      out.push({ type: 'create', kind: 'zone', id: `downlights-${f}0${r}`, value: { name: `Downlights ${f}0${r}`, type: 'led', device: `dimmer-${f}0${r}`, minLevel: 5, maxLevel: 95 } });
    }
  }
  out.push({ type: 'create', kind: 'device', id: 'keypad-lobby', value: { name: 'Lobby keypad', kind: 'keypad', serialNumber: 'RK-1', model: 'RRK-4', area: 'room-101' } });
  out.push({ type: 'create', kind: 'scene', id: 'evening', value: { name: 'Evening', fadeSeconds: 3, levels: [{ zone: 'downlights-101', level: 40 }, { zone: 'downlights-102', level: 30 }] } });
  out.push({ type: 'create', kind: 'scene', id: 'cleaning', value: { name: 'Cleaning', fadeSeconds: 0, levels: [{ zone: 'downlights-101', level: 95 }] } });
  out.push({ type: 'create', kind: 'button', id: 'lobby-1', value: { device: 'keypad-lobby', number: 1, scene: 'evening', action: null } });
  out.push({ type: 'create', kind: 'button', id: 'lobby-2', value: { device: 'keypad-lobby', number: 2, scene: 'cleaning', action: 'toggle' } });
  return out;
}

export async function startSimulatedInstallation(options: { voters: number; externals: number; seed: number }): Promise<SimulatedInstallation> {
  const random = rng(options.seed);
  const voters = Array.from({ length: options.voters }, (_, i) => `v${i + 1}`);
  const externals = Array.from({ length: options.externals }, (_, i) => `e${i + 1}`);
  const members = [...voters, ...externals];
  const self = voters[0]!;
  const down = [externals[17]!, externals[62]!].filter(Boolean);
  const degraded = [externals[40]!].filter(Boolean);
  let now = 1_000_000;
  const lastIndex = 5_000;
  const status = (): RaftStatus => ({
    id: self, role: 'leader', term: 7, vote: self, leader: self, commit: lastIndex, applied: lastIndex, firstIndex: 1, lastIndex,
    confState: { voters, learners: externals, votersOutgoing: [], learnersNext: [], autoLeave: false },
    leadTransferee: null, uncommittedBytes: 0, missingAcknowledgedUpTo: 0, confChangePending: false,
    progress: Object.fromEntries(members.filter((m) => m !== self).map((m) => [m, progress(degraded.includes(m) ? lastIndex - 800 : lastIndex, externals.includes(m))])),
  });
  const links = new Map(members.filter((m) => m !== self).map((m) => [m, link(!down.includes(m), down.includes(m) ? 3 : 0)]));
  const telemetry = new BoardTelemetry({
    self, version: '0.1.0', domain: null, log: createLogger(self, 'error'),
    side: { sendSide: () => false, onSide: () => {}, sideCounters: { sent: 0, dropped: 0, received: 0 } },
    status, role: () => 'voter', links: () => links, now: () => now,
    // The leader's own memory as a board's would be, not this test process's.
    memory: () => ({ anonKiB: Math.round(58 * 1024 + (now / 1000) % 600), fileKiB: 46_100 }),
  });
  telemetry.softStateChanged(self);

  // An hour of samples per member: a base, a slow drift, noise; one board leaks.
  const base = new Map(members.map((m) => [m, (voters.includes(m) ? 53 : 49) * 1024 + random() * 1024]));
  const steps = 360;
  let index = lastIndex - steps * 4;
  for (let step = 0; step < steps; step++) {
    now += SAMPLE_INTERVAL_MS;
    // The leader committed this period's entries a moment before the members report them.
    now -= 150;
    for (let k = 0; k < 4; k++) { index++; telemetry.leader.leaderCommitted(index, index); }
    now += 150;
    for (const m of members) {
      if (m === self || (down.includes(m) && step > steps - 30)) continue;
      const leak = m === externals[5] ? step * 20 : 0;
      const anon = Math.round(base.get(m)! + step * 2 + leak + random() * 300);
      const writes = voters.includes(m) && m !== self ? Math.floor(random() * 40) : 0;
      const sample: Sample = {
        ageMs: 0, anonKiB: anon, fileKiB: 46_000 + Math.round(random() * 500), cpuPermille: Math.round(5 + random() * 30),
        writes, writeMeanUs: writes === 0 ? 0 : Math.round(4_000 + random() * 6_000), writeMaxUs: writes === 0 ? 0 : Math.round(10_000 + random() * 30_000),
      };
      const report: BoardReport = {
        id: m, role: voters.includes(m) ? 'voter' : 'external', raftRole: 'follower', domain: null, version: '0.1.0',
        uptimeS: Math.round(now / 1000), anonKiB: anon, fileKiB: sample.fileKiB, cpuPermille: sample.cpuPermille,
        appliedIndex: index, term: 7,
        marks: [{ index: index - 1, agoMs: Math.round(20 + random() * 80) }, { index, agoMs: Math.round(5 + random() * 40) }],
        full: false, series: [sample],
      };
      // Through the real codec, as it would arrive.
      const decoded = decodeTelemetry(encodeTelemetry({ type: 'report', report }));
      if (decoded.type === 'report') telemetry.leader.ingest(m, decoded.report);
    }
    telemetry.figures.sample();
    telemetry.leader.sample();
  }
  now += 1_500;
  telemetry.reportNow();

  const state = await StateMachine.create();
  let applied = 0;
  for (const command of building()) {
    applied++;
    state.apply(applied, encodeCommand({ requestId: `sim-${applied}`, command }));
  }
  const refuse = (): Promise<never> => Promise.reject(new ApiError('READ_ONLY', 503, 'a simulated installation takes no writes'));
  const services: BoardServices = {
    id: self, cluster: 'simulated', state: () => state, propose: refuse, linearizableBarrier: async () => {},
    status: () => ({}), peers: () => ({}), exportDatabase: () => state.export(), changeMember: refuse,
  };
  const live = new LiveFeed({
    id: self, cluster: 'simulated', version: '0.1.0', telemetry, state: () => state,
    board: () => ({ id: self, role: 'voter', raftRole: 'leader', leader: self, term: 7, commitIndex: lastIndex, appliedIndex: lastIndex }),
  });
  const stream = new LiveStream(live, () => true);
  const handler = withInstallerPage(createRestHandler(services, { access: new AccessPolicy({ writeToken: undefined, readToken: undefined, anonymousRead: true, openWrites: true }), health: () => ({ status: 'ok' }) }), createPageHandler(loadPageAssets), stream);
  const server: Server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  // The installation view refreshes once a second, as on a board; the simulated clock stands
  // still at the end of the hour, so a slow browser does not see the reports age.
  const timer = setInterval(() => telemetry.watch.tick(), 1_000);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    members, down, degraded,
    async close() {
      clearInterval(timer);
      stream.closeAll();
      await new Promise<void>((r) => server.close(() => r()));
      state.close();
    },
  };
}
