// A running board: settles its identity and credentials, opens its core (data
// directory, state machine, Raft core, Ready loop: board-core.ts), starts the
// broker, the Raft transport, the REST API, the MQTT API, the installer's page
// and the telemetry around it, and stops them in the reverse order (a leader
// hands over first). A fatal error stops the board with one clear line.
import { randomInt } from 'node:crypto';
import { SeededRandom, type NodeId, type RaftStatus } from '../raft/index.ts';
import { nodeFs } from '../storage/fs-layer.ts';
import { startBroker, type RunningBroker } from '../transport/broker.ts';
import { createMemberAuth } from '../transport/member-auth.ts';
import { createMqttTransport } from '../transport/peer-mqtt-transport.ts';
import type { PeerAddress } from '../transport/transport.ts';
import { listenHttp, type RunningHttp } from '../api/http-server.ts';
import { createRestHandler } from '../api/rest.ts';
import { createMqttApi } from '../api/mqtt-api.ts';
import { ApiError } from '../api/errors.ts';
import { loadSqlWasm } from '../cli/sql-wasm-loader.ts';
import type { StartConfig } from '../cli/start-config.ts';
import { version } from '../cli/version.ts';
import { ensureWritableDataDir } from './data-dir.ts';
import { rateLimited, type Logger } from './log.ts';
import { StatePublisher } from './publisher.ts';
import { systemClock, type Timer } from './clock.ts';
import { describeFatal, type FatalReport } from './fatal.ts';
import { createServices } from './services.ts';
import { apiAuthHooks, isWriter, sessionClassOf } from './api-auth.ts';
import type { Client } from 'aedes';
import { joinCluster } from './join.ts';
import { memoryFigures } from './memory-figures.ts';
import { AccessPolicy } from '../api/access.ts';
import { ConfigError } from '../cli/config.ts';
import { bootstrapState } from './bootstrap.ts';
import { bootstrapCase, prepareIdentity, resolveWriteToken } from './identity.ts';
import { MemberDirectory } from './member-directory.ts';
import { withAccessServices } from './access-services.ts';
import { readTlsFiles } from './tls-files.ts';
import { transportLogLevel } from './transport-log.ts';
import { BoardTelemetry, withWriteTiming } from './telemetry.ts';
import { AutopilotRunner, confChanger, installationView } from './autopilot-runner.ts';
import { LiveFeed } from './live-feed.ts';
import { LiveStream } from '../api/stream.ts';
import { createPageHandler, withInstallerPage } from '../api/page.ts';
import { readAccessFrom } from '../api/read-access.ts';
import { loadPageAssets } from '../page/assets-loader.ts';
import { BoardCore } from './board-core.ts';
import { holdsState, markLost, supersededMembers, NewIncarnationError } from './incarnation.ts';
import type { RaftLoop } from './raft-loop.ts';

/** How long an API call waits for its write or read to be confirmed. */
const REQUEST_TIMEOUT_MS = 5_000;
/** Retained status is refreshed this often. */
const STATUS_INTERVAL_MS = 5_000;
/** How long /health answers 503 after a fatal error before the board exits. */
const FATAL_HEALTH_GRACE_MS = 1_000;

export interface RunningBoard {
  readonly id: string;
  readonly mqttPort: number;
  readonly httpPort: number;
  stop(): Promise<void>;
  /** Resolves when the board stopped by itself after a fatal error. */
  readonly failed: Promise<Error>;
}

/** aedes keeps connected clients by id; its type definitions omit the map. */
function clientById(broker: RunningBroker | undefined, id: string): Client | undefined {
  return (broker?.aedes as unknown as { clients?: Record<string, Client> } | undefined)?.clients?.[id];
}

