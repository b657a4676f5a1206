// Runs the "Securing an installation" walkthrough of docs/operations.md as
// written: its shell blocks, in order, in one bash, in a fresh directory, with
// `raftlight` on the PATH being the image under test and free ports in place
// of the defaults. Then hands the installation it built to `use` (the
// hostile-input suite) and stops every process the walkthrough started.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePortOutsideEphemeral } from '../../src/bench/launcher.ts';
import type { SuiteResult } from './suite.ts';
import type { SuiteBoard, SuiteTarget } from './target.ts';

const docs = resolve(import.meta.dirname, '../../docs/operations.md');

/** The shell blocks of the section, in order. */
export function walkthroughBlocks(markdown: string, heading = '## Securing an installation'): string[] {
  const start = markdown.indexOf(heading);
  if (start < 0) throw new Error(`docs/operations.md has no "${heading}" section`);
  const rest = markdown.slice(start + heading.length);
  const end = rest.search(/\n## /);
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** Processes whose working directory is `dir` (the walkthrough's boards). */
function processesIn(dir: string): Array<{ pid: number; cmdline: string[] }> {
  const out: Array<{ pid: number; cmdline: string[] }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) !== dir) continue;
      out.push({ pid: Number(entry), cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0') });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

export async function runWalkthrough(image: string, use: (t: SuiteTarget) => Promise<SuiteResult[]>): Promise<SuiteResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'raftlight-walkthrough-'));
  const bin = join(dir, '.bin');
  mkdirSync(bin);
  symlinkSync(image, join(bin, 'raftlight'));
  const ports: Record<string, string> = {};
  const taken = new Set<number>();
  for (const name of ['M1', 'M2', 'M3', 'M4', 'H1', 'H2', 'H3', 'H4']) {
    let p = await freePortOutsideEphemeral();
    while (taken.has(p)) p = await freePortOutsideEphemeral();
    taken.add(p);
    ports[name] = String(p);
  }
  const script = ['set -eo pipefail', ...walkthroughBlocks(readFileSync(docs, 'utf8'))].join('\n');
  const results: SuiteResult[] = [];
  const bash = spawn('bash', ['-c', script], {
    cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...ports, PATH: `${bin}:${process.env.PATH ?? ''}`, RAFTLIGHT_STOP_ON_STDIN_CLOSE: '' },
  });
  let output = '';
  bash.stdout.on('data', (d: Buffer) => (output += d.toString()));
  bash.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const stopAll = (): void => {
    for (const p of processesIn(dir)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  try {
    const code = await new Promise<number | null>((r) => {
      const timer = setTimeout(() => bash.kill('SIGKILL'), 240_000);
      bash.once('exit', (c) => {
        clearTimeout(timer);
        r(c);
      });
    });
    const ok = code === 0 && /"revision":\d+/.test(output) && /raftlight\/lobby\/state\/area\/lobby /.test(output);
    results.push({ name: 'walkthrough of docs/operations.md run as written', ok, evidence: `bash exit ${code}; ${ok ? 'the write and the subscription worked' : `output:\n${output.slice(-3000)}`}` });
    process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} walkthrough: bash exit ${code}\n${output.split('\n').map((l) => `     | ${l}`).join('\n')}\n`);
    if (!ok) return results;
    const running = processesIn(dir);
    const pidOf = (id: string) => (): number | null => {
      const p = processesIn(dir).find((x) => x.cmdline.includes('--id') && x.cmdline[x.cmdline.indexOf('--id') + 1] === id);
      return p?.pid ?? null;
    };
    const board = (id: string, role: 'voter' | 'external', m: string, h: string): SuiteBoard => ({
      id, role, host: '127.0.0.1', mqttPort: Number(ports[m]), httpPort: Number(ports[h]), dataDir: join(dir, 'data', id), pid: pidOf(id),
    });
    process.stdout.write(`     walkthrough boards: ${running.filter((p) => p.cmdline.includes('start')).length} processes\n`);
    results.push(...await use({
      cluster: 'lobby',
      writeToken: readFileSync(join(dir, 'write.token'), 'utf8').trim(),
      readToken: readFileSync(join(dir, 'read.token'), 'utf8').trim(),
      ca: readFileSync(join(dir, 'pki', 'ca.pem')),
      boards: [board('b1', 'voter', 'M1', 'H1'), board('b2', 'voter', 'M2', 'H2'), board('b3', 'voter', 'M3', 'H3'), board('e1', 'external', 'M4', 'H4')],
    }));
    return results;
  } finally {
    stopAll();
    try {
      process.kill(-bash.pid!, 'SIGKILL');
    } catch {
      // the group is gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
