// `raftlight start` as a real process: serves /health and MQTT, stops on SIGTERM,
// and fails with one clear line on bad configuration.
import t from 'tap';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { freePort } from '../helpers/ports.ts';

const main = join(import.meta.dirname, '../../src/cli/main.ts');

function run(args: string[]): { exit: Promise<number | null>; stderr: () => string; kill: (s: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return { exit, stderr: () => err, kill: (s) => child.kill(s) };
}

async function waitHealth(port: number): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.ok) return (await res.json()) as Record<string, unknown>;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no /health');
}

t.test('start serves /health and MQTT, then stops cleanly on SIGTERM', async (t) => {
  const dir = t.testdir();
  const [http, mq] = [await freePort(), await freePort()];
  const p = run(['start', '--data-dir', join(dir, 'data'), '--http-port', String(http), '--mqtt-port', String(mq), '--http-host', '127.0.0.1', '--mqtt-host', '127.0.0.1']);
  const health = await waitHealth(http);
  t.same(health, { status: 'ok' }, '/health tells liveness and nothing else');
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mq}`);
  t.ok(client.connected, 'an MQTT client connects to the embedded broker');
  await client.endAsync();
  p.kill('SIGTERM');
  t.equal(await p.exit, 0, 'exit code 0 after SIGTERM');
  t.match(p.stderr(), /board stopped/);
});

t.test('a port in use is a clear error', async (t) => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const addr = blocker.address();
  const busy = typeof addr === 'object' && addr ? addr.port : 0;
  const p = run(['start', '--data-dir', t.testdir(), '--mqtt-host', '127.0.0.1', '--mqtt-port', String(busy), '--http-port', String(await freePort())]);
  t.equal(await p.exit, 1);
  t.match(p.stderr(), new RegExp(`PORT_IN_USE: MQTT broker cannot listen on 127.0.0.1:${busy}: the port is already in use`));
  blocker.close();
});

t.test('an unwritable data directory is a clear error', async (t) => {
  const dir = t.testdir();
  // A regular file where a directory is expected fails even for root.
  const file = join(dir, 'file');
  mkdirSync(dir, { recursive: true });
  await import('node:fs').then((fs) => fs.writeFileSync(file, 'x'));
  chmodSync(file, 0o444);
  const p = run(['start', '--data-dir', join(file, 'data'), '--http-port', String(await freePort()), '--mqtt-port', String(await freePort())]);
  t.equal(await p.exit, 1);
  t.match(p.stderr(), /DATA_DIR_NOT_WRITABLE: cannot create data directory/);
});

t.test('an unknown option exits 2 with the option named', async (t) => {
  const p = run(['start', '--colour', 'red']);
  t.equal(await p.exit, 2);
  t.match(p.stderr(), /UNKNOWN_OPTION: unknown option --colour/);
});

t.test('--help lists every command and start option; --version prints the version', async (t) => {
  const h = spawn(process.execPath, ['--import', 'tsx', main, '--help']);
  let out = '';
  h.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((r) => h.once('exit', r));
  for (const cmd of ['start', 'status', 'join', 'dev-cluster', 'bench']) t.match(out, new RegExp(`\\n  ${cmd} `));
  const s = spawn(process.execPath, ['--import', 'tsx', main, 'help', 'start']);
  let sout = '';
  s.stdout.on('data', (d: Buffer) => (sout += d.toString()));
  await new Promise((r) => s.once('exit', r));
  for (const flag of ['--data-dir', '--mqtt-port', '--http-port', '--peers', 'RAFTLIGHT_DATA_DIR']) t.match(sout, flag);
  const v = spawn(process.execPath, ['--import', 'tsx', main, '--version']);
  let vout = '';
  v.stdout.on('data', (d: Buffer) => (vout += d.toString()));
  await new Promise((r) => v.once('exit', r));
  t.match(vout, /^raftlight \d+\.\d+\.\d+ /);
});
