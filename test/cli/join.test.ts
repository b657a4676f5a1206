// Joining with join tokens from the command line: `raftlight join-token`
// issues one, `raftlight join` admits a board before its first start, a token
// admits one board only, and starting without what a join needs is a clear
// configuration error.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInstallation, dumpLogsOnFailure } from '../helpers/installation.ts';
import { freePort } from '../helpers/ports.ts';
import { digestOf } from '../../src/board/credentials-file.ts';

const main = join(import.meta.dirname, '../../src/cli/main.ts');

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', main, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

t.test('join tokens: issued once, spent by one board', async (t) => {
  const inst = await startInstallation(t, 1, 0);
  dumpLogsOnFailure(t, inst);
  await inst.waitForLeader();
  const url = inst.get('v1').url;
  const refused = await cli(['join-token', '--board', url, '--token', 'not-the-write-token-at-all']);
  t.not(refused.code, 0, 'a join token needs the write token');
  t.match(refused.stderr, /UNAUTHORIZED/);
  const issued = await cli(['join-token', '--board', url], { RAFTLIGHT_TOKEN: inst.writeToken });
  t.equal(issued.code, 0, issued.stderr);
  const token = issued.stdout.trim();

  // Not t.testdir(): the installation lives there.
  const dir = mkdtempSync(join(tmpdir(), 'raftlight-join-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const joined = await cli(['join', '--via', url, '--join-token', token, '--id', 'e9', '--address', `127.0.0.1:${port}`, '--data-dir', join(dir, 'e9')]);
  t.equal(joined.code, 0, `raftlight join admits the board (${joined.stderr.trim()})`);
  t.ok(existsSync(join(dir, 'e9', 'member.secret')) && existsSync(join(dir, 'e9', 'join-trust.json')), 'its secret and the members it trusts are in its data directory');
  t.equal(statSync(join(dir, 'e9', 'member.secret')).mode & 0o777, 0o600, 'the secret is readable by its owner only');
  const peers = await inst.json('v1', '/v1/peers');
  t.ok((peers.body.members as Array<{ id: string; role: string }>).some((m) => m.id === 'e9' && m.role === 'external'), 'e9 is an external board now');

  // The admitted board starts without a token and is brought up to date by the leader.
  const http = await freePort();
  const e9 = spawn(process.execPath, ['--import', 'tsx', main, 'start', '--id', 'e9', '--cluster', 'test', '--role', 'external', '--data-dir', join(dir, 'e9'),
    '--join', url, '--http-host', '127.0.0.1', '--http-port', String(http), '--mqtt-host', '127.0.0.1', '--mqtt-port', String(port), '--tick-ms', '50',
    '--write-token', inst.writeToken], { stdio: 'ignore' });
  t.teardown(() => { e9.kill('SIGKILL'); });
  let role: unknown;
  for (let i = 0; i < 150 && role !== 'external'; i++) {
    try {
      role = ((await (await fetch(`http://127.0.0.1:${http}/v1/status`)).json()) as { role?: string }).role;
    } catch { /* starting */ }
    if (role !== 'external') await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(role, 'external', 'the admitted board starts without a token and catches up');

  const again = await cli(['join', '--via', url, '--join-token', token, '--id', 'e10', '--address', `127.0.0.1:${port + 1}`, '--data-dir', join(dir, 'e10')]);
  t.equal(again.code, 1, 'the same token does not admit a second board');
  const direct = await inst.json('v1', '/v1/join', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'e11', host: '127.0.0.1', port: 1, verifier: digestOf('x'), token }) });
  t.equal(direct.status, 403);
  t.match(direct.body, { error: { code: 'JOIN_REFUSED' } });
  const takeover = await cli(['join-token', '--board', url], { RAFTLIGHT_TOKEN: inst.writeToken });
  const voterId = await inst.json('v1', '/v1/join', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'v1', host: '127.0.0.1', port: 1, verifier: digestOf('attacker'), token: takeover.stdout.trim() }) });
  t.equal(voterId.status, 409, 'a join cannot take over a member\'s id');
  t.match(voterId.body, { error: { code: 'MEMBER_EXISTS', message: /new incarnation/ } });
  const legacy = await inst.json('v1', '/v1/members', { method: 'POST', headers: { 'content-type': 'application/json', ...inst.writeHeaders() }, body: '{}' });
  t.equal(legacy.status, 410, 'adding a board without a join token is gone');
});

t.test('starting without what a bootstrap or a join needs is a configuration error', async (t) => {
  const dir = t.testdir();
  const peers = await cli(['start', '--id', 'a', '--data-dir', join(dir, 'a'), '--peers', 'a=127.0.0.1:1,b=127.0.0.1:2', '--http-port', '0', '--mqtt-port', '0']);
  t.equal(peers.code, 2);
  t.match(peers.stderr, /BOOTSTRAP_SECRET_MISSING/);
  const joining = await cli(['start', '--id', 'x', '--role', 'external', '--data-dir', join(dir, 'x'), '--join', 'http://127.0.0.1:1', '--http-port', '0', '--mqtt-port', '0']);
  t.equal(joining.code, 2);
  t.match(joining.stderr, /JOIN_TOKEN_MISSING: --join needs --join-token/);
  const weak = await cli(['start', '--data-dir', join(dir, 'w'), '--write-token', 'password123']);
  t.equal(weak.code, 2);
  t.match(weak.stderr, /WEAK_CREDENTIAL/);
});
