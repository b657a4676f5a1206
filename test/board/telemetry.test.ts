// Board telemetry: the side-message codec (round trips, strict decoding), the leader's health
// rules, view pages within the payload cap at 1,024 members, propagation delays, apply marks,
// and two boards' telemetry exchanging reports and views over an in-memory side link.
import t from 'tap';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { CodecError } from '../../src/transport/codec.ts';
import type { SideChannel, SideHandler } from '../../src/transport/side-channel.ts';
import type { PeerStatus, RaftStatus } from '../../src/raft/index.ts';
import type { PeerStats } from '../../src/transport/transport.ts';
import { createLogger } from '../../src/board/log.ts';
import {
  BOARD_ROLES, HEALTHS, RAFT_ROLES, TELEMETRY_LIMITS, decodeTelemetry, encodeTelemetry,
  type BoardReport, type MemberView, type Sample, type TelemetryMessage,
} from '../../src/board/telemetry-codec.ts';
import { assessHealth, LeaderTelemetry, REPORT_STALE_MS, type HealthInputs } from '../../src/board/telemetry-leader.ts';
import { PropagationTracker, MAX_PENDING_ENTRIES } from '../../src/board/propagation-tracker.ts';
import { SelfFigures, MARK_STRIDE } from '../../src/board/self-figures.ts';
import { SeriesRing, SAMPLE_INTERVAL_MS, SERIES_CAPACITY } from '../../src/board/telemetry-series.ts';
import { BoardTelemetry } from '../../src/board/telemetry.ts';
import type { WatchEvent } from '../../src/board/telemetry-watch.ts';

const seed = Number(process.env['TELEMETRY_SEED'] ?? 4242);
t.comment(`TELEMETRY_SEED=${seed}`);

const nat32 = fc.nat({ max: 0xffff_ffff });
const id = fc.stringMatching(/^[a-z0-9-]{1,20}$/);
const sample = fc.record({
  ageMs: fc.nat(), anonKiB: nat32, fileKiB: nat32, cpuPermille: fc.nat({ max: 64_000 }),
  writes: fc.nat({ max: 100_000 }), writeMeanUs: nat32, writeMaxUs: nat32,
});
const figures = {
  id, role: fc.constantFrom(...BOARD_ROLES), raftRole: fc.constantFrom(...RAFT_ROLES), domain: fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: null }),
  version: fc.string({ maxLength: 20 }), uptimeS: fc.nat(), anonKiB: nat32, fileKiB: nat32, cpuPermille: fc.nat({ max: 64_000 }),
  appliedIndex: fc.nat(), term: fc.nat(),
};
const report = fc.record({
  ...figures, marks: fc.array(fc.record({ index: fc.nat(), agoMs: fc.nat() }), { maxLength: TELEMETRY_LIMITS.maxMarks }),
  full: fc.boolean(), series: fc.array(sample, { maxLength: 30 }),
});
const member = fc.record({
  id, role: fc.constantFrom(...BOARD_ROLES), health: fc.constantFrom(...HEALTHS), reason: fc.string({ maxLength: 60 }),
  lastContactMs: fc.option(fc.nat(), { nil: null }), lagEntries: fc.option(fc.nat(), { nil: null }), propagationUs: fc.option(fc.nat(), { nil: null }),
  figures: fc.constant(null), reportAgeMs: fc.nat(), series: fc.array(sample, { maxLength: 5 }),
});
const message: fc.Arbitrary<TelemetryMessage> = fc.oneof(
  report.map((r) => ({ type: 'report' as const, report: r as BoardReport })),
  fc.constant({ type: 'series-request' as const }),
  fc.record({ type: fc.constant('view-request' as const), requestId: fc.nat(), from: fc.nat(), full: fc.boolean() }),
  fc.array(member, { minLength: 1, maxLength: 8 }).chain((members) => fc.record({
    type: fc.constant('view' as const), requestId: fc.nat(),
    page: fc.record({
      leader: id, term: fc.nat(), commitIndex: fc.nat(), lastIndex: fc.nat(),
      total: fc.constant(members.length + 3), from: fc.constant(1), next: fc.constant(members.length + 1),
      propagation: fc.array(fc.record({ ageMs: fc.nat(), count: fc.nat(), meanUs: fc.nat(), maxUs: fc.nat() }), { maxLength: 5 }),
      members: fc.constant(members as MemberView[]),
    }),
  })),
);

