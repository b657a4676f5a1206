// The installer's page over HTTPS on a board whose reads are closed (a write token and
// --no-anonymous-read): the page loads, asks for a token, refuses a wrong one, and shows the
// installation with the right one. The stream refuses requests without the token.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { Installation, sleep } from '../../src/bench/launcher.ts';
import { chromiumMissing, openBrowser } from '../helpers/browser.ts';

const main = join(import.meta.dirname, '../../src/cli/main.ts');

function httpsStatus(port: number, path: string, ca: Buffer, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca, headers }, (res) => {
      resolve(res.statusCode ?? 0);
      res.destroy();
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('over HTTPS with closed reads the page asks for a token', { skip: chromiumMissing() }, async (t) => {
  const dir = t.testdir();
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { encoding: 'utf8' });
  t.equal(gen.status, 0, 'openssl made a self-signed certificate');
  const ca = readFileSync(cert);
  const inst = new Installation({
    command: process.execPath, args: ['--import', 'tsx', main], root: join(dir, 'boards'), cluster: 'secure',
    extraArgs: ['--tick-ms', '50', '--tls-cert', cert, '--tls-key', key, '--tls-ca', cert, '--write-token', 'page-write-token-0123456789', '--no-anonymous-read'],
  });
  t.teardown(() => inst.stopAll('SIGKILL'));
  await inst.create(1, 0);
  const port = inst.get('v1').httpPort;
  let up = false;
  for (let i = 0; i < 200 && !up; i++) {
    up = await httpsStatus(port, '/health', ca).then((s) => s === 200, () => false);
    if (!up) await sleep(150);
  }
  t.ok(up, 'the board answers over HTTPS', { log: inst.get('v1').logTail.join('\n') });
  t.equal(await httpsStatus(port, '/', ca), 200, 'the page itself is open: it holds no data');
  t.equal(await httpsStatus(port, '/v1/stream', ca), 401, 'the stream needs the token');
  t.equal(await httpsStatus(port, '/v1/stream', ca, { authorization: 'Bearer nope' }), 401, 'a wrong token is refused');

  const browser = await openBrowser(t, { width: 1000, height: 800 }, { ignoreHTTPSErrors: true });
  const page = await browser.newPage();
  await page.goto(`https://127.0.0.1:${port}/`);
  await page.locator('[data-link="unauthorized"]').waitFor({ timeout: 15_000 });
  const field = page.getByLabel('Token', { exact: true });
  await field.fill('not-the-token');
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.waitForTimeout(500);
  t.equal(await page.locator('[data-link]').getAttribute('data-link'), 'unauthorized', 'a wrong token: still asking');
  await field.fill('page-write-token-0123456789');
  await field.press('Enter');
  await page.locator('[data-link="live"]').waitFor({ timeout: 10_000 });
  await page.waitForFunction(() => document.querySelector('li.tile[data-board="v1"]')?.getAttribute('data-role') === 'leader', undefined, { timeout: 15_000 });
  t.pass('with the token the page is live and shows the board');
  t.equal(await page.locator('form.token').count(), 0, 'the token form is gone');
});
