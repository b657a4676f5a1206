// Budget check of the built images (part of `npm test`):
//  - each image's size is within its target's budget;
//  - the x64 image boots, answers /health, carries MQTT between two real
//    mosquitto clients, serves the installer's page within its size budget,
//    and its idle anonymous RSS stays within budget;
//  - the x64 image obeys only its own flags: NODE_OPTIONS (--require) runs no
//    foreign code, OPENSSL_CONF loads nothing, SIGUSR1 opens no inspector;
//  - the arm64 image boots under qemu-aarch64 and answers /health.
// A failure names the budget, the measured value and the target file.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../src/bench/launcher.ts';
import { withAllocatorEnv } from '../src/board/allocator-env.ts';
import { NODE_ENV_HOOKS } from '../src/cli/image-guard.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

interface Target {
  name: string;
  arch: string;
  budgets: { imageMiB: number; idleAnonRssMiB: number; pageKiB: number; pageGzipKiB: number };
}

const MiB = 1024 * 1024;
const failures: string[] = [];
const lines: string[] = [];

function budgetFailure(target: string, budget: string, measured: string, limit: string): void {
  failures.push(`budget ${budget} exceeded: measured ${measured}, limit ${limit} (targets/${target}.json)`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitForHealth(port: number, child: ChildProcess, timeoutMs: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`board exited (${child.signalCode ?? `code ${child.exitCode}`}) before answering /health`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.ok) return (await res.json()) as Record<string, unknown>;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(250);
  }
  throw new Error(`/health did not answer within ${timeoutMs} ms (last: ${last})`);
}

function rssKiB(pid: number, field: 'VmRSS' | 'RssAnon'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : 0;
}

/**
 * A board's environment: the allocator settings, without node's environment
 * hooks (the image would re-execute itself without them, which under
 * qemu-user fails: the kernel cannot run the arm64 binary). checkImageFlags
 * tests the hooks themselves.
 */
function boardEnv(): NodeJS.ProcessEnv {
  const env = withAllocatorEnv(process.env);
  for (const name of NODE_ENV_HOOKS) delete env[name];
  return env;
}

function boot(cmd: string, args: string[], dataDir: string, http: number, mqtt: number): ChildProcess {
  const child = spawn(cmd, [...args, 'start', '--data-dir', dataDir, '--http-port', String(http), '--mqtt-port', String(mqtt),
    '--http-host', '127.0.0.1', '--mqtt-host', '127.0.0.1'], { stdio: ['ignore', 'ignore', 'pipe'], env: boardEnv() });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 20_000) stderr += d.toString();
  });
  child.on('exit', (code) => {
    if (code !== 0 && code !== null) process.stderr.write(`board log:\n${stderr}\n`);
  });
  return child;
}

async function stop(child: ChildProcess): Promise<number | null> {
  // Already gone (an exit code, or killed by a signal): its 'exit' event has fired.
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

function requireTool(tool: string, pkg: string): void {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    throw new Error(`${tool} is not installed: apt-get install ${pkg} (.ci/run installs it)`);
  }
}

/** mosquitto_sub waits for one message that mosquitto_pub sends through the board's broker. */
async function mqttRoundTrip(port: number): Promise<void> {
  requireTool('mosquitto_sub', 'mosquitto-clients');
  const topic = `raftlight/check/${process.pid}`;
  const sub = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-t', topic, '-C', '1', '-W', '10']);
  let out = '';
  sub.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<number | null>((r) => sub.once('exit', (c) => r(c)));
  for (let i = 0; i < 20 && out === ''; i++) {
    await sleep(200);
    spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-t', topic, '-m', 'hello-board']);
    if (sub.exitCode !== null) break;
  }
  const code = await done;
  if (code !== 0 || out.trim() !== 'hello-board') throw new Error(`MQTT round trip through the broker failed (mosquitto_sub exit ${code}, got ${JSON.stringify(out)})`);
}

/** The installer's page as the running image serves it: every asset, raw and gzip-compressed. */
async function checkPage(target: Target, http: number): Promise<void> {
  let raw = 0;
  let gzip = 0;
  for (const path of ['/', '/page.js', '/page.css']) {
    const res = await fetch(`http://127.0.0.1:${http}${path}`);
    const csp = res.headers.get('content-security-policy') ?? '';
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}`);
    if (!csp.includes("default-src 'none'")) throw new Error(`GET ${path} has no content security policy`);
    const body = Buffer.from(await res.arrayBuffer());
    raw += body.byteLength;
    gzip += gzipSync(body, { level: 9 }).byteLength;
  }
  const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
  lines.push(`${target.name}: installer's page ${kib(raw)} (budget ${target.budgets.pageKiB} KiB), ${kib(gzip)} gzip (budget ${target.budgets.pageGzipKiB} KiB)`);
  if (raw / 1024 > target.budgets.pageKiB) budgetFailure(target.name, 'pageKiB', kib(raw), `${target.budgets.pageKiB} KiB`);
  if (gzip / 1024 > target.budgets.pageGzipKiB) budgetFailure(target.name, 'pageGzipKiB', kib(gzip), `${target.budgets.pageGzipKiB} KiB`);
}

