// Disk faults on real boards, run against the built x64 image (part of `npm test`, after the
// build; needs root for the tmpfs and the read-only bind mount). One installation of 3 voters
// and 2 external boards; each scenario damages one board's disk the way the field does, and
// checks that the board either stops with a clear error (non-zero exit, /health 503 before
// it) or recovers, that the other boards keep identical data, and that once the damaged
// board restarts (after space is freed or the directory repaired) it converges to the same
// configuration without any other board being restarted.
//   npm run test:disk-faults [-- --image images/linux-x64/raftlight] [-- --only name]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Installation, sleep } from '../src/bench/launcher.ts';
import { scanSegment, parseSegmentName } from '../src/storage/wal/segment.ts';

const imageArg = process.argv.indexOf('--image');
const image = resolve(imageArg >= 0 ? process.argv[imageArg + 1]! : join(import.meta.dirname, '../images/linux-x64/raftlight'));
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg >= 0 ? process.argv[onlyArg + 1] : undefined;

const root = mkdtempSync(join(tmpdir(), 'raftlight-disk-'));
const mounts: string[] = [];
const inst = new Installation({
  command: image, args: [], root, cluster: 'disk',
  extraArgs: ['--log-level', 'info', '--tick-ms', '50', '--snapshot-entries', '40', '--compact-keep-entries', '5', '--no-autopilot'],
  logTailLines: 200,
});

let written = 0;
async function write(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const id = `a${written++}`;
    for (let attempt = 0; ; attempt++) {
      const leader = await inst.waitForLeader(30_000);
      const r = await inst.json(leader, '/v1/areas', {
        method: 'POST', headers: { 'content-type': 'application/json', ...inst.writeHeaders() },
        body: JSON.stringify({ id, name: `Area ${id}`, type: 'room', parent: null }),
      }).catch(() => ({ status: 0, body: {} }));
      if (r.status === 201 || (r.status === 409 && attempt > 0)) break;
      if (attempt > 20) throw new Error(`write ${id} failed: ${r.status} ${JSON.stringify(r.body)}`);
      await sleep(200);
    }
  }
}

/** What a board serves of the configuration, read locally: equal on every board once converged. */
async function digest(id: string): Promise<string | null> {
  try {
    const r = await inst.json(id, '/v1/areas?consistency=local&limit=1000', { headers: inst.readHeaders() });
    if (r.status !== 200) return null;
    const items = (r.body.items ?? []) as Array<{ id: string; revision: number }>;
    return items.map((x) => `${x.id}@${x.revision}`).sort().join(',');
  } catch {
    return null;
  }
}

async function converged(ids: readonly string[], timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const ds = await Promise.all(ids.map((id) => digest(id)));
    if (ds.every((d) => d !== null && d === ds[0])) return ds[0]!;
    last = ids.map((id, i) => `${id}: ${ds[i]?.split(',').length ?? 'no answer'} areas`).join(', ');
    await sleep(300);
  }
  throw new Error(`boards did not converge within ${timeoutMs} ms (${last})`);
}

const running = (): string[] => [...inst.boards.keys()].filter((id) => inst.isRunning(id));

/** Waits for the board's process to exit by itself; returns its exit code and whether /health said 503 first. */
async function expectStop(id: string, timeoutMs = 30_000): Promise<{ code: number | null; saw503: boolean; reason: string }> {
  const p = inst.get(id).process!;
  let saw503 = false;
  let reason = '';
  const deadline = Date.now() + timeoutMs;
  while (p.exitCode === null && p.signalCode === null && Date.now() < deadline) {
    try {
      const r = await fetch(`${inst.get(id).url}/health`, { signal: AbortSignal.timeout(500) });
      const body = (await r.json()) as { error?: { code?: string } };
      if (r.status === 503) {
        saw503 = true;
        reason = body.error?.code ?? reason;
      }
    } catch {
      // not listening (yet, or any more)
    }
    await sleep(50);
  }
  return { code: p.exitCode, saw503, reason };
}

function walFiles(id: string): string[] {
  const dir = join(inst.get(id).dataDir, 'wal');
  return readdirSync(dir).filter((f) => f.endsWith('.wal')).sort().map((f) => join(dir, f));
}

/** Byte offsets where the records of the last segment end (to cut at an entry's boundary). */
function recordEnds(file: string): number[] {
  const name = parseSegmentName(file.split('/').pop()!)!;
  const ends: number[] = [];
  const buf = readFileSync(file);
  scanSegment(buf, { ...name, file }, true, (record, offset) => {
    ends.push(offset);
    void record;
  });
  return ends;
}

