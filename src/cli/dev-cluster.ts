// `raftlight dev-cluster N [--externals M]`: a local installation on loopback
// for trying raftlight out: N voters and M external boards, each a real
// process of this executable with its own data directory and ports. It sets up
// what a real installation needs by itself: the founders share a fresh
// bootstrap secret, every board the same (printed) write token, and each
// external board joins with a join token of its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { restJson } from '../api/rest-client.ts';
import { JOIN_TRUST_FILE, newSecret } from '../board/credentials-file.ts';
import { ConfigError, resolveOptions } from './config.ts';
import { MIN_TOKEN_CHARS, checkCredentialStrength } from './credential-strength.ts';
import type { OptionSpec } from './options.ts';
import { selfCommand } from './self.ts';
import { withAllocatorEnv } from '../board/allocator-env.ts';

export const devClusterOptions: readonly OptionSpec[] = [
  { key: 'externals', flag: 'externals', kind: 'int', default: undefined, help: 'external boards to add after the voters (default 0)' },
  { key: 'dataDir', flag: 'data-dir', kind: 'string', default: './raftlight-dev', help: 'parent directory of the boards\' data directories' },
  { key: 'mqttBase', flag: 'mqtt-base-port', kind: 'port', default: 1883, help: 'MQTT port of the first board; the others count up' },
  { key: 'httpBase', flag: 'http-base-port', kind: 'port', default: 8080, help: 'HTTP port of the first board; the others count up' },
  { key: 'cluster', flag: 'cluster', kind: 'string', default: 'dev', help: 'installation name' },
  { key: 'logLevel', flag: 'log-level', kind: 'string', default: 'warn', help: 'log level of the boards' },
  { key: 'writeToken', flag: 'write-token', kind: 'string', default: undefined, help: 'write token of every board (default: a new random one, printed)' },
  { key: 'tlsCert', flag: 'tls-cert', kind: 'string', default: undefined, help: 'PEM certificate for every board (valid for 127.0.0.1): MQTT over TLS and HTTPS' },
  { key: 'tlsKey', flag: 'tls-key', kind: 'string', default: undefined, help: 'PEM private key of --tls-cert' },
  { key: 'tlsCa', flag: 'tls-ca', kind: 'string', default: undefined, help: 'PEM CA bundle that signed --tls-cert' },
  { key: 'autopilot', flag: 'autopilot', kind: 'bool', default: true, help: 'autopilot on every board: it promotes external boards up to 5 voters and replaces dead ones (--no-autopilot turns it off)' },
  { key: 'domains', flag: 'domains', kind: 'int', default: 1, help: 'failure domains to spread the boards over (domain-1, domain-2, ... in turn)' },
];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runDevCluster(argv: readonly string[]): Promise<number> {
  const [countText, ...rest] = argv;
  const voters = Number(countText);
  if (!countText || !/^\d+$/.test(countText) || voters < 1 || voters > 9) {
    throw new ConfigError('BAD_VALUE', 'usage: raftlight dev-cluster N [--externals M] (N voters, 1..9)');
  }
  const o = resolveOptions(rest, process.env, devClusterOptions);
  const externals = (o.externals as number | undefined) ?? 0;
  const mqttBase = o.mqttBase as number;
  const httpBase = o.httpBase as number;
  const dir = resolve(o.dataDir as string);
  const tls = o.tlsCert !== undefined || o.tlsKey !== undefined || o.tlsCa !== undefined;
  if (tls && (o.tlsCert === undefined || o.tlsKey === undefined || o.tlsCa === undefined)) {
    throw new ConfigError('BAD_VALUE', '--tls-cert, --tls-key and --tls-ca go together');
  }
  const writeToken = (o.writeToken as string | undefined) ?? newSecret();
  checkCredentialStrength('write-token', writeToken, MIN_TOKEN_CHARS);
  const bootstrapSecret = newSecret();
  const scheme = tls ? 'https' : 'http';
  const self = selfCommand();
  const ids = Array.from({ length: voters }, (_, i) => `voter-${i + 1}`);
  const peers = ids.map((id, i) => `${id}=127.0.0.1:${mqttBase + i}`).join(',');
  const common = ['--write-token', writeToken, ...(tls ? ['--tls-cert', o.tlsCert as string, '--tls-key', o.tlsKey as string, '--tls-ca', o.tlsCa as string] : [])];
  const children: ChildProcess[] = [];
  let stopping = false;
  const start = (id: string, i: number, extra: string[]): void => {
    mkdirSync(join(dir, id), { recursive: true });
    const args = [...self.args, 'start', '--id', id, '--cluster', o.cluster as string, '--data-dir', join(dir, id),
      '--mqtt-host', '127.0.0.1', '--mqtt-port', String(mqttBase + i), '--http-host', '127.0.0.1', '--http-port', String(httpBase + i),
      '--advertise-host', '127.0.0.1', '--log-level', o.logLevel as string, ...common,
      ...(o.autopilot ? [] : ['--no-autopilot']), ...((o.domains as number) > 1 ? ['--domain', `domain-${(i % (o.domains as number)) + 1}`] : []), ...extra];
    // glibc reads its allocator settings at process start: set them the way a board's service does.
    const child = spawn(self.command, args, { stdio: ['ignore', 'inherit', 'inherit'], env: withAllocatorEnv(process.env) });
    child.on('exit', (code, signal) => {
      if (!stopping) process.stderr.write(`dev-cluster: ${id} exited (${signal ?? code})\n`);
    });
    children.push(child);
  };
  ids.forEach((id, i) => start(id, i, ['--peers', peers, '--bootstrap-secret', bootstrapSecret]));
  const firstVoter = `${scheme}://127.0.0.1:${httpBase}`;
  for (let j = 0; j < externals; j++) {
    const id = `external-${j + 1}`;
    const joined = existsSync(join(dir, id, JOIN_TRUST_FILE));
    const token = joined ? null : await joinToken(firstVoter, writeToken, o.tlsCa as string | undefined);
    start(id, voters + j, ['--role', 'external', '--join', firstVoter, ...(token ? ['--join-token', token] : [])]);
  }
  const table = [...ids, ...Array.from({ length: externals }, (_, j) => `external-${j + 1}`)]
    .map((id, i) => `  ${id.padEnd(12)} ${scheme}://127.0.0.1:${httpBase + i}   ${tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${mqttBase + i}`).join('\n');
  process.stdout.write(`dev-cluster "${o.cluster}": ${voters} voters, ${externals} external boards, data in ${dir}\n${table}\n`
    + `write token (REST: -H "Authorization: Bearer $T", MQTT: -P "$T"):\n  export T=${writeToken}\nCtrl-C stops them all.\n`);
  await new Promise<void>((done) => {
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      process.stdout.write('dev-cluster: stopping\n');
      let left = children.length;
      for (const c of children) {
        if (c.exitCode !== null || c.signalCode !== null) left--;
        else {
          c.once('exit', () => --left === 0 && done());
          c.kill('SIGTERM');
        }
      }
      if (left === 0) done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

/** Asks the first voter for a join token, waiting while the installation elects its first leader. */
async function joinToken(board: string, writeToken: string, ca: string | undefined): Promise<string> {
  const deadline = Date.now() + 60_000;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const r = await restJson(`${board}/v1/join-tokens`, 'POST', {}, { token: writeToken, ca });
      if (r.status === 201 && typeof r.body.token === 'string') return r.body.token;
      last = `HTTP ${r.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(300);
  }
  throw Object.assign(new Error(`no join token from ${board} within 60 s (last: ${last})`), { code: 'DEV_CLUSTER_FAILED' });
}