async function checkX64(target: Target, image: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'raftlight-check-'));
  const [http, mqtt] = [await freePort(), await freePort()];
  const child = boot(image, [], dir, http, mqtt);
  try {
    const health = await waitForHealth(http, child, 30_000);
    if (health.status !== 'ok') throw new Error(`/health answered ${JSON.stringify(health)}`);
    await mqttRoundTrip(mqtt);
    await checkPage(target, http);
    // Idle: let start-up garbage settle, then take the highest of a few samples.
    await sleep(5_000);
    let rss = 0;
    let anon = 0;
    for (let i = 0; i < 5; i++) {
      rss = Math.max(rss, rssKiB(child.pid!, 'VmRSS'));
      anon = Math.max(anon, rssKiB(child.pid!, 'RssAnon'));
      await sleep(400);
    }
    // Total RSS is mostly the executable's clean pages (reclaimable): reported, not budgeted.
    lines.push(`${target.name}: idle anonymous RSS ${(anon / 1024).toFixed(1)} MiB (budget ${target.budgets.idleAnonRssMiB}); total RSS ${(rss / 1024).toFixed(1)} MiB`);
    if (anon / 1024 > target.budgets.idleAnonRssMiB) {
      budgetFailure(target.name, 'idleAnonRssMiB', `${(anon / 1024).toFixed(1)} MiB`, `${target.budgets.idleAnonRssMiB} MiB`);
    }
    const code = await stop(child);
    if (code !== 0) throw new Error(`board did not stop cleanly on SIGTERM (exit ${code})`);
  } finally {
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Listening TCP ports of a process (from /proc/net/tcp*, state 0A = LISTEN). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // the descriptor closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && inodes.has(f[9] ?? '')) ports.push(parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

/** The image ignores node's environment hooks and SIGUSR1. */
async function checkImageFlags(target: Target, image: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'raftlight-check-'));
  try {
    const marker = join(dir, 'foreign-code-ran');
    writeFileSync(join(dir, 'evil.cjs'), `require('fs').writeFileSync(${JSON.stringify(marker)}, 'yes')`);
    writeFileSync(join(dir, 'bad.cnf'), 'openssl_conf = x\n[x]\nthis line is not valid\n');
    const env = { ...process.env, NODE_OPTIONS: `--require ${join(dir, 'evil.cjs')} --title=hijacked`, OPENSSL_CONF: join(dir, 'bad.cnf') };
    const version = spawnSync(image, ['--version'], { env, encoding: 'utf8' });
    if (version.status !== 0 || !/^raftlight /.test(version.stdout)) throw new Error(`with NODE_OPTIONS and OPENSSL_CONF set the image did not run: ${version.stderr}`);
    if (existsSync(marker)) throw new Error('NODE_OPTIONS=--require ran foreign code inside the image');
    const [http, mqtt] = [await freePort(), await freePort()];
    const child = boot(image, [], join(dir, 'data'), http, mqtt);
    try {
      await waitForHealth(http, child, 30_000);
      child.kill('SIGUSR1');
      await sleep(1_000);
      if (child.exitCode !== null) throw new Error(`SIGUSR1 ended the board (exit ${child.exitCode})`);
      const ports = listeningPorts(child.pid!);
      const unexpected = ports.filter((p) => p !== http && p !== mqtt);
      if (unexpected.length > 0) throw new Error(`after SIGUSR1 the board listens on ${unexpected.join(', ')} (an inspector?)`);
      lines.push(`${target.name}: ignores NODE_OPTIONS (--require ran nothing) and OPENSSL_CONF; SIGUSR1 opens no port (listening: ${ports.sort().join(', ')})`);
    } finally {
      await stop(child);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function checkArm64(target: Target, image: string): Promise<void> {
  requireTool('qemu-aarch64', 'qemu-user libc6-arm64-cross libstdc++6-arm64-cross');
  const dir = mkdtempSync(join(tmpdir(), 'raftlight-check-'));
  const [http, mqtt] = [await freePort(), await freePort()];
  const started = Date.now();
  const child = boot('qemu-aarch64', ['-L', '/usr/aarch64-linux-gnu', image], dir, http, mqtt);
  try {
    const health = await waitForHealth(http, child, 120_000);
    if (health.status !== 'ok') throw new Error(`/health answered ${JSON.stringify(health)}`);
    lines.push(`${target.name}: boots under qemu-aarch64 and answers /health after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const targets = readdirSync('targets').filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join('targets', f), 'utf8')) as Target);
  for (const target of targets) {
    const image = join('images', target.name, 'raftlight');
    const manifestPath = join('images', target.name, 'manifest.json');
    if (!existsSync(image) || !existsSync(manifestPath)) {
      failures.push(`${image} is missing: run npm run build`);
      continue;
    }
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { sizeBytes: number };
    const mib = manifest.sizeBytes / MiB;
    lines.push(`${target.name}: image ${mib.toFixed(1)} MiB, budget ${target.budgets.imageMiB} MiB`);
    if (mib > target.budgets.imageMiB) budgetFailure(target.name, 'imageMiB', `${mib.toFixed(1)} MiB`, `${target.budgets.imageMiB} MiB`);
    // The simulation's planted bugs are compiled out (src/board/planted-bugs.ts): no trace in the image.
    if (readFileSync(image).includes('raftlightPlantedBugs')) failures.push(`${target.name}: the image carries the simulation's planted bugs (the build's define did not fold them away)`);
    else lines.push(`${target.name}: no planted-bug code in the image`);
    try {
      if (target.arch === 'x64') {
        await checkX64(target, image);
        await checkImageFlags(target, image);
      }
      else if (target.arch === 'arm64') await checkArm64(target, image);
    } catch (err) {
      failures.push(`${target.name}: ${(err as Error).message}`);
    }
  }
  for (const l of lines) process.stdout.write(`  ${l}\n`);
  for (const f of failures) process.stdout.write(`FAIL ${f}\n`);
  process.stdout.write(`image checks: ${failures.length === 0 ? 'all within budget' : `${failures.length} failed`}\n`);
  process.exit(failures.length === 0 ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stdout.write(`FAIL ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
// A check that waits on something that never comes must not end as a silent pass.
process.on('beforeExit', () => {
  process.stdout.write('FAIL image checks stopped before their verdict (a wait that never ended)\n');
  process.exit(1);
});