t.test('telemetry messages round-trip; any other input raises only CodecError', async (t) => {
  fc.assert(fc.property(message, (m) => isDeepStrictEqual(decodeTelemetry(encodeTelemetry(m)), JSON.parse(JSON.stringify(m)))), { seed, numRuns: 300 });
  t.pass('300 messages round-trip');
  fc.assert(fc.property(message, fc.nat(), (m, cut) => {
    const bytes = encodeTelemetry(m);
    if (bytes.byteLength < 2) return true;
    try {
      decodeTelemetry(bytes.subarray(0, cut % bytes.byteLength));
      return false;
    } catch (err) {
      return err instanceof CodecError;
    }
  }), { seed, numRuns: 300 });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (buf) => {
    try {
      decodeTelemetry(Uint8Array.of(1, ...buf));
      return true;
    } catch (err) {
      return err instanceof CodecError;
    }
  }), { seed, numRuns: 3000 });
  t.throws(() => decodeTelemetry(new Uint8Array(TELEMETRY_LIMITS.maxPayloadBytes + 1)), { code: 'CODEC_TOO_LARGE' });
  t.throws(() => decodeTelemetry(Uint8Array.of(2, 2)), { code: 'CODEC_UNKNOWN_VERSION' });
  const bad = encodeTelemetry({ type: 'report', report: { ...(fc.sample(report, { seed, numRuns: 1 })[0] as BoardReport), id: 'a/b' } });
  t.throws(() => decodeTelemetry(bad), { code: 'CODEC_INVALID_ID' }, 'a board id that cannot be a topic level is refused');
});

t.test('health rules: the first that matches wins', async (t) => {
  const base: HealthInputs = { isLeader: false, connected: true, dialFailed: false, reportAgeMs: 500, leaderForMs: 60_000, lagEntries: 0, progress: null, cpuPermille: 50 };
  const cases: Array<[Partial<HealthInputs>, string, RegExp]> = [
    [{ isLeader: true, connected: false }, 'ok', /leader/],
    [{}, 'ok', /^$/],
    [{ reportAgeMs: null, leaderForMs: 100 }, 'unknown', /first report/],
    [{ reportAgeMs: null, connected: false, leaderForMs: 100 }, 'unknown', /first report/],
    [{ reportAgeMs: null, connected: false, dialFailed: true, leaderForMs: 100 }, 'down', /no connection/],
    [{ reportAgeMs: null, connected: false, leaderForMs: 60_000 }, 'down', /no connection/],
    [{ reportAgeMs: REPORT_STALE_MS + 1_000 }, 'down', /no report for 7 s/],
    [{ connected: false, reportAgeMs: 500 }, 'degraded', /just now/],
    [{ connected: false, reportAgeMs: 3_000 }, 'down', /connection lost/],
    [{ progress: { state: 'snapshot' } as PeerStatus }, 'degraded', /snapshot/],
    [{ lagEntries: 501 }, 'degraded', /501 entries behind/],
    [{ cpuPermille: 950 }, 'degraded', /CPU at 95 %/],
  ];
  for (const [change, health, reason] of cases) {
    const got = assessHealth({ ...base, ...change });
    t.equal(got.health, health, JSON.stringify(change));
    t.match(got.reason, reason);
  }
});

function statusOf(self: string, voters: string[], learners: string[], lastIndex = 100, match: Record<string, number> = {}): RaftStatus {
  return {
    id: self, role: 'leader', term: 3, vote: self, leader: self, commit: lastIndex, applied: lastIndex, firstIndex: 1, lastIndex,
    confState: { voters, learners, votersOutgoing: [], learnersNext: [], autoLeave: false },
    leadTransferee: null, uncommittedBytes: 0, missingAcknowledgedUpTo: 0, confChangePending: false,
    progress: Object.fromEntries([...voters, ...learners].map((m) => [m, {
      match: match[m] ?? lastIndex, next: lastIndex + 1, state: 'replicate', learner: learners.includes(m), recentActive: true, inflight: 0, inflightBytes: 0, pendingSnapshot: 0, regressions: 0,
    } satisfies PeerStatus])),
  } as RaftStatus;
}

const okLink: PeerStats = {
  queued: 0, queuedBytes: 0, sent: 0, dropped: 0, received: 0, rejected: 0, connected: true, via: 'outbound', snapshotsSent: 0, snapshotsFailed: 0,
  lastHeardMsAgo: 120, deadLinks: 0,
};

function fullSeries(n: number): Sample[] {
  return Array.from({ length: n }, (_, i) => ({
    ageMs: (n - 1 - i) * SAMPLE_INTERVAL_MS, anonKiB: 50_000 + i, fileKiB: 45_000, cpuPermille: 20, writes: i % 3, writeMeanUs: 5_000, writeMaxUs: 9_000,
  }));
}

