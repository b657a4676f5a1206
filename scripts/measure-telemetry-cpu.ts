// The leader's JavaScript cost of board telemetry at 100 members, in process: one report
// (encoded by the member, decoded and ingested by the leader), one view with each member's
// newest sample (built and encoded by the leader, decoded by the page's board), and one view
// with every member's whole hour. Prints microseconds and bytes; MQTT's own per-message work
// is not included. Usage: npx tsx scripts/measure-telemetry-cpu.ts
import type { PeerStatus, RaftStatus } from '../src/raft/index.ts';
import type { PeerStats } from '../src/transport/transport.ts';
import { decodeTelemetry, encodeTelemetry, type BoardReport } from '../src/board/telemetry-codec.ts';
import { LeaderTelemetry } from '../src/board/telemetry-leader.ts';
import { SAMPLE_INTERVAL_MS, SERIES_CAPACITY, SeriesRing } from '../src/board/telemetry-series.ts';

const voters = ['v1', 'v2', 'v3', 'v4', 'v5'];
const learners = Array.from({ length: 95 }, (_, i) => `e${i + 1}`);
const members = [...voters, ...learners];
let now = 1_000_000;
const progress = (m: string): PeerStatus => ({ match: 100, next: 101, state: 'replicate', learner: learners.includes(m), recentActive: true, inflight: 0, inflightBytes: 0, pendingSnapshot: 0, regressions: 0 });
const status: RaftStatus = {
  id: 'v1', role: 'leader', term: 3, vote: 'v1', leader: 'v1', commit: 100, applied: 100, firstIndex: 1, lastIndex: 100,
  confState: { voters, learners, votersOutgoing: [], learnersNext: [], autoLeave: false },
  leadTransferee: null, uncommittedBytes: 0, missingAcknowledgedUpTo: 0, confChangePending: false, progress: Object.fromEntries(members.map((m) => [m, progress(m)])),
};
const link: PeerStats = {
  queued: 0, queuedBytes: 0, sent: 0, dropped: 0, received: 0, rejected: 0, connected: true, via: 'outbound', snapshotsSent: 0, snapshotsFailed: 0,
  lastHeardMsAgo: 100, deadLinks: 0,
};
const links = new Map(members.map((m) => [m, link]));
const report = (m: string): BoardReport => ({
  id: m, role: learners.includes(m) ? 'external' : 'voter', raftRole: 'follower', domain: null, version: '0.1.0', uptimeS: 100,
  anonKiB: 51_000, fileKiB: 45_000, cpuPermille: 20, appliedIndex: 100, term: 3,
  marks: [{ index: 96, agoMs: 50 }, { index: 100, agoMs: 10 }], full: false,
  series: [{ ageMs: 3_000, anonKiB: 51_000, fileKiB: 45_000, cpuPermille: 20, writes: 0, writeMeanUs: 0, writeMaxUs: 0 }],
});
const hour = (m: string): BoardReport => ({
  ...report(m), full: true,
  series: Array.from({ length: SERIES_CAPACITY }, (_, i) => ({
    ageMs: (SERIES_CAPACITY - i) * SAMPLE_INTERVAL_MS, anonKiB: 51_000 + i, fileKiB: 45_000, cpuPermille: 20, writes: 0, writeMeanUs: 0, writeMaxUs: 0,
  })),
});
const leader = new LeaderTelemetry({
  self: 'v1', status: () => status, links: () => links, selfSeries: () => new SeriesRing(), now: () => now, selfFigures: () => report('v1'),
});
leader.leadershipChanged(true, 3);
for (const m of members.slice(1)) leader.ingest(m, hour(m));
leader.leaderCommitted(90, 100);

function viewCycle(full: boolean): { pages: number; bytes: number } {
  let from: number | null = 0;
  let pages = 0;
  let bytes = 0;
  while (from !== null) {
    const encoded = encodeTelemetry({ type: 'view', requestId: 1, page: leader.page(from, full)! });
    const back = decodeTelemetry(encoded);
    from = back.type === 'view' ? back.page.next : null;
    pages++;
    bytes += encoded.byteLength;
  }
  return { pages, bytes };
}

const reports = 20_000;
let t0 = performance.now();
for (let i = 0; i < reports; i++) {
  const m = members[1 + (i % 99)]!;
  now += 40;
  const msg = decodeTelemetry(encodeTelemetry({ type: 'report', report: report(m) }));
  if (msg.type === 'report') leader.ingest(m, msg.report);
}
const perReportUs = ((performance.now() - t0) / reports) * 1000;
const reportBytes = encodeTelemetry({ type: 'report', report: report('e1') }).byteLength;
process.stdout.write(`report (encode, decode, ingest): ${perReportUs.toFixed(1)} µs, ${reportBytes} bytes; 99 members every 2 s: ${((perReportUs * 49.5) / 1e4).toFixed(2)} % of a core\n`);

t0 = performance.now();
let newest = { pages: 0, bytes: 0 };
for (let i = 0; i < 500; i++) {
  now += 1_000;
  newest = viewCycle(false);
}
process.stdout.write(`view of 100 members, newest samples: ${((performance.now() - t0) / 500).toFixed(2)} ms, ${newest.pages} page(s), ${newest.bytes} bytes\n`);
t0 = performance.now();
let whole = { pages: 0, bytes: 0 };
for (let i = 0; i < 20; i++) {
  now += 1_000;
  whole = viewCycle(true);
}
process.stdout.write(`view of 100 members, whole hours: ${((performance.now() - t0) / 20).toFixed(1)} ms, ${whole.pages} pages, ${whole.bytes} bytes\n`);
