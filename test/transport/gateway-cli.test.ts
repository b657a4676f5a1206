// The operator tools against the embedded broker: mosquitto_rr (MQTT 5 request/response),
// mosquitto_sub in 3.1.1 and 5 (retained and live messages), and both over TLS.
// Needs the mosquitto-clients package (apt-get install -y mosquitto-clients) and openssl.
import t, { type Test } from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../src/transport/broker.ts';

function requireTool(t: Test, tool: string, pkg: string): boolean {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
  if (!found) t.fail(`${tool} not found: install the ${pkg} package (apt-get install -y ${pkg})`);
  return found;
}

async function broker(t: Test, extra: Partial<BrokerOptions> = {}): Promise<RunningBroker> {
  const running = await startBroker({ host: '127.0.0.1', port: 0, log: () => {}, ...extra });
  t.teardown(() => running.close());
  return running;
}

/** Runs a command to completion (with a deadline) and returns its output. */
function run(command: string, args: string[], timeoutMs = 10_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** Starts a long-running subscriber; resolves once it printed `lines` lines. */
function subscriber(t: Test, args: string[]): { lines(count: number): Promise<string[]> } {
  const child: ChildProcess = spawn('mosquitto_sub', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { child.kill('SIGKILL'); });
  let out = '';
  const waiters: Array<() => void> = [];
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); for (const w of waiters.splice(0)) w(); });
  return {
    lines(count) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`mosquitto_sub printed only: ${JSON.stringify(out)}`)), 10_000);
        const check = (): void => {
          const lines = out.split('\n').filter((l) => l.length > 0);
          if (lines.length >= count) { clearTimeout(timer); resolve(lines.slice(0, count)); } else waiters.push(check);
        };
        check();
      });
    },
  };
}

const requests: BrokerOptions['requests'] = {
  prefix: 'raftlight/main/cmd/',
  async onRequest(topic, payload) {
    return Buffer.from(JSON.stringify({ topic, request: JSON.parse(payload.toString()) as unknown }));
  },
};

t.test('mosquitto_rr -V 5 gets the handler answer with its correlation data', async (t) => {
  if (!requireTool(t, 'mosquitto_rr', 'mosquitto-clients')) return;
  const b = await broker(t, { requests });
  const result = await run('mosquitto_rr', [
    '-V', '5', '-h', '127.0.0.1', '-p', String(b.port), '-W', '5',
    '-t', 'raftlight/main/cmd/scenes/put', '-e', 'replies/operator', '-m', '{"id":"evening"}',
    '-D', 'publish', 'correlation-data', 'op-42', '-F', '%D %p',
  ]);
  t.equal(result.code, 0, `mosquitto_rr exits 0 (stderr: ${result.stderr})`);
  const [correlation, ...rest] = result.stdout.trim().split(' ');
  t.equal(correlation, 'op-42', 'the answer carries the request correlation data');
  t.same(JSON.parse(rest.join(' ')), { topic: 'raftlight/main/cmd/scenes/put', request: { id: 'evening' } });
});

t.test('mosquitto_sub 3.1.1 and -V 5 receive retained state and live publishes', async (t) => {
  if (!requireTool(t, 'mosquitto_sub', 'mosquitto-clients')) return;
  const b = await broker(t);
  const publisher = await connectAsync(`mqtt://127.0.0.1:${b.port}`, { protocolVersion: 4, reconnectPeriod: 0 });
  t.teardown(() => publisher.endAsync(true));
  // Only the board itself retains: it publishes through aedes.
  await new Promise<void>((r) => b.aedes.publish({ cmd: 'publish', topic: 'raftlight/main/state/scene/evening', payload: Buffer.from('{"level":40}'), qos: 1, retain: true, dup: false }, () => r()));

  const common = ['-h', '127.0.0.1', '-p', String(b.port), '-t', 'raftlight/main/state/#', '-t', 'raftlight/main/events', '-v', '-q', '1'];
  const v311 = subscriber(t, ['-V', 'mqttv311', ...common]);
  const v5 = subscriber(t, ['-V', '5', ...common]);
  t.same(await v311.lines(1), ['raftlight/main/state/scene/evening {"level":40}'], '3.1.1 gets the retained state');
  t.same(await v5.lines(1), ['raftlight/main/state/scene/evening {"level":40}'], '5 gets the retained state');
  await publisher.publishAsync('raftlight/main/events', '{"revision":7}', { qos: 1 });
  const live = 'raftlight/main/events {"revision":7}';
  t.equal((await v311.lines(2))[1], live, '3.1.1 gets the live event');
  t.equal((await v5.lines(2))[1], live, '5 gets the live event');
});

t.test('MQTT over TLS: mosquitto_sub -V 5, mosquitto_rr and mqtt.js with the CA', async (t) => {
  if (!requireTool(t, 'mosquitto_sub', 'mosquitto-clients') || !requireTool(t, 'openssl', 'openssl')) return;
  const dir = t.testdir({});
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  const made = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  t.equal(made.code, 0, `openssl made a certificate (stderr: ${made.stderr})`);
  const b = await broker(t, { tls: { key: readFileSync(key), cert: readFileSync(cert) }, requests });
  t.equal(b.secure, true);

  const sub = subscriber(t, ['-V', '5', '-h', '127.0.0.1', '-p', String(b.port), '--cafile', cert, '-t', 'secure/#', '-v']);
  const client = await connectAsync(`mqtts://127.0.0.1:${b.port}`, { protocolVersion: 5, ca: readFileSync(cert), reconnectPeriod: 0 });
  t.teardown(() => client.endAsync(true));
  await new Promise<void>((r) => b.aedes.publish({ cmd: 'publish', topic: 'secure/hello', payload: Buffer.from('over tls'), qos: 1, retain: true, dup: false }, () => r()));
  t.same(await sub.lines(1), ['secure/hello over tls'], 'mosquitto_sub over TLS receives it');

  const rr = await run('mosquitto_rr', ['-V', '5', '-h', '127.0.0.1', '-p', String(b.port), '--cafile', cert, '-W', '5',
    '-t', 'raftlight/main/cmd/x', '-e', 'replies/tls', '-m', '{"n":1}']);
  t.equal(rr.code, 0, `mosquitto_rr over TLS exits 0 (stderr: ${rr.stderr})`);
  t.match(rr.stdout, /"request":\{"n":1\}/);

  const plain = await run('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(b.port), '-t', 'x', '-C', '1', '-W', '2']);
  t.not(plain.code, 0, 'a plain-TCP client cannot talk to the TLS listener');
  t.match(plain.stderr, /not authori[sz]ed/i, `and is told so in MQTT, not with a handshake error (${plain.stderr.trim()})`);
  const plain5 = await run('mosquitto_sub', ['-V', '5', '-h', '127.0.0.1', '-p', String(b.port), '-t', 'x', '-C', '1', '-W', '2']);
  t.not(plain5.code, 0);
  t.match(plain5.stderr, /not authori[sz]ed|speaks MQTT over TLS/i, `MQTT 5 gets the reason (${plain5.stderr.trim()})`);
  const disconnect = new Promise<number | undefined>((r) => client.once('disconnect', (p) => r(p.reasonCode)));
  client.publish('secure/again', 'x', { qos: 1, retain: true });
  t.equal(await disconnect, 0x9a, 'a client\'s retained publish is refused with "Retain not supported"');
});
