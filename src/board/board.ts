// A running board: opens the data directory, restores the state machine,
// starts the broker, the Raft transport, the Raft loop, the REST API and the
// MQTT API, and stops them in the reverse order (a leader hands over first).
import { randomInt } from 'node:crypto';
import { getHeapStatistics } from 'node:v8';
import {
  RaftNode, SeededRandom, bootstrapSnapshot, emptyConfState, type ConfState, type NodeId,
} from '../raft/index.ts';
import { openDataDir } from '../storage/open.ts';
import { StateMachine } from '../state/index.ts';
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
import { decodeMemberContext, encodeMemberContext } from './members.ts';
import { StatePublisher } from './publisher.ts';
import { RaftLoop, restoreState } from './raft-loop.ts';
import { createServices } from './services.ts';
import { ProposalWaiters, ReadWaiters } from './waiters.ts';
import { apiAuthHooks, isWriter } from './api-auth.ts';
import { readFileSync } from 'node:fs';
import type { Client } from 'aedes';
import { DataDirError } from './data-dir.ts';
import { joinCluster } from './join.ts';
import { memoryFigures } from './memory-figures.ts';
import { releaseBytes } from './release-bytes.ts';

/** How long an API call waits for its write or read to be confirmed. */
const REQUEST_TIMEOUT_MS = 5_000;
/** Retained status is refreshed this often. */
const STATUS_INTERVAL_MS = 5_000;

export interface RunningBoard {
  readonly id: string;
  readonly mqttPort: number;
  readonly httpPort: number;
  stop(): Promise<void>;
  /** Resolves when the board stopped by itself after a fatal error. */
  readonly failed: Promise<Error>;
}

function sortedVoters(config: StartConfig): NodeId[] {
  return config.peers.length > 0 ? config.peers.map((p) => p.id).sort() : [config.id];
}

/** aedes keeps connected clients by id; its type definitions omit the map. */
function clientById(broker: RunningBroker | undefined, id: string): Client | undefined {
  return (broker?.aedes as unknown as { clients?: Record<string, Client> } | undefined)?.clients?.[id];
}

function readTls(t: NonNullable<StartConfig['tls']>): { cert: Buffer; key: Buffer; ca?: Buffer } {
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new DataDirError('TLS_FILE_UNREADABLE', `cannot read ${what} ${path}: ${(err as Error).message}`);
    }
  };
  return { cert: read('TLS certificate', t.cert), key: read('TLS key', t.key), ...(t.ca !== undefined ? { ca: read('TLS CA bundle', t.ca) } : {}) };
}

/** The founding configuration: same on every founding voter given the same --peers. */
async function bootstrapState(config: StartConfig, wasm: Uint8Array | undefined, advertisePort: number): Promise<{ image: Uint8Array; confState: ConfState }> {
  const confState: ConfState = { ...emptyConfState, voters: sortedVoters(config) };
  const sm = await StateMachine.create(wasm ? { wasmBinary: wasm } : {});
  const addresses = config.peers.length > 0
    ? Object.fromEntries([...config.peers].sort((a, b) => a.id.localeCompare(b.id)).map((p) => [p.id, { host: p.host, port: p.port }]))
    : { [config.id]: { host: config.advertiseHost, port: advertisePort } };
  sm.applyMembership(1, confState, encodeMemberContext({ requestId: null, addresses }));
  const image = sm.export();
  sm.close();
  return { image, confState };
}

