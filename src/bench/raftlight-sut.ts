// The raftlight installation under test: V voters and the rest external boards,
// real processes (the built image or the sources), seeded with the key space.
import type { ChildProcess } from 'node:child_process';
import { Installation } from './launcher.ts';
import { readFileSync } from 'node:fs';
import { httpRequest, trustCa } from './http-client.ts';
import { PropagationWatcher } from './propagation.ts';
import type { SystemUnderTest } from './measure.ts';
import type { BoardRef } from './sampler.ts';
import { areaBody, type WriteOutcome } from './workload.ts';

export interface RaftlightSetup {
  command: string;
  args: string[];
  commandOf?: (id: string) => string;
  root: string;
  voters: number;
  externals: number;
  /** Writes cycle over this many areas (bench-0 .. bench-K-1): the database stays the same size. */
  keys: number;
  target: 'round-robin' | 'leader';
  extraBoardArgs: string[];
  hostOf?: (id: string) => string;
  wrap?: (id: string) => string[];
  onSpawn?: (id: string, child: ChildProcess) => void;
  /** Environment added for every board (the image ignores node's own variables: see src/cli/image-guard.ts). */
  env?: NodeJS.ProcessEnv;
  /** Memory charged to a board's cgroup (--board-limits). */
  cgroupUsageBytes?: (id: string) => number | null;
  /** V8 CPU profile of every board into this folder (<board>-<start>.cpuprofile). */
  cpuProfileDir?: string;
  /** Node flags for every board (the heap snapshots' signal): see Installation's nodeFlags. */
  nodeFlags?: string[];
  /** TLS for every board, and the CA the bench's clients verify with. */
  tls?: { cert: string; key: string; ca: string };
  /** One MQTT subscriber per board on its events topic (default true); false: no observers at all. */
  watch?: boolean;
  log: (line: string) => void;
}

export interface RaftlightRun {
  inst: Installation;
  sut: SystemUnderTest;
  watcher: PropagationWatcher;
  watched: number;
  /** Revision of the last seed write: every board had applied it before the run. */
  seedRevision: number;
}

export const CLUSTER = 'bench';
/** How long seeding retries a write that met no leader or a reset connection. */
const SEED_RETRY_MS = 60_000;
/** A board that answered 421 (not a voter) gets no writes for this long. */
const NOT_VOTER_SKIP_MS = 10_000;
/** A board that refused the connection gets no writes for this long. */
const UNREACHABLE_SKIP_MS = 1_000;

function parseRevision(body: string): number | null {
  try {
    const r = (JSON.parse(body) as { revision?: unknown }).revision;
    return typeof r === 'number' ? r : null;
  } catch {
    return null;
  }
}

async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