export async function startBoard(config: StartConfig, log: Logger): Promise<RunningBoard> {
  ensureWritableDataDir(config.dataDir);
  const startedAt = process.hrtime.bigint();
  const wasm = await loadSqlWasm();
  const fresh = !(await holdsState(nodeFs, config.dataDir));
  const bc = bootstrapCase(config, fresh);
  const directory = new MemberDirectory(config.dataDir);
  if (fresh && config.join !== undefined && config.joinToken === undefined && !directory.admitted()) {
    throw new ConfigError('JOIN_TOKEN_MISSING', '--join needs --join-token: run `raftlight join-token --board <voter URL>` with the write token, then start this board with the token it prints');
  }
  const credentials = prepareIdentity(config, bc, log);
  const access = new AccessPolicy({
    writeToken: resolveWriteToken(config, bc, log), readToken: config.readToken, anonymousRead: config.anonymousRead, openWrites: config.openWrites,
  });
  if (config.openWrites) log.warn('--open-writes: anyone who reaches this board can change the installation (development only)');

  const { core, incarnation } = await BoardCore.openIncarnation({
    board: config.id, cluster: config.cluster, dataDir: config.dataDir, clock: systemClock,
    random: new SeededRandom(randomInt(2 ** 31)), wasmBinary: wasm, log,
    snapshotPolicy: { maxEntries: config.snapshotEntries, keepEntries: config.compactKeepEntries },
    raft: { electionTicks: config.electionTicks, heartbeatTicks: config.heartbeatTicks },
    tickMs: config.tickMs, requestTimeoutMs: REQUEST_TIMEOUT_MS,
    ...(bc.founding ? { bootstrap: () => bootstrapState(config, wasm, config.mqttPort, credentials.founders ?? {}) } : {}),
  });
  /** Who this board is in Raft: its id, or `<id>.<suffix>` once it came back as a new incarnation. */
  const self = incarnation.identity.member;
  const cleanup: Array<() => Promise<void> | void> = [];
  const undo = async (): Promise<void> => {
    for (const f of cleanup.reverse()) await Promise.resolve(f()).catch(() => {});
  };
  let coreStopped = false;
  const stopCore = async (): Promise<void> => {
    if (coreStopped) return;
    coreStopped = true;
    await core.stop(new ApiError('SHUTTING_DOWN', 503, 'the board is shutting down'));
  };
  try {
    directory.refresh(core.state);
    const view = (): RaftStatus => core.view();

    // Certificates are read once at start; a missing file is a clear start-up error.
    const tlsFiles = readTlsFiles(config);
    let brokerRef: RunningBroker | undefined;
    let services: ReturnType<typeof createServices> | undefined;
    const mqttApi = createMqttApi({
      cluster: config.cluster,
      isWriter: (ctx) => isWriter(clientById(brokerRef, ctx.clientId)),
      services: () => {
        if (!services) throw new ApiError('STARTING', 503, 'board is starting');
        return services;
      },
    });
    const authLog = rateLimited((m, f) => log.warn(m, f));
    const transportWarn = rateLimited((m, f) => log.warn(m, f));
    const brokerLog = rateLimited((m, f) => log.info(m, f));
    const auth = createMemberAuth({
      cluster: config.cluster,
      self,
      verifierOf: (id) => directory.verifierOf(id),
      fallback: apiAuthHooks({ cluster: config.cluster, access }),
      log: (e) => authLog('mqtt auth refused', { code: e.code, client: e.clientId, detail: e.detail }),
    });
    const broker: RunningBroker = await startBroker({
      host: config.mqttHost,
      port: config.mqttPort,
      hooks: auth.hooks,
      classify: (client) => (auth.memberOf(client) !== undefined ? 'member' : sessionClassOf(client)),
      requests: mqttApi.requests,
      log: (entry) => (entry.kind === 'client-error' ? log.debug('mqtt client error', { ...entry })
        : entry.kind === 'connection-closed' && entry.code === 'TLS_HANDSHAKE_FAILED' ? authLog('mqtt TLS handshake failed', { ...entry })
          : brokerLog('mqtt', { ...entry })),
      ...(tlsFiles ? { tls: tlsFiles } : {}),
    });
    brokerRef = broker;
    cleanup.push(() => broker.close());

    const peers = new Map<NodeId, PeerAddress>();
    for (const p of config.peers) if (p.id !== self) peers.set(p.id, { host: p.host, port: p.port });
    const transport = createMqttTransport({
      cluster: config.cluster,
      self,
      memberSecret: credentials.secret,
      aedes: broker.aedes,
      peers,
      // A link silent for one election timeout is dead: close it and dial again (after a partition
      // heals, the board is back in the cluster within about one election timeout).
      limits: { deadLinkMs: config.electionTicks * config.tickMs, connectTimeoutMs: 2 * config.electionTicks * config.tickMs },
      ...(tlsFiles ? { tls: { ca: tlsFiles.ca } } : {}),
      log: (e) => (transportLogLevel(e.code) === 'warn' ? transportWarn : log.debug)('transport', { code: e.code, peer: e.peer, detail: e.detail }),
    });
    cleanup.push(() => transport.close());
    for (const id of peers.keys()) core.pinnedPeers.add(id);

    const publisher = new StatePublisher(broker.aedes, config.cluster, log);
    const boardRole = (): string => core.role();
    const telemetry = new BoardTelemetry({
      self, version, domain: config.domain, side: transport, log,
      status: () => view(),
      role: () => core.role(),
      links: () => transport.stats(),
    });
    const live = new LiveFeed({
      id: self, cluster: config.cluster, version, telemetry, state: () => core.state,
      board: () => {
        const s = view();
        return { id: self, role: boardRole(), raftRole: s.role, leader: s.leader, term: s.term, commitIndex: s.commit, appliedIndex: core.state.appliedIndex() };
      },
    });
    let failWith: (err: Error) => void = () => {};
    /** Set once the board stopped for good (its /health answers 503 with it). */
    let failure: FatalReport | null = null;
    let stoppingSince: number | null = null;
    const failed = new Promise<Error>((resolve) => (failWith = resolve));
    /** The one fatal path: one line with the code, where and what to do; /health answers 503; start.ts exits 1. */
    const stopForGood = (err: Error): void => {
      if (failure !== null) return;
      failure = describeFatal(err);
      log.error(`fatal: ${failure.code}: ${failure.message}; ${failure.action}`, { where: failure.where });
      failWith(err);
    };
    let autopilot: AutopilotRunner | undefined;

    const loop: RaftLoop = core.start(transport, {
      committed: (first, last) => telemetry.committed(first, last),
      applied: (result) => {
        publisher.changes(result.index, result.requestId, result.changes);
        telemetry.applied(result.index);
        live.applied(result);
      },
      confChanged: (cs) => {
        directory.refresh(core.state);
        auth.disconnectRevoked();
        telemetry.membershipChanged(cs.voters, cs.learners);
      },
      restored: (sm) => publisher.resync(sm),
      softStateChanged: (l) => {
        telemetry.softStateChanged(l);
        live.boardChanged();
        publishStatus();
      },
      fatal: (err) => stopForGood(err),
    });

    const status = (): Record<string, unknown> => {
      const s = view();
      let queued = 0;
      let dropped = 0;
      let connected = 0;
      for (const p of transport.stats().values()) {
        queued += p.queued;
        dropped += p.dropped;
        if (p.connected) connected++;
      }
      return {
        id: self, board: config.id, cluster: config.cluster, version, role: boardRole(), raftRole: s.role,
        ...(incarnation.identity.previous.length > 0 ? { previousIncarnations: incarnation.identity.previous } : {}),
        term: s.term, leader: s.leader, commitIndex: s.commit, appliedIndex: core.state.appliedIndex(),
        firstIndex: s.firstIndex, lastIndex: s.lastIndex,
        ...(s.missingAcknowledgedUpTo > 0 ? { missingAcknowledgedUpTo: s.missingAcknowledgedUpTo } : {}),
        voters: s.confState.voters, externals: s.confState.learners.length,
        memory: memoryFigures(), execArgv: process.execArgv,
        pendingWrites: core.proposals.size, pendingReads: core.reads.size, loopDroppedMessages: loop.droppedMessages, resentWrites: loop.resentWrites,
        transport: { peers: transport.stats().size, connected, queued, dropped, rejected: transport.garbage.rejected },
        refusedRaftMessages: core.refusedMessages(),
        uptimeSeconds: Math.round(Number(process.hrtime.bigint() - startedAt) / 1e9),
        domain: config.domain,
        // The leader's view of every member, and autopilot (empty / inactive on other boards).
        installation: installationView(telemetry.memberHealth(), s),
        autopilot: autopilot?.view() ?? null,
      };
    };
    const peersView = (): Record<string, unknown> => {
      const s = view();
      const stats = transport.stats();
      const addresses = new Map(core.state.members().map((m) => [m.id, m]));
      const ids = [...s.confState.voters, ...s.confState.learners];
      return {
        leader: s.leader,
        members: ids.map((id) => ({
          id,
          role: s.confState.learners.includes(id) ? 'external' : 'voter',
          address: addresses.get(id) ? { host: addresses.get(id)!.host, port: addresses.get(id)!.port } : null,
          progress: s.progress[id] ?? null,
          link: stats.get(id) ?? null,
        })),
      };
    };
    function publishStatus(): void {
      publisher.status(self, status());
    }
    // Messages the core refused (src/raft/sender-check.ts): counted there, reported here, rate-limited.
    const dropLog = rateLimited((m, f) => log.warn(m, f));
    let refusedSeen = 0;
    const reportRefused = (): void => {
      const r = core.refusedMessages();
      if (r.total !== refusedSeen) dropLog('raft messages dropped: their senders could not have sent them', { total: r.total, last: core.lastRefused() });
      refusedSeen = r.total;
    };

    services = withWriteTiming(withAccessServices(
      createServices({ id: self, cluster: config.cluster, loop, transport, proposals: core.proposals, reads: core.reads, status, peers: peersView }),
      { id: self, loop, nowMs: () => Date.now() },
    ), telemetry);
    publisher.resync(core.state);

    // Liveness only (anyone may ask): ok, or why the board is stopping or has stopped.
    const health = (): Record<string, unknown> => ({
      status: failure !== null ? 'failed' : stoppingSince !== null ? 'stopping' : 'ok',
      ...(failure !== null ? { error: { code: failure.code, message: failure.message } } : {}),
    });
    const stream = new LiveStream(live, readAccessFrom(access));
    const http: RunningHttp = await listenHttp(
      { host: config.httpHost, port: config.httpPort, tls: tlsFiles, onTlsError: (remote, reason) => authLog('https TLS handshake failed', { remote, reason }) },
      withInstallerPage(createRestHandler(services, { access, health }), createPageHandler(loadPageAssets), stream),
    );
    cleanup.push(() => http.close());
    cleanup.push(() => stream.closeAll());
    telemetry.start();
    cleanup.push(() => telemetry.stop());
    autopilot = new AutopilotRunner({
      self, settings: config.autopilot, log,
      status: () => view(),
      health: () => telemetry.memberHealth(),
      superseded: () => supersededMembers(telemetry.memberHealth()),
      propose: confChanger(loop, core.proposals),
      requestSeatRelease: () => telemetry.requestSeatRelease(),
      publish: (d) => publisher.autopilot(d),
    });
    const pilot = autopilot;
    telemetry.onSeatRelease = (from) => pilot.releaseSeat(from);
    pilot.start();
    cleanup.push(() => pilot.stop());

    const statusTimer: Timer = systemClock.every(STATUS_INTERVAL_MS, () => {
      publishStatus();
      reportRefused();
    });
    cleanup.push(() => statusTimer.cancel());
    publishStatus();

    log.info('board started', {
      id: self, board: config.id, cluster: config.cluster, dataDir: config.dataDir, role: boardRole(),
      mqtt: `${config.mqttHost}:${broker.port}`, http: `${config.httpHost}:${http.port}`,
      applied: core.state.appliedIndex(),
    });

    let joinAbort: AbortController | undefined;
    if (incarnation.replaced !== null) {
      log.warn('this board is a new incarnation: the installation must admit it again (its old member entry is replaced once it has caught up)', {
        member: self, replaces: incarnation.replaced.member,
      });
    }
    if (incarnation.replaced !== null && boardRole() === 'none' && config.joinToken === undefined) {
      // A new incarnation must be admitted again, and only a join token admits a board.
      stopForGood(new NewIncarnationError(incarnation.replaced.member));
    } else if (config.join !== undefined && boardRole() === 'none') {
      joinAbort = new AbortController();
      if (config.joinToken === undefined) {
        log.info('admitted earlier (raftlight join, or a join before a restart): waiting for the leader to bring this board up to date');
      } else {
        void joinCluster({
          via: config.join, id: self, host: config.advertiseHost, port: broker.port, joinToken: config.joinToken,
          memberSecret: credentials.secret, ca: config.tlsCa, signal: joinAbort.signal, log,
          admitted: (verifiers) => directory.trustJoinAnswer(verifiers),
        }).then(async (result) => {
          if (result !== 'member-exists') return;
          // This id is a member whose state this board lost: the next start is a new incarnation.
          await markLost(nodeFs, config.dataDir, `the installation already has ${self} as a member, whose state this board no longer holds`);
          stopForGood(new NewIncarnationError(self));
        });
      }
    } else if (boardRole() === 'none') {
      log.info('not a member yet: start this board with --join URL --join-token TOKEN (raftlight join-token issues one)');
    }

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        stoppingSince = Date.now();
        joinAbort?.abort();
        if (failure === null) {
          await autopilot?.handSeatOver();
          await handOverLeadership(core, loop, log);
        }
        // The core first: a Ready waiting for the disk is abandoned, nothing is applied to a closed state.
        // A disk that refuses even the stop (read-only, full) does not cut the stop short.
        await stopCore().catch((err: unknown) => log.warn('the data directory could not be closed cleanly', { err: (err as Error).message }));
        // After a fatal error /health keeps answering 503 with the reason a moment longer, so that a
        // supervisor or a load balancer polling it sees why the board went away.
        if (failure !== null) await new Promise((r) => setTimeout(r, FATAL_HEALTH_GRACE_MS));
        await undo();
        log.info(failure === null ? 'board stopped' : 'board stopped after a fatal error');
      })();
      return stopping;
    };
    return { id: self, mqttPort: broker.port, httpPort: http.port, stop, failed };
  } catch (err) {
    await stopCore().catch(() => {});
    await undo();
    throw err;
  }
}

/** A leader transfers leadership to its most up-to-date voter and waits briefly for it. */
async function handOverLeadership(core: BoardCore, loop: RaftLoop, log: Logger): Promise<void> {
  const s = core.view();
  if (s.role !== 'leader') return;
  let best: string | null = null;
  let bestMatch = -1;
  for (const id of s.confState.voters) {
    const p = s.progress[id];
    if (id !== s.id && p && p.match > bestMatch) {
      best = id;
      bestMatch = p.match;
    }
  }
  if (best === null) return;
  loop.submit({ type: 'transfer-leadership', to: best });
  const deadline = Date.now() + 3_000;
  while (Date.now() < deadline && core.view().role === 'leader') await new Promise((r) => setTimeout(r, 50));
  log.info('leadership handed over', { to: best, done: core.view().role !== 'leader' });
}