const reportOf = (m: string, over: Partial<BoardReport> = {}): BoardReport => ({
  id: m, role: m.startsWith('v') ? 'voter' : 'external', raftRole: 'follower', domain: null, version: '0.1.0', uptimeS: 100,
  anonKiB: 51_000, fileKiB: 45_000, cpuPermille: 20, appliedIndex: 100, term: 3, marks: [], full: false, series: [], ...over,
});

t.test('the leader: reports, history requests and view pages of a 1,024-member installation', async (t) => {
  const voters = ['v1', 'v2', 'v3', 'v4', 'v5'];
  const learners = Array.from({ length: 1019 }, (_, i) => `e${i + 1}`);
  let now = 1_000_000;
  const status = statusOf('v1', voters, learners, 100, { e7: 0 });
  const links = new Map([...voters, ...learners].map((m) => [m, okLink]));
  const self = new SeriesRing();
  const leader = new LeaderTelemetry({
    self: 'v1', status: () => status, links: () => links, selfSeries: () => self, now: () => now,
    selfFigures: () => reportOf('v1', { raftRole: 'leader' }),
  });
  t.equal(leader.ingest('v2', reportOf('v2')), false, 'not leading yet: reports are ignored');
  leader.leadershipChanged(true, 3);
  t.equal(leader.ingest('v2', reportOf('v3')), false, 'a report about another board is ignored');
  t.equal(leader.ingest('x9', reportOf('x9')), false, 'a report from a non-member is ignored');
  t.equal(leader.ingest('v2', reportOf('v2')), true, 'the first report of a member: ask for its whole history');
  t.equal(leader.ingest('v2', reportOf('v2')), false, 'asked at most once per period');
  t.equal(leader.ingest('v2', reportOf('v2', { full: true, series: fullSeries(SERIES_CAPACITY) })), false);
  for (const m of [...voters.slice(2), ...learners]) leader.ingest(m, reportOf(m, { full: true, series: fullSeries(SERIES_CAPACITY) }));
  now += 1_000;

  const health = leader.health();
  t.equal(health.length, 1024);
  t.same(health.slice(0, 5).map((h) => h.id), voters, 'voters first');
  t.equal(health.find((h) => h.id === 'e7')?.health, 'ok', '100 entries behind is within the limit');
  t.equal(health.find((h) => h.id === 'v1')?.reason, 'leader');

  for (const full of [false, true]) {
    const seen: MemberView[] = [];
    let from: number | null = 0;
    let pages = 0;
    while (from !== null && pages < 200) {
      const page = leader.page(from, full)!;
      const bytes = encodeTelemetry({ type: 'view', requestId: 1, page });
      t.ok(bytes.byteLength <= TELEMETRY_LIMITS.maxPayloadBytes, `page ${pages} fits (${bytes.byteLength} bytes)`);
      const back = decodeTelemetry(bytes);
      if (back.type !== 'view') throw new Error('not a view');
      seen.push(...back.page.members);
      from = back.page.next;
      pages++;
    }
    t.equal(seen.length, 1024, `${full ? 'whole hours' : 'newest samples'}: every member in ${pages} pages`);
    t.equal(seen[10]!.series.length, full ? SERIES_CAPACITY : 1);
    t.comment(`1,024 members, ${full ? 'with an hour each' : 'newest sample each'}: ${pages} pages`);
  }

  now += REPORT_STALE_MS + 1_000;
  leader.ingest('v2', reportOf('v2'));
  t.equal(leader.health().find((h) => h.id === 'v3')?.health, 'down', 'silent for too long: down');
  t.equal(leader.health().find((h) => h.id === 'v2')?.health, 'ok');
  leader.leadershipChanged(false, 4);
  t.same(leader.health(), [], 'a follower has no member view');
  t.equal(leader.page(0, false), null);
});

t.test('propagation: each board\'s delay, and the time until every board applied', async (t) => {
  const p = new PropagationTracker();
  for (let i = 1; i <= 10; i++) p.leaderCommitted(i, 1_000 + i);
  t.equal(p.mark('a', 5, 1_015, 2), 10_000, 'a applied index 5 10 ms after the leader committed it');
  t.equal(p.mark('b', 5, 1_035, 2), 30_000);
  t.equal(p.mark('a', 999, 2_000, 2), null, 'an entry the leader does not remember is not measured');
  p.sample(2_000);
  t.same(p.history.toSamples(2_000), [{ ageMs: 0, count: 1, meanUs: 30_000, maxUs: 30_000 }], 'applied everywhere after the slowest board');
  for (let i = 0; i < MAX_PENDING_ENTRIES + 5; i++) {
    p.leaderCommitted(100 + i, 3_000);
    p.mark('a', 100 + i, 3_001, 2);
  }
  t.equal(p.incomplete, 5, 'the oldest waiting entries are given up past the cap');
  p.sample(3_000 + 60_000);
  t.equal(p.incomplete, 5 + MAX_PENDING_ENTRIES, 'entries waiting too long are given up');
});

