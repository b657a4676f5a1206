// Kill-and-restart harness: a child appends with fsynced saves and prints acks;
// we SIGKILL it at a random moment, reopen the data dir, and check that every
// acknowledged entry is present and intact. Standalone:
//   npx tsx test/storage/crash-harness.ts [rounds] [seed]
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDataDir } from '../../src/storage/open.ts';
import { crashEntry, crashImage, crashOptions, rng } from './crash-shared.ts';

const childPath = fileURLToPath(new URL('./crash-child.ts', import.meta.url));

export interface CrashReport { rounds: number; maxAcked: number; problems: string[]; tornTailsCut: number }

export async function runCrashRounds(dir: string, rounds: number, seed: number): Promise<CrashReport> {
  const random = rng(seed);
  const problems: string[] = [];
  let maxAcked = 0;
  let tornTailsCut = 0;
  for (let round = 0; round < rounds; round++) {
    const acked = await runChild(dir, Math.floor(random() * 2 ** 31), 20 + Math.floor(random() * 300));
    maxAcked = Math.max(maxAcked, acked);
    const logs: string[] = [];
    const d = await openDataDir({ ...crashOptions(dir), logger: (m) => logs.push(m) });
    tornTailsCut += logs.filter((l) => l.includes('torn tail')).length;
    const snapIndex = d.snapshot?.metadata.index ?? 0;
    if (d.snapshot !== null && !equal(d.snapshot.data, crashImage(snapIndex))) problems.push(`round ${round}: snapshot ${snapIndex} image differs`);
    if (d.logStore.lastIndex() < maxAcked) problems.push(`round ${round}: acknowledged ${maxAcked} but log ends at ${d.logStore.lastIndex()}`);
    if (d.logStore.firstIndex() !== snapIndex + 1) problems.push(`round ${round}: log starts at ${d.logStore.firstIndex()}, snapshot at ${snapIndex}`);
    const last = Math.min(maxAcked, d.logStore.lastIndex());
    if (last > snapIndex) {
      const got = d.logStore.entries(snapIndex + 1, last + 1, Number.MAX_SAFE_INTEGER);
      for (const e of got) {
        const want = crashEntry(e.index);
        if (e.term !== want.term || !equal(e.data, want.data)) problems.push(`round ${round}: entry ${e.index} differs`);
      }
    }
    await d.close();
  }
  return { rounds, maxAcked, problems, tornTailsCut };
}

/** Runs the child until `killAfterMs` after its first ack, SIGKILLs it, returns the highest acknowledged index. */
function runChild(dir: string, seed: number, killAfterMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', childPath, dir, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let acked = 0;
    let buffered = '';
    let stderr = '';
    let timer: NodeJS.Timeout | null = null;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const m = /^ack (\d+)$/.exec(line);
        if (m !== null) acked = Math.max(acked, Number(m[1]));
        if (timer === null && (m !== null || line.startsWith('ready'))) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer !== null) clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`crash child exited (${code}, ${signal}): ${stderr.slice(0, 2000)}`));
      else resolve(acked);
    });
  });
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const rounds = Number(process.argv[2] ?? 100);
  const seed = Number(process.argv[3] ?? 20261129);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raftlight-crash-'));
  console.log(`crash harness: ${rounds} rounds, seed ${seed}, dir ${dir}`);
  const started = Date.now();
  try {
    const r = await runCrashRounds(dir, rounds, seed);
    console.log(`rounds ${r.rounds}, highest acknowledged index ${r.maxAcked}, torn tails cut ${r.tornTailsCut}, problems ${r.problems.length}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const p of r.problems) console.log(p);
    process.exitCode = r.problems.length === 0 ? 0 : 1;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
