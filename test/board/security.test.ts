// A secured installation: TLS for MQTT (between boards too) and HTTPS, a write
// token for REST and MQTT writes, no anonymous reads, a private member secret.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { Installation, sleep } from '../../src/bench/launcher.ts';

const main = join(import.meta.dirname, '../../src/cli/main.ts');

function https(port: number, path: string, ca: Buffer, method = 'GET', body?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, ca, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || '{}') as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Connects and reports whether the broker accepted the session within `ms`. */
function connectOutcome(url: string, opts: mqtt.IClientOptions, ms = 4000): Promise<'connected' | 'refused'> {
  return new Promise((resolve) => {
    const c = mqtt.connect(url, { ...opts, reconnectPeriod: 0, connectTimeout: ms });
    const done = (v: 'connected' | 'refused'): void => {
      clearTimeout(timer);
      c.end(true);
      resolve(v);
    };
    const timer = setTimeout(() => done('refused'), ms + 500);
    c.once('connect', () => done('connected'));
    c.once('error', () => done('refused'));
    c.once('close', () => done('refused'));
  });
}

const W = 'w-token-for-the-tests-7Gq';

t.test('TLS, write token and closed reads', async (t) => {
  const dir = t.testdir();
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { encoding: 'utf8' });
  t.equal(gen.status, 0, 'openssl made a self-signed certificate');
  const ca = readFileSync(cert);
  const inst = new Installation({
    command: process.execPath, args: ['--import', 'tsx', main], root: join(dir, 'boards'), cluster: 'secure',
    extraArgs: ['--tick-ms', '50', '--tls-cert', cert, '--tls-key', key, '--tls-ca', cert, '--no-anonymous-read'],
    writeToken: W,
  });
  t.teardown(() => inst.stopAll('SIGKILL'));
  await inst.create(3, 0);
  const v1 = inst.get('v1');

  let leader: string | undefined;
  for (let i = 0; i < 200 && leader === undefined; i++) {
    try {
      const s = await https(v1.httpPort, '/v1/status', ca, 'GET', undefined, { authorization: `Bearer ${W}` });
      if (typeof s.body.leader === 'string' && s.body.commitIndex as number > 1) leader = s.body.leader;
    } catch { /* not up yet */ }
    if (leader === undefined) await sleep(150);
  }
  t.ok(leader, `the boards elected ${leader} over TLS`);

  const area = JSON.stringify({ id: 'vault', name: 'Vault', type: 'room', parent: null });
  const anonymous = await https(v1.httpPort, '/v1/areas', ca, 'POST', area);
  t.equal(anonymous.status, 401, 'a REST write without the token is refused');
  t.equal((anonymous.body.error as { code: string }).code, 'UNAUTHORIZED');
  const written = await https(v1.httpPort, '/v1/areas', ca, 'POST', area, { authorization: `Bearer ${W}` });
  t.equal(written.status, 201, 'with the token it commits');

  // Plain TCP MQTT is refused: the listener speaks TLS only.
  const plain = await connectOutcome(`mqtt://127.0.0.1:${v1.mqttPort}`, {}, 2000);
  t.equal(plain, 'refused', 'plain MQTT is refused');

  const subArgs = ['-h', '127.0.0.1', '-p', String(v1.mqttPort), '--cafile', cert, '-t', 'raftlight/secure/state/#', '-C', '1', '-W', '5', '-v'];
  const anonSub = spawnSync('mosquitto_sub', subArgs, { encoding: 'utf8' });
  t.not(anonSub.status, 0, 'an anonymous mosquitto_sub over TLS gets nothing');
  t.notMatch(anonSub.stdout, /vault/);
  const authSub = spawnSync('mosquitto_sub', [...subArgs, '-u', 'installer', '-P', W], { encoding: 'utf8' });
  t.match(authSub.stdout, /raftlight\/secure\/state\/area\/vault/, 'with credentials it receives the retained state');

  const rrArgs = ['-h', '127.0.0.1', '-p', String(v1.mqttPort), '--cafile', cert, '-t', 'raftlight/secure/cmd/create', '-e', 'reply/sec', '-W', '10',
    '-m', JSON.stringify({ kind: 'area', id: 'annex', value: { name: 'Annex', type: 'room', parent: null } })];
  const rrNoAuth = spawnSync('mosquitto_rr', [...rrArgs, '-u', 'someone', '-P', 'wrong'], { encoding: 'utf8' });
  t.not(rrNoAuth.status, 0, 'mosquitto_rr with a wrong password cannot even connect');
  const rr = spawnSync('mosquitto_rr', [...rrArgs, '-u', 'integrator', '-P', W], { encoding: 'utf8' });
  t.match(rr.stdout, /"revision":\d+/, `mosquitto_rr with the token writes (${rr.stdout.trim()})`);

  // A stranger claiming to be a member with the wrong secret is refused.
  const fake = await connectOutcome(`mqtts://127.0.0.1:${v1.mqttPort}`, { ca, clientId: 'raftlight-secure-v9', username: 'v9', password: 'guess' });
  t.equal(fake, 'refused', 'a member login with the wrong secret is refused');
});
