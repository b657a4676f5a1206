// A secured installation with a private CA: TLS for MQTT (between boards too)
// and HTTPS, a write token, no anonymous reads; an external board joins over
// https with --tls-ca; the command-line clients verify with --tls-ca; a board
// with a certificate but no CA does not start; a failed handshake is logged at
// warn on both sides with the peer's address.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { Installation, freePort, sleep } from '../../src/bench/launcher.ts';
import { makePrivateCa } from '../helpers/private-ca.ts';

const main = join(import.meta.dirname, '../../src/cli/main.ts');
const W = 'w-token-for-the-tests-7Gq';

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

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.once('exit', (code) => resolve({ code, stdout, stderr }));
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

t.test('a private CA, a write token and closed reads', async (t) => {
  const dir = t.testdir();
  const pki = makePrivateCa(dir);
  const board = pki.issue('boards', ['127.0.0.1']);
  const ca = readFileSync(pki.caCert);
  const auth = { authorization: `Bearer ${W}` };
  const inst = new Installation({
    command: process.execPath, args: ['--import', 'tsx', main], root: join(dir, 'boards'), cluster: 'secure',
    extraArgs: ['--tick-ms', '50', '--no-anonymous-read', '--log-level', 'info'], writeToken: W, logTailLines: 300,
    tls: { cert: board.cert, key: board.key, ca: pki.caCert },
  });
  t.teardown(() => inst.stopAll('SIGKILL'));
  await inst.create(3, 1);
  const leader = await inst.waitForLeader(60_000);
  t.ok(leader, `the boards elected ${leader} over TLS with the private CA`);
  await inst.start('e1');
  await inst.waitForRole('e1', 'external', 60_000);
  t.pass('an external board joined over https, verifying the voter with --tls-ca');
  const v1 = inst.get('v1');

  const area = JSON.stringify({ id: 'vault', name: 'Vault', type: 'room', parent: null });
  const anonymous = await https(v1.httpPort, '/v1/areas', ca, 'POST', area);
  t.equal(anonymous.status, 401, 'a REST write without the token is refused');
  t.equal((anonymous.body.error as { code: string }).code, 'UNAUTHORIZED');
  const written = await https(v1.httpPort, '/v1/areas', ca, 'POST', area, auth);
  t.equal(written.status, 201, 'with the token it commits');
  t.equal((await https(v1.httpPort, '/v1/db', ca)).status, 401, 'the database needs a token to read');

  const status = await cli(['status', '--board', v1.url, '--tls-ca', pki.caCert, '--token', W]);
  t.equal(status.code, 0, `raftlight status verifies the board with --tls-ca (${status.stderr.trim()})`);
  t.match(status.stdout, /leader\s+v\d/);
  const noCa = await cli(['status', '--board', v1.url, '--token', W]);
  t.not(noCa.code, 0, 'without the CA it refuses the certificate');
  t.match(noCa.stderr, /TLS_FAILED.*--tls-ca/, `and says what to do (${noCa.stderr.trim()})`);
  const token = await cli(['join-token', '--board', v1.url, '--tls-ca', pki.caCert, '--token', W]);
  t.equal(token.code, 0, `raftlight join-token over https (${token.stderr.trim()})`);
  t.match(token.stdout.trim(), /^[A-Za-z0-9_-]{43}$/, 'prints the token alone on stdout');

  // Plain TCP MQTT is told to use TLS.
  t.equal(await connectOutcome(`mqtt://127.0.0.1:${v1.mqttPort}`, {}, 2000), 'refused', 'plain MQTT is refused');
  const subArgs = ['-h', '127.0.0.1', '-p', String(v1.mqttPort), '--cafile', pki.caCert, '-t', 'raftlight/secure/state/#', '-C', '1', '-W', '5', '-v'];
  const anonSub = spawnSync('mosquitto_sub', subArgs, { encoding: 'utf8' });
  t.not(anonSub.status, 0, 'an anonymous mosquitto_sub over TLS gets nothing');
  t.notMatch(anonSub.stdout, /vault/);
  const authSub = spawnSync('mosquitto_sub', [...subArgs, '-u', 'installer', '-P', W], { encoding: 'utf8' });
  t.match(authSub.stdout, /raftlight\/secure\/state\/area\/vault/, 'with the token it receives the retained state');
  const rrArgs = ['-h', '127.0.0.1', '-p', String(v1.mqttPort), '--cafile', pki.caCert, '-t', 'raftlight/secure/cmd/create', '-e', 'reply/sec', '-W', '10',
    '-m', JSON.stringify({ kind: 'area', id: 'annex', value: { name: 'Annex', type: 'room', parent: null } })];
  t.not(spawnSync('mosquitto_rr', [...rrArgs, '-u', 'someone', '-P', 'wrong'], { encoding: 'utf8' }).status, 0, 'a wrong password cannot even connect');
  const rr = spawnSync('mosquitto_rr', [...rrArgs, '-u', 'integrator', '-P', W], { encoding: 'utf8' });
  t.match(rr.stdout, /"revision":\d+/, `mosquitto_rr with the token writes (${rr.stdout.trim()})`);
  const fake = await connectOutcome(`mqtts://127.0.0.1:${v1.mqttPort}`, { ca, clientId: 'raftlight-secure-v9', username: 'v9', password: 'guess' });
  t.equal(fake, 'refused', 'a member login with a made-up secret is refused');

  // A board with a certificate and no CA does not start.
  const lone = await cli(['start', '--data-dir', join(dir, 'lone'), '--tls-cert', board.cert, '--tls-key', board.key, '--http-port', '0', '--mqtt-port', '0']);
  t.equal(lone.code, 2, 'a certificate without --tls-ca is a configuration error');
  t.match(lone.stderr, /--tls-cert needs --tls-ca/);

  // A board whose certificate another CA signed: both sides log the failed handshake at warn.
  const other = makePrivateCa(join(dir, 'other'), 'Some Other CA');
  const stranger = other.issue('stranger', ['127.0.0.1']);
  const [http, mq] = [await freePort(), await freePort()];
  const s = spawn(process.execPath, ['--import', 'tsx', main, 'start', '--id', 'stranger', '--cluster', 'secure', '--data-dir', join(dir, 'stranger'),
    '--http-host', '127.0.0.1', '--http-port', String(http), '--mqtt-host', '127.0.0.1', '--mqtt-port', String(mq), '--role', 'external',
    '--join', v1.url, '--join-token', token.stdout.trim(), '--tls-cert', stranger.cert, '--tls-key', stranger.key, '--tls-ca', other.caCert,
    '--write-token', W, '--tick-ms', '50'], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.teardown(() => { s.kill('SIGKILL'); });
  let strangerLog = '';
  s.stderr.on('data', (d: Buffer) => (strangerLog += d.toString()));
  for (let i = 0; i < 100 && !/warn .*join failed.*(certificate|TLS)/i.test(strangerLog); i++) await sleep(100);
  t.match(strangerLog, /warn .*join failed.*TLS handshake with 127\.0\.0\.1:\d+ failed/, 'the joining side logs the failed handshake at warn, with the address');
  for (let i = 0; i < 100 && !v1.logTail.some((l) => /warn .*TLS handshake failed/.test(l)); i++) await sleep(100);
  t.ok(v1.logTail.some((l) => /warn .*https TLS handshake failed.*"remote":"127\.0\.0\.1:\d+".*"reason"/.test(l)), 'the voter logs it at warn too, with the peer address and the reason');
});