export async function startRaftlight(s: RaftlightSetup): Promise<RaftlightRun> {
  const inst = new Installation({
    command: s.command, args: s.args, root: s.root, cluster: CLUSTER,
    // Autopilot keeps the bench's voter count (and replaces voters killed for good).
    extraArgs: ['--log-level', 'warn', ...(s.voters % 2 === 1 ? ['--autopilot-voters', String(s.voters)] : ['--no-autopilot']), ...s.extraBoardArgs], logTailLines: 60, ...(s.env ? { env: s.env } : {}),
    ...(s.cpuProfileDir !== undefined ? { cpuProfileDir: s.cpuProfileDir } : {}),
    ...(s.nodeFlags?.length ? { nodeFlags: s.nodeFlags } : {}),
    ...(s.commandOf ? { commandOf: s.commandOf } : {}), ...(s.hostOf ? { hostOf: s.hostOf } : {}), ...(s.wrap ? { wrap: s.wrap } : {}), ...(s.onSpawn ? { onSpawn: s.onSpawn } : {}),
    ...(s.tls ? { tls: s.tls } : {}),
  });
  if (s.tls) trustCa(readFileSync(s.tls.ca));
  try {
    await inst.create(s.voters, s.externals);
    const leader = await inst.waitForLeader(60_000);
    s.log(`${s.voters} voters up, leader ${leader}`);
    const externals = [...inst.boards.values()].filter((b) => b.role === 'external').map((b) => b.id);
    // Join in groups so the leader is not asked to add 95 learners in the same instant.
    for (let i = 0; i < externals.length; i += 10) {
      const group = externals.slice(i, i + 10);
      await Promise.all(group.map((id) => inst.start(id)));
      await Promise.all(group.map((id) => inst.waitForRole(id, 'external', 120_000)));
      s.log(`${Math.min(i + 10, externals.length)}/${externals.length} external boards joined`);
    }
    const watcher = new PropagationWatcher(CLUSTER, s.tls ? { ca: readFileSync(s.tls.ca) } : {});
    const subscribed = s.watch === false ? [] : await Promise.all([...inst.boards.values()].map((b) => watcher.watch(b.id, b.host, b.mqttPort)));
    const watched = subscribed.filter(Boolean).length;
    if (s.watch !== false && watched < inst.boards.size) s.log(`warning: only ${watched}/${inst.boards.size} boards' events could be watched`);
    const voterUrls = [...inst.boards.values()].filter((b) => b.role === 'voter').map((b) => b.url);
    let seedRevision = 0;
    const keys = Array.from({ length: s.keys }, (_, k) => k);
    await pool(keys, 16, async (k) => {
      const body = JSON.stringify({ id: `bench-${k}`, ...(JSON.parse(areaBody(k)) as object) });
      // A leader change while seeding (a slow board, a loaded machine) is retried, not fatal.
      const deadline = Date.now() + SEED_RETRY_MS;
      for (let attempt = 0; ; attempt++) {
        let status = 0;
        let text = '';
        try {
          const r = await httpRequest(`${voterUrls[(k + attempt) % voterUrls.length]}/v1/areas`, 'POST', body, 30_000, inst.writeHeaders());
          [status, text] = [r.status, r.body];
        } catch (err) {
          text = (err as Error).message;
        }
        if (status === 201 || status === 200) seedRevision = Math.max(seedRevision, parseRevision(text) ?? 0);
        if (status === 201 || status === 200 || status === 409) return;
        const retriable = status === 0 || status === 503 || status === 504;
        if (!retriable || Date.now() > deadline) throw new Error(`seeding area bench-${k} failed: ${status ? `HTTP ${status} ` : ''}${text.slice(0, 200)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    });
    await Promise.all([...inst.boards.keys()].map((id) => inst.waitForApplied(id, seedRevision, 120_000)));
    s.log(`seeded ${s.keys} areas (revision ${seedRevision}) on all ${inst.boards.size} boards`);
    let rr = 0;
    let leaderUrl: string | null = null;
    // Founders autopilot has demoted (a voter killed and back as an external board answers 421),
    // and boards that refuse connections (killed, or started and not listening yet): skipped for
    // a while, the write retried elsewhere, as a client told "send it to a voter" would.
    const notVoterUntil = new Map<string, number>();
    const pickUrl = (): string => {
      const now = Date.now();
      const up = [...inst.boards.values()].filter((b) => b.role === 'voter' && inst.isRunning(b.id) && (notVoterUntil.get(b.url) ?? 0) < now);
      if (s.target === 'leader' && leaderUrl) return leaderUrl;
      return (up[rr++ % Math.max(1, up.length)] ?? inst.get('v1')).url;
    };
    if (s.target === 'leader') leaderUrl = inst.get(leader).url;
    const auth = inst.writeHeaders();
    const writer = async (seq: number, attempt = 0): Promise<WriteOutcome> => {
      const url = pickUrl();
      try {
        const r = await httpRequest(`${url}/v1/areas/bench-${seq % s.keys}`, 'PUT', areaBody(seq), 10_000, auth);
        if (r.status === 200 || r.status === 201) return { ok: true, revision: parseRevision(r.body) };
        if (r.status === 421 && attempt < 3) {
          notVoterUntil.set(url, Date.now() + NOT_VOTER_SKIP_MS);
          return await writer(seq, attempt + 1);
        }
        if (s.target === 'leader') leaderUrl = null;
        return { ok: false, revision: null, error: `HTTP ${r.status} ${r.body.slice(0, 120)}` };
      } catch (err) {
        if (s.target === 'leader') leaderUrl = null;
        if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED' && attempt < 3) {
          notVoterUntil.set(url, Date.now() + UNREACHABLE_SKIP_MS);
          return await writer(seq, attempt + 1);
        }
        return { ok: false, revision: null, error: (err as Error).message };
      }
    };
    const boards = (): BoardRef[] => [...inst.boards.values()].map((b) => ({
      id: b.id, role: b.role, url: b.url, dataDir: b.dataDir,
      pid: () => (inst.isRunning(b.id) ? b.process?.pid ?? null : null),
      ...(s.cgroupUsageBytes ? { cgroupUsageBytes: () => s.cgroupUsageBytes!(b.id) } : {}),
    }));
    return { inst, watcher, watched, seedRevision, sut: { name: 'raftlight', boards, writer } };
  } catch (err) {
    await inst.stopAll('SIGKILL');
    throw err;
  }
}
