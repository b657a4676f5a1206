// Availability after faults, with real board processes, each in its own network
// namespace (root, iproute2):
//   partition-heal: every packet to a follower is dropped for a while (iptables
//     in its namespace: a blackholed route), then let through again; how long
//     after the heal until a write sent to that board succeeds again;
//   leader-loss: the leader is killed (SIGKILL); how long until a write
//     succeeds anywhere, counted from the kill.
// Writers send a new write to each board every --interval ms (each with its
// own 3 s deadline), so one stuck request never hides a recovery.
//   npm run bench:availability -- [--voters 5] [--trials 20] [--image images/linux-x64/raftlight]
//                                 [--sources DIR] [--partition-ms 3000] [--interval 25]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Installation, sleep } from './launcher.ts';
import { setupNetns } from './netns.ts';
import { percentileSorted as percentile } from './stats.ts';

interface Args {
  voters: number;
  trials: number;
  image: string | undefined;
  sources: string;
  partitionMs: number;
  intervalMs: number;
  boardArgs: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    voters: Number(get('voters') ?? 5),
    trials: Number(get('trials') ?? 20),
    image: get('image'),
    sources: resolve(get('sources') ?? join(import.meta.dirname, '../..')),
    partitionMs: Number(get('partition-ms') ?? 3000),
    intervalMs: Number(get('interval') ?? 25),
    boardArgs: (get('board-args') ?? '').split(/\s+/).filter((s) => s !== ''),
  };
}

/** Sends a write to `id` every intervalMs; remembers when each success was sent and came back. */
class Writer {
  readonly successes: { sentAt: number; doneAt: number }[] = [];
  private stopped = false;
  private n = 0;

  constructor(private readonly inst: Installation, readonly id: string, private readonly intervalMs: number) {}

  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      void this.one();
      setTimeout(tick, this.intervalMs);
    };
    tick();
  }

  stop(): void {
    this.stopped = true;
  }

  private async one(): Promise<void> {
    const b = this.inst.get(this.id);
    const key = `avail-${this.id}-${this.n++ % 64}`;
    const sentAt = Date.now();
    try {
      const res = await fetch(`${b.url}/v1/areas/${key}`, {
        method: 'PUT', headers: { 'content-type': 'application/json', ...this.inst.writeHeaders() },
        body: JSON.stringify({ name: `n${this.n}`, type: 'room', parent: null }),
        signal: AbortSignal.timeout(3000),
      });
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 201) this.successes.push({ sentAt, doneAt: Date.now() });
    } catch {
      // refused, timed out or cut off: not a success
    }
  }

  /** When the first write sent at or after `t` succeeded (writes already under way at `t` do not count). */
  firstSuccessAfter(t: number): number | undefined {
    let first: number | undefined;
    for (const s of this.successes) if (s.sentAt >= t && (first === undefined || s.doneAt < first)) first = s.doneAt;
    return first;
  }
}

async function roleOf(inst: Installation, id: string): Promise<string | undefined> {
  const s = await inst.status(id);
  return typeof s?.raftRole === 'string' ? s.raftRole : undefined;
}