t.test('apply marks: every 16th entry and the latest, once', async (t) => {
  let now = 0;
  const f = new SelfFigures(() => now, () => ({ anonKiB: 1, fileKiB: 2 }));
  for (let i = 1; i <= 40; i++) {
    now += 1;
    f.applied(i);
  }
  now += 10;
  t.same(f.takeMarks(), [{ index: MARK_STRIDE, agoMs: 34 }, { index: 2 * MARK_STRIDE, agoMs: 18 }, { index: 40, agoMs: 10 }]);
  t.same(f.takeMarks(), [], 'nothing new since');
  f.sample();
  t.same(f.newestSample(), { ageMs: 0, anonKiB: 1, fileKiB: 2, cpuPermille: f.newestSample()!.cpuPermille, writes: 0, writeMeanUs: 0, writeMaxUs: 0 });
});

/** Two boards' side channels joined in memory; delivery is asynchronous like the network's. */
function sideLink(): [SideChannel, SideChannel] {
  const handlers: Record<string, SideHandler> = {};
  const make = (self: string, peer: string): SideChannel => ({
    sideCounters: { sent: 0, dropped: 0, received: 0 },
    onSide: (h) => void (handlers[self] = h),
    sendSide: (to, payload) => {
      if (to !== peer) return false;
      const copy = payload.slice();
      setImmediate(() => handlers[peer]?.(self, copy));
      return true;
    },
  });
  return [make('v1', 'e1'), make('e1', 'v1')];
}

t.test('a page on a follower gets the leader\'s view and each member\'s hour over side messages', async (t) => {
  const [sideV1, sideE1] = sideLink();
  let now = 5_000_000;
  const leaderStatus = statusOf('v1', ['v1'], ['e1']);
  const followerStatus: RaftStatus = { ...leaderStatus, id: 'e1', role: 'follower', progress: {} };
  const links = new Map([['e1', okLink], ['v1', okLink]]);
  const log = createLogger('test', 'error');
  const v1 = new BoardTelemetry({ self: 'v1', version: 'x', domain: null, side: sideV1, status: () => leaderStatus, role: () => 'voter', links: () => links, log, now: () => now });
  const e1 = new BoardTelemetry({ self: 'e1', version: 'x', domain: null, side: sideE1, status: () => followerStatus, role: () => 'external', links: () => links, log, now: () => now });
  v1.softStateChanged('v1');
  e1.softStateChanged('v1');
  for (let i = 0; i < 30; i++) {
    now += SAMPLE_INTERVAL_MS;
    e1.figures.sample();
    v1.figures.sample();
  }
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));
  const until = async (what: string, cond: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !cond(); i++) await settle();
    t.ok(cond(), what);
  };
  e1.reportNow();
  // At the new leader at once, then this one, then the whole history on request.
  await until('three reports reached the leader', () => v1.counters.reportsReceived === 3);
  t.equal(v1.memberHealth().find((h) => h.id === 'e1')?.health, 'ok');

  const events: WatchEvent[] = [];
  const stop = e1.watch.subscribe((e) => events.push(e));
  await until('a view arrived', () => events.some((e) => e.type === 'view'));
  const view = events.find((e) => e.type === 'view');
  t.ok(view, 'the follower assembled a view');
  t.same(view?.type === 'view' ? view.view.members.map((m) => `${m.id}:${m.health}`) : [], ['v1:ok', 'e1:ok']);
  const series = events.find((e) => e.type === 'series');
  t.ok(series?.type === 'series' && series.full, 'the first view carries whole histories');
  t.equal(series?.type === 'series' ? series.members.get('e1')?.length : 0, 30, 'e1\'s 30 samples, from the leader');
  t.equal(series?.type === 'series' ? series.members.get('v1')?.length : 0, 30, 'the leader\'s own 30 samples');

  events.length = 0;
  now += SAMPLE_INTERVAL_MS;
  e1.figures.sample();
  e1.reportNow();
  await until('the leader has the new sample', () => v1.counters.reportsReceived === 4);
  e1.watch.tick();
  await until('a second view arrived', () => events.some((e) => e.type === 'series'));
  const added = events.find((e) => e.type === 'series');
  t.ok(added?.type === 'series' && !added.full && added.members.get('e1')?.length === 1, 'later views add the newest sample only');
  stop();
  t.equal(e1.watch.active, false);
});