export async function startBoard(config: StartConfig, log: Logger): Promise<RunningBoard> {
  ensureWritableDataDir(config.dataDir);
  const startedAt = process.hrtime.bigint();
  const wasm = await loadSqlWasm();
  const opened = await openDataDir({
    dir: config.dataDir,
    policy: { maxEntries: config.snapshotEntries, keepEntries: config.compactKeepEntries },
    logger: (message) => log.warn(message),
  });
  const cleanup: Array<() => Promise<void> | void> = [() => opened.close()];
  const undo = async (): Promise<void> => {
    for (const f of cleanup.reverse()) await Promise.resolve(f()).catch(() => {});
  };
  try {
    const fresh = opened.snapshot === null && opened.hardState.term === 0 && opened.logStore.lastIndex() === 0;
    let snapshot = opened.snapshot;
    if (fresh && config.role === 'voter' && config.join === undefined) {
      const { image, confState } = await bootstrapState(config, wasm, config.mqttPort);
      snapshot = { ...bootstrapSnapshot(confState), data: image };
      await opened.storage.installSnapshot(snapshot);
      await opened.storage.saveReady({ term: 1, vote: null, commit: 1 }, [], true);
      log.info('bootstrapped a new cluster', { voters: confState.voters });
    }
    const state = snapshot ? await restoreState(snapshot, wasm) : await StateMachine.create(wasm ? { wasmBinary: wasm } : {});
    // The state machine copied the image; the data directory keeps it (a board lives long: free it now).
    if (snapshot) releaseBytes(snapshot.data);
    cleanup.push(() => state.close());

    const node = new RaftNode({
      id: config.id,
      storage: opened.logStore,
      random: new SeededRandom(randomInt(2 ** 31)),
      electionTicks: config.electionTicks,
      heartbeatTicks: config.heartbeatTicks,
      preVote: true,
      checkQuorum: true,
      // Well under the broker's 1 MiB packet cap: an append always carries at least one
      // entry, and a command is at most 64 KiB.
      maxSizePerMsg: 256 * 1024,
      applied: state.appliedIndex(),
      // The leader's fsync overlaps its followers' (thesis §10.2.1): one disk write less per commit round.
      parallelLeaderWrite: true,
    });

    // Certificates are read once at start; a missing file is a clear start-up error.
    const tlsFiles = config.tls ? readTls(config.tls) : undefined;
    let brokerRef: RunningBroker | undefined;
    let services: ReturnType<typeof createServices> | undefined;
    const mqttApi = createMqttApi({
      cluster: config.cluster,
      writeToken: config.writeToken,
      isWriter: (ctx) => isWriter(clientById(brokerRef, ctx.clientId), config.writeToken),
      services: () => {
        if (!services) throw new ApiError('STARTING', 503, 'board is starting');
        return services;
      },
    });
    const authLog = rateLimited((m, f) => log.warn(m, f));
    const brokerLog = rateLimited((m, f) => log.info(m, f));
    const auth = createMemberAuth({
      cluster: config.cluster,
      self: config.id,
      memberSecret: config.memberSecret,
      fallback: apiAuthHooks({ cluster: config.cluster, writeToken: config.writeToken, anonymousRead: config.anonymousRead }),
      log: (e) => authLog('mqtt auth refused', { code: e.code, client: e.clientId, detail: e.detail }),
    });
    const broker: RunningBroker = await startBroker({
      host: config.mqttHost,
      port: config.mqttPort,
      hooks: auth.hooks,
      requests: mqttApi.requests,
      log: (entry) => (entry.kind === 'client-error' ? log.debug('mqtt client error', { ...entry }) : brokerLog('mqtt', { ...entry })),
      ...(tlsFiles ? { tls: tlsFiles } : {}),
    });
    brokerRef = broker;
    cleanup.push(() => broker.close());

    const peers = new Map<NodeId, PeerAddress>();
    for (const m of state.members()) if (m.id !== config.id && m.host !== null && m.port !== null) peers.set(m.id, { host: m.host, port: m.port });
    for (const p of config.peers) if (p.id !== config.id) peers.set(p.id, { host: p.host, port: p.port });
    const transport = createMqttTransport({
      cluster: config.cluster,
      self: config.id,
      memberSecret: config.memberSecret,
      aedes: broker.aedes,
      peers,
      ...(tlsFiles ? { tls: { ca: tlsFiles.ca } } : {}),
      log: (e) => log.debug('transport', { code: e.code, peer: e.peer, detail: e.detail }),
    });
    cleanup.push(() => transport.close());

    const publisher = new StatePublisher(broker.aedes, config.cluster, log);
    const proposals = new ProposalWaiters(REQUEST_TIMEOUT_MS);
    const reads = new ReadWaiters(REQUEST_TIMEOUT_MS);
    let failWith: (err: Error) => void = () => {};
    const failed = new Promise<Error>((resolve) => (failWith = resolve));
    let leader: string | null = null;

    const loop: RaftLoop = new RaftLoop({
      node, storage: opened.storage, transport, state, wasmBinary: wasm, proposals, reads, log,
      hooks: {
        applied: (result) => publisher.changes(result.index, result.requestId, result.changes),
        confChanged: (cs, context, index) => {
          const ctx = decodeMemberContext(context);
          for (const [id, addr] of Object.entries(ctx.addresses)) if (id !== config.id) transport.addPeer(id, addr);
          for (const m of loop.state.members()) {
            if (m.id !== config.id && m.host !== null && m.port !== null) transport.addPeer(m.id, { host: m.host, port: m.port });
          }
          const members = new Set([...cs.voters, ...cs.learners, ...cs.votersOutgoing]);
          for (const id of transport.stats().keys()) if (!members.has(id) && !peers.has(id)) transport.removePeer(id);
          if (ctx.requestId) proposals.settle(ctx.requestId, { ok: true, revision: index });
          log.info('membership', { index, voters: cs.voters, externals: cs.learners.length });
        },
        restored: (sm) => publisher.resync(sm),
        softStateChanged: (l, r) => {
          if (l !== leader) log.info('leader changed', { leader: l, role: r, term: node.status().term });
          leader = l;
          publishStatus();
        },
        fatal: (err) => {
          log.error('fatal storage error: stopping the board', { err });
          failWith(err);
        },
      },
    });
    transport.onMessage((m) => loop.step(m));
    transport.onSnapshotStatus((peer, ok) => {
      node.reportSnapshot(peer, ok);
      loop.schedule();
    });
    transport.onUnreachable((peer) => node.reportUnreachable(peer));

    const boardRole = (): string => {
      const cs = loop.confState;
      if (cs.learners.includes(config.id)) return 'external';
      if (cs.voters.includes(config.id) || cs.votersOutgoing.includes(config.id)) return 'voter';
      return 'none';
    };
    const status = (): Record<string, unknown> => {
      const s = node.status();
      let queued = 0;
      let dropped = 0;
      let connected = 0;
      for (const p of transport.stats().values()) {
        queued += p.queued;
        dropped += p.dropped;
        if (p.connected) connected++;
      }
      return {
        id: config.id, cluster: config.cluster, version, role: boardRole(), raftRole: s.role,
        term: s.term, leader: s.leader, commitIndex: s.commit, appliedIndex: loop.state.appliedIndex(),
        firstIndex: s.firstIndex, lastIndex: s.lastIndex,
        voters: s.confState.voters, externals: s.confState.learners.length,
        memory: memoryFigures(),
        pendingWrites: proposals.size, pendingReads: reads.size,
        transport: { peers: transport.stats().size, connected, queued, dropped },
        uptimeSeconds: Math.round(Number(process.hrtime.bigint() - startedAt) / 1e9),
      };
    };
    const peersView = (): Record<string, unknown> => {
      const s = node.status();
      const stats = transport.stats();
      const addresses = new Map(loop.state.members().map((m) => [m.id, m]));
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
      publisher.status(config.id, status());
    }

    services = createServices({ id: config.id, cluster: config.cluster, loop, transport, proposals, reads, status, peers: peersView });
    publisher.resync(state);

    const health = (): Record<string, unknown> => ({
      status: 'ok', id: config.id, cluster: config.cluster, version, role: boardRole(), leader,
      uptimeSeconds: Math.round(Number(process.hrtime.bigint() - startedAt) / 1e9),
      rssBytes: process.memoryUsage.rss(), heapLimitBytes: getHeapStatistics().heap_size_limit, execArgv: process.execArgv,
    });
    const http: RunningHttp = await listenHttp(
      { host: config.httpHost, port: config.httpPort, tls: tlsFiles },
      createRestHandler(services, { writeToken: config.writeToken, health }),
    );
    cleanup.push(() => http.close());

    const ticker = setInterval(() => loop.tick(), config.tickMs);
    const statusTimer = setInterval(publishStatus, STATUS_INTERVAL_MS);
    cleanup.push(() => {
      clearInterval(ticker);
      clearInterval(statusTimer);
    });
    loop.schedule();
    publishStatus();

    log.info('board started', {
      id: config.id, cluster: config.cluster, dataDir: config.dataDir, role: boardRole(),
      mqtt: `${config.mqttHost}:${broker.port}`, http: `${config.httpHost}:${http.port}`,
      applied: state.appliedIndex(),
    });

    let joinAbort: AbortController | undefined;
    if (config.join !== undefined && boardRole() === 'none') {
      joinAbort = new AbortController();
      void joinCluster({
        via: config.join, id: config.id, host: config.advertiseHost, port: broker.port, token: config.writeToken,
        signal: joinAbort.signal, log,
      });
    } else if (boardRole() === 'none') {
      log.info('not a member yet: add this board with POST /v1/members on any member, or start it with --join URL');
    }

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        joinAbort?.abort();
        await handOverLeadership(node, loop, log);
        loop.stop();
        const shutdown = new ApiError('SHUTTING_DOWN', 503, 'the board is shutting down');
        proposals.failAll(shutdown);
        reads.failAll(shutdown);
        await undo();
        loop.state.close();
        log.info('board stopped');
      })();
      return stopping;
    };
    return { id: config.id, mqttPort: broker.port, httpPort: http.port, stop, failed };
  } catch (err) {
    await undo();
    throw err;
  }
}

/** A leader transfers leadership to its most up-to-date voter and waits briefly for it. */
async function handOverLeadership(node: RaftNode, loop: RaftLoop, log: Logger): Promise<void> {
  const s = node.status();
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
  try {
    node.transferLeadership(best);
    loop.schedule();
  } catch (err) {
    log.warn('leadership transfer refused', { err });
    return;
  }
  const deadline = Date.now() + 3_000;
  while (Date.now() < deadline && node.status().role === 'leader') await new Promise((r) => setTimeout(r, 50));
  log.info('leadership handed over', { to: best, done: node.status().role !== 'leader' });
}
