// The REST listener's bounds: slow-header connections from one address are
// capped and time out, other addresses are still served, and plain HTTP on
// the HTTPS port gets a readable answer.
import t from 'tap';
import { connect as tcpConnect, type Socket } from 'node:net';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:https';
import { listenHttp, sendJson } from '../../src/api/http-server.ts';

function slow(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ port, host: '127.0.0.1', localAddress }, () => {
      s.write('GET / HTTP/1.1\r\nHost: x\r\n');
      resolve(s);
    });
    s.on('error', reject);
  });
}

const open = (sockets: Socket[]): number => sockets.filter((s) => !s.destroyed && !s.readableEnded && !s.closed).length;

t.test('slowloris: capped per address, timed out, and others still served', async (t) => {
  const http = await listenHttp({ host: '127.0.0.1', port: 0, caps: { perAddress: 8, total: 16, headersTimeoutMs: 2_000 } }, (_req, res) => sendJson(res, 200, { ok: true }));
  t.teardown(() => http.close());
  const sockets: Socket[] = [];
  for (let i = 0; i < 40; i++) sockets.push(await slow(http.port, '127.0.0.2'));
  t.teardown(() => sockets.forEach((s) => s.destroy()));
  await new Promise((r) => setTimeout(r, 200));
  t.ok(open(sockets) <= 8, `at most 8 of 40 slow connections from one address stay (${open(sockets)})`);
  const res = await fetch(`http://127.0.0.1:${http.port}/`);
  t.equal(res.status, 200, 'a request from another address is answered');
  await new Promise((r) => setTimeout(r, 3_500));
  t.equal(open(sockets), 0, 'headers that never finish time out');
});

t.test('plain HTTP on the HTTPS port gets a readable 400', async (t) => {
  const dir = t.testdir();
  const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')]);
  t.equal(gen.status, 0);
  const cert = readFileSync(join(dir, 'c.pem'));
  const https = await listenHttp({ host: '127.0.0.1', port: 0, tls: { cert, key: readFileSync(join(dir, 'k.pem')) } }, (_req, res) => sendJson(res, 200, { ok: true }));
  t.teardown(() => https.close());
  const plain = await fetch(`http://127.0.0.1:${https.port}/health`);
  t.equal(plain.status, 400);
  t.match(await plain.text(), /speaks HTTPS/);
  const ok = await new Promise<number>((resolve, reject) => {
    request({ host: '127.0.0.1', port: https.port, path: '/', ca: cert }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject).end();
  });
  t.equal(ok, 200, 'HTTPS itself works');
});