function sh(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

interface Scenario {
  name: string;
  board: string;
  run(): Promise<string>;
}

const scenarios: Scenario[] = [
  {
    name: 'disk full (a small tmpfs)', board: 'e1',
    async run() {
      const dir = inst.get('e1').dataDir;
      const filler = join(dir, 'filler');
      const free = Number(execFileSync('df', ['--output=avail', '-B1', dir]).toString().split('\n')[1]);
      writeFileSync(filler, Buffer.alloc(Math.max(0, free - 8 * 1024)));
      const stopping = expectStop('e1', 60_000);
      await write(200);
      const s = await stopping;
      if (s.code !== 1 || !s.saw503) throw new Error(`expected exit 1 after /health 503, got exit ${s.code}, 503 seen: ${s.saw503}`);
      rmSync(filler);
      await inst.start('e1');
      return `stopped with exit 1 (${s.reason}, /health 503 first); space freed, restarted`;
    },
  },
  {
    name: 'WAL cut in the middle of a record', board: 'v2',
    async run() {
      await inst.stop('v2', 'SIGKILL');
      const f = walFiles('v2').pop()!;
      const ends = recordEnds(f);
      const size = statSync(f).size;
      const at = ends.length > 2 ? ends[ends.length - 2]! + 3 : size - 3;
      execFileSync('truncate', ['-s', String(at), f]);
      await inst.start('v2');
      return `cut ${size - at} bytes mid-record; restarted`;
    },
  },
  {
    name: 'WAL cut at the last entry', board: 'v3',
    async run() {
      await inst.stop('v3', 'SIGKILL');
      const f = walFiles('v3').pop()!;
      const ends = recordEnds(f);
      const at = ends[ends.length - 1]!;
      const size = statSync(f).size;
      execFileSync('truncate', ['-s', String(at), f]);
      await inst.start('v3');
      return `cut its last record (${size - at} bytes at a record boundary); restarted`;
    },
  },
  {
    name: 'WAL byte flipped', board: 'e2',
    async run() {
      await inst.stop('e2', 'SIGKILL');
      const f = walFiles('e2')[0]!;
      const buf = readFileSync(f);
      const at = Math.floor(buf.length / 2);
      buf[at]! ^= 0x10;
      writeFileSync(f, buf);
      await inst.start('e2');
      const s = await expectStop('e2', 30_000);
      if (inst.isRunning('e2')) return 'recovered without stopping';
      await inst.start('e2');
      return `flipped a bit at byte ${at}; it came back as a new incarnation (stopped with ${s.reason || `exit ${s.code}`} to be admitted again), restarted with a join token`;
    },
  },
  {
    name: 'newest snapshot flipped', board: 'v2',
    async run() {
      await inst.stop('v2', 'SIGKILL');
      const dir = join(inst.get('v2').dataDir, 'snap');
      const snaps = readdirSync(dir).filter((f) => f.endsWith('.snap')).sort();
      const f = join(dir, snaps[snaps.length - 1]!);
      const buf = readFileSync(f);
      buf[Math.floor(buf.length * 0.7)]! ^= 0x01;
      writeFileSync(f, buf);
      await inst.start('v2');
      return `flipped a bit in ${snaps[snaps.length - 1]} (${snaps.length} snapshots kept); restarted`;
    },
  },
  {
    name: 'snapshots deleted', board: 'e1',
    async run() {
      await inst.stop('e1', 'SIGKILL');
      const dir = join(inst.get('e1').dataDir, 'snap');
      const snaps = readdirSync(dir).filter((f) => f.endsWith('.snap'));
      for (const f of snaps) rmSync(join(dir, f));
      await inst.start('e1');
      await expectStop('e1', 20_000);
      if (!inst.isRunning('e1')) await inst.start('e1');
      return `deleted ${snaps.length} snapshots; restarted`;
    },
  },
  {
    name: 'data directory wiped', board: 'e2',
    async run() {
      await inst.stop('e2', 'SIGKILL');
      const dir = inst.get('e2').dataDir;
      for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true, force: true });
      await inst.start('e2');
      const s = await expectStop('e2', 30_000);
      if (!inst.isRunning('e2')) await inst.start('e2');
      return `wiped; ${s.reason ? `stopped with ${s.reason} and ` : ''}restarted: it joined as a new incarnation`;
    },
  },
  {
    name: 'data directory turned read-only', board: 'v3',
    async run() {
      const dir = inst.get('v3').dataDir;
      sh('mount', ['--bind', dir, dir]);
      mounts.push(dir);
      sh('mount', ['-o', 'remount,ro,bind', dir]);
      const stopping = expectStop('v3', 60_000);
      await write(30);
      const s = await stopping;
      sh('umount', [dir]);
      mounts.splice(mounts.indexOf(dir), 1);
      if (s.code !== 1 || !s.saw503) throw new Error(`expected exit 1 after /health 503, got exit ${s.code}, 503 seen: ${s.saw503}`);
      await inst.start('v3');
      return `stopped with exit 1 (${s.reason}, /health 503 first); remounted read-write, restarted`;
    },
  },
];

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('disk-fault checks need root (tmpfs and bind mounts): skipped');
    return;
  }
  // e1's data directory is a small tmpfs, so that it can fill up.
  const e1 = join(root, 'e1');
  mkdirSync(e1, { recursive: true });
  sh('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', e1]);
  mounts.push(e1);
  await inst.create(3, 2);
  await inst.waitForLeader(60_000);
  await inst.start('e1');
  await inst.start('e2');
  await write(120);
  await converged(running());
  let failed = 0;
  for (const s of scenarios) {
    if (only !== undefined && !s.name.includes(only)) continue;
    const others = running().filter((id) => id !== s.board);
    const started = Date.now();
    try {
      const what = await s.run();
      await write(20);
      const d = await converged([...inst.boards.keys()], 90_000);
      console.log(`ok  ${s.name} on ${s.board}: ${what}; all 5 boards identical (${d.split(',').length} areas) after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const restarted = others.filter((id) => !inst.isRunning(id));
      if (restarted.length > 0) throw new Error(`other boards stopped: ${restarted.join(', ')}`);
    } catch (err) {
      failed++;
      console.log(`FAIL ${s.name} on ${s.board}: ${(err as Error).message}`);
      console.log(inst.get(s.board).logTail.slice(-25).join('\n'));
      for (const id of inst.boards.keys()) if (!inst.isRunning(id)) await inst.start(id).catch(() => {});
    }
  }
  if (failed > 0) process.exitCode = 1;
  else console.log('disk faults: every scenario ended in a clear stop or a full recovery');
}

try {
  await main();
} finally {
  await inst.stopAll('SIGKILL');
  for (const m of mounts.reverse()) {
    try {
      execFileSync('umount', [m], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
  if (existsSync(root)) rmSync(root, { recursive: true, force: true });
}