function summary(name: string, ms: readonly number[], failed: number): string {
  if (ms.length === 0) return `${name}: no trial finished (${failed} failed)`;
  const sorted = [...ms].sort((a, b) => a - b);
  return `${name}: trials ${ms.length}${failed ? ` (+${failed} without recovery in 20 s)` : ''}, median ${percentile(sorted, 50).toFixed(0)} ms, p90 ${percentile(sorted, 90).toFixed(0)} ms, p99 ${percentile(sorted, 99).toFixed(0)} ms, max ${sorted[sorted.length - 1]!.toFixed(0)} ms`;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const root = mkdtempSync(join(tmpdir(), 'raftlight-avail-'));
  const ids = Array.from({ length: a.voters }, (_, i) => `v${i + 1}`);
  const ns = setupNetns(ids, undefined);
  const inst = new Installation({
    command: a.image !== undefined ? resolve(a.image) : process.execPath,
    args: a.image !== undefined ? [] : ['--import', 'tsx', join(a.sources, 'src/cli/main.ts')],
    root, cluster: 'avail', hostOf: ns.hostOf, wrap: ns.wrap, extraArgs: ['--log-level', 'warn', ...a.boardArgs],
  });
  const cleanup = async (): Promise<void> => {
    await inst.stopAll('SIGKILL');
    ns.teardown();
    rmSync(root, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    await inst.create(a.voters, 0);
    await inst.waitForLeader(60_000);
    const status = await inst.status(ids[0]!);
    console.log(`${a.voters} voters in network namespaces, ${a.image ?? `sources ${a.sources}`}; board flags: ${a.boardArgs.join(' ') || 'defaults'}; status: ${JSON.stringify(status?.version)}`);
    // The writers replace 64 areas per board over and over: create them first.
    for (const id of ids) {
      for (let k = 0; k < 64; k++) {
        await inst.json(id, '/v1/areas', {
          method: 'POST', headers: { 'content-type': 'application/json', ...inst.writeHeaders() },
          body: JSON.stringify({ id: `avail-${id}-${k}`, name: 'start', type: 'room', parent: null }),
        });
      }
    }
    const writers = new Map(ids.map((id) => [id, new Writer(inst, id, a.intervalMs)]));
    for (const w of writers.values()) w.start();
    await sleep(2000);

    const healMs: number[] = [];
    let healFailed = 0;
    for (let trial = 0; trial < a.trials; trial++) {
      const leader = await inst.waitForLeader(30_000);
      const victim = ids.filter((id) => id !== leader)[trial % (a.voters - 1)]!;
      ns.blackhole(victim);
      await sleep(a.partitionMs);
      const healedAt = Date.now();
      ns.unblackhole(victim);
      const w = writers.get(victim)!;
      const deadline = healedAt + 20_000;
      while (w.firstSuccessAfter(healedAt) === undefined && Date.now() < deadline) await sleep(10);
      const ok = w.firstSuccessAfter(healedAt);
      if (ok === undefined) healFailed++;
      else healMs.push(ok - healedAt);
      process.stdout.write(`partition-heal ${trial + 1}/${a.trials}: ${victim} ${ok === undefined ? 'no write within 20 s' : `${ok - healedAt} ms`}\n`);
      if (process.env['AVAIL_VERBOSE'] === '1') {
        for (const id of [victim, leader]) console.log(`--- ${id} (heal at ${new Date(healedAt).toISOString()})\n${inst.get(id).logTail.slice(-30).join('\n')}`);
      }
      await sleep(1000);
    }

    const lossMs: number[] = [];
    let lossFailed = 0;
    for (let trial = 0; trial < a.trials; trial++) {
      const leader = await inst.waitForLeader(30_000);
      await sleep(500);
      const killedAt = Date.now();
      await inst.stop(leader, 'SIGKILL');
      const others = ids.filter((id) => id !== leader);
      const deadline = killedAt + 20_000;
      const first = (): number | undefined => {
        const t = others.map((id) => writers.get(id)!.firstSuccessAfter(killedAt)).filter((x): x is number => x !== undefined);
        return t.length ? Math.min(...t) : undefined;
      };
      while (first() === undefined && Date.now() < deadline) await sleep(10);
      const ok = first();
      if (ok === undefined) lossFailed++;
      else lossMs.push(ok - killedAt);
      process.stdout.write(`leader-loss ${trial + 1}/${a.trials}: ${leader} ${ok === undefined ? 'no write within 20 s' : `${ok - killedAt} ms`}\n`);
      inst.start(leader);
      for (let i = 0; i < 100 && (await roleOf(inst, leader)) === undefined; i++) await sleep(100);
      await sleep(1500);
    }
    for (const w of writers.values()) w.stop();
    console.log(summary('isolated board writes again after the heal', healMs, healFailed));
    console.log(summary('first write anywhere after the leader is killed', lossMs, lossFailed));
  } finally {
    await cleanup();
  }
}

await main();
