// --compare etcd: a local etcd cluster of the same voter count on loopback,
// written through its v3 JSON gateway (POST /v3/kv/put) with the same payloads.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, sleep } from './launcher.ts';
import { watchEtcdMember } from './etcd-watch.ts';
import { getJson, httpRequest } from './http-client.ts';
import { PropagationWatcher } from './propagation.ts';
import type { SystemUnderTest } from './measure.ts';
import type { BoardRef } from './sampler.ts';
import { areaBody, type WriteOutcome } from './workload.ts';

export class EtcdUnavailableError extends Error {
  readonly code = 'ETCD_UNAVAILABLE';
}

export interface EtcdCluster {
  version: string;
  sut: SystemUnderTest;
  /** One watch per member on the benchmark's keys: the propagation delay, and the same observer load raftlight carries. */
  watcher: PropagationWatcher;
  watched: number;
  stop(): Promise<void>;
}

/** `etcd --version`'s first line; throws EtcdUnavailableError when there is no etcd. */
export function etcdVersion(binary = 'etcd'): string {
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim();
  } catch {
    throw new EtcdUnavailableError('--compare etcd needs the etcd binary (Debian: apt-get install etcd-server)');
  }
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** `watch` false: no watches at all (the same as raftlight without subscribers). */
export async function startEtcd(root: string, members: number, keys: number, log: (l: string) => void, watch = true): Promise<EtcdCluster> {
  const version = etcdVersion();
  const specs: { name: string; client: number; peer: number; dir: string }[] = [];
  for (let i = 1; i <= members; i++) specs.push({ name: `etcd${i}`, client: await freePort(), peer: await freePort(), dir: join(root, `etcd${i}`) });
  const cluster = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peer}`).join(',');
  const procs = new Map<string, ChildProcess>();
  for (const s of specs) {
    mkdirSync(s.dir, { recursive: true });
    const child = spawn('etcd', [
      '--name', s.name, '--data-dir', s.dir,
      '--listen-client-urls', `http://127.0.0.1:${s.client}`, '--advertise-client-urls', `http://127.0.0.1:${s.client}`,
      '--listen-peer-urls', `http://127.0.0.1:${s.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${s.peer}`,
      '--initial-cluster', cluster, '--initial-cluster-token', `bench-${process.pid}`, '--initial-cluster-state', 'new',
      '--logger', 'zap', '--log-level', 'error',
    ], { stdio: ['ignore', 'ignore', 'ignore'] });
    procs.set(s.name, child);
  }
  const stop = async (): Promise<void> => {
    await Promise.all([...procs.values()].map((p) => new Promise<void>((r) => {
      if (p.exitCode !== null || p.signalCode !== null) return r();
      p.once('exit', () => r());
      p.kill('SIGTERM');
      setTimeout(() => p.kill('SIGKILL'), 10_000).unref();
    })));
  };
  try {
    const deadline = Date.now() + 60_000;
    for (const s of specs) {
      for (;;) {
        const h = await getJson(`http://127.0.0.1:${s.client}/health`, 1000);
        if (h?.health === 'true' || h?.health === true) break;
        if (Date.now() > deadline) throw new Error(`etcd member ${s.name} not healthy within 60 s`);
        await sleep(200);
      }
    }
    const urls = specs.map((s) => `http://127.0.0.1:${s.client}`);
    let rr = 0;
    const put = async (key: string, value: string): Promise<WriteOutcome> => {
      try {
        const r = await httpRequest(`${urls[rr++ % urls.length]}/v3/kv/put`, 'POST', JSON.stringify({ key: b64(key), value: b64(value) }), 10_000);
        if (r.status !== 200) return { ok: false, revision: null, error: `HTTP ${r.status} ${r.body.slice(0, 120)}` };
        const rev = Number((JSON.parse(r.body) as { header?: { revision?: string } }).header?.revision);
        return { ok: true, revision: Number.isFinite(rev) ? rev : null };
      } catch (err) {
        return { ok: false, revision: null, error: (err as Error).message };
      }
    };
    for (let k = 0; k < keys; k++) {
      const r = await put(`bench-${k}`, areaBody(k));
      if (!r.ok) throw new Error(`seeding etcd failed: ${r.error}`);
    }
    const watcher = new PropagationWatcher('etcd');
    const created = watch ? await Promise.all(specs.map((s) => watchEtcdMember(watcher, s.name, `http://127.0.0.1:${s.client}`, 'bench-'))) : [];
    const watched = created.filter(Boolean).length;
    if (watch && watched < specs.length) log(`warning: only ${watched}/${specs.length} etcd members could be watched`);
    log(`etcd ${version}: ${members} members up, seeded ${keys} keys, ${watched} watches`);
    const boards = (): BoardRef[] => specs.map((s) => ({
      id: s.name, role: 'voter', url: `http://127.0.0.1:${s.client}`, dataDir: join(s.dir, 'member'),
      pid: () => {
        const p = procs.get(s.name);
        return p && p.exitCode === null && p.signalCode === null ? p.pid ?? null : null;
      },
    }));
    return { version, stop, watcher, watched, sut: { name: 'etcd', boards, writer: (seq) => put(`bench-${seq % keys}`, areaBody(seq)) } };
  } catch (err) {
    await stop();
    throw err;
  }
}
