// `raftlight dev-cluster N [--externals M]`: a local installation on loopback
// for trying raftlight out: N voters and M external boards, each a real
// process of this executable with its own data directory and ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, resolveOptions } from './config.ts';
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
];

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
  const self = selfCommand();
  const ids = Array.from({ length: voters }, (_, i) => `voter-${i + 1}`);
  const peers = ids.map((id, i) => `${id}=127.0.0.1:${mqttBase + i}`).join(',');
  const children: ChildProcess[] = [];
  const start = (id: string, i: number, extra: string[]): void => {
    mkdirSync(join(dir, id), { recursive: true });
    const args = [...self.args, 'start', '--id', id, '--cluster', o.cluster as string, '--data-dir', join(dir, id),
      '--mqtt-host', '127.0.0.1', '--mqtt-port', String(mqttBase + i), '--http-host', '127.0.0.1', '--http-port', String(httpBase + i),
      '--advertise-host', '127.0.0.1', '--log-level', o.logLevel as string, ...extra];
    // glibc reads its allocator settings at process start: set them the way a board's service does.
    const child = spawn(self.command, args, { stdio: ['ignore', 'inherit', 'inherit'], env: withAllocatorEnv(process.env) });
    child.on('exit', (code, signal) => {
      if (!stopping) process.stderr.write(`dev-cluster: ${id} exited (${signal ?? code})\n`);
    });
    children.push(child);
  };
  let stopping = false;
  ids.forEach((id, i) => start(id, i, ['--peers', peers]));
  for (let j = 0; j < externals; j++) {
    start(`external-${j + 1}`, voters + j, ['--role', 'external', '--join', `http://127.0.0.1:${httpBase}`]);
  }
  const table = [...ids, ...Array.from({ length: externals }, (_, j) => `external-${j + 1}`)]
    .map((id, i) => `  ${id.padEnd(12)} http://127.0.0.1:${httpBase + i}   mqtt://127.0.0.1:${mqttBase + i}`).join('\n');
  process.stdout.write(`dev-cluster "${o.cluster}": ${voters} voters, ${externals} external boards, data in ${dir}\n${table}\nCtrl-C stops them all.\n`);
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
