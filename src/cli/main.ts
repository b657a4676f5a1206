#!/usr/bin/env node
// The raftlight executable: dispatches to a command, turns known errors into one clear line.
// First, before anything else is evaluated: the image drops environment hooks (image-guard.ts).
import './image-guard.ts';
import './early.ts'; // next, before any other module: see early.ts
import { mainHelp, startHelp } from './help.ts';
import { version } from './version.ts';
import { runStart } from './start.ts';
import { joinOptions, joinTokenOptions, runJoin, runJoinToken, runStatus, statusOptions } from './client-commands.ts';
import { devClusterOptions, runDevCluster } from './dev-cluster.ts';
import { commandHelp } from './help.ts';
import { benchOptions, runBenchCommand } from './bench.ts';

type Command = (argv: readonly string[]) => Promise<number>;

const commands: Record<string, { run: Command; help: () => string }> = {
  start: { run: runStart, help: startHelp },
  status: { run: runStatus, help: () => commandHelp('status [options]', 'Prints a board\'s role, leader, log position, members and memory.', statusOptions) },
  'join-token': { run: runJoinToken, help: () => commandHelp('join-token --board URL --token WRITE_TOKEN [options]', 'Issues a join token that admits one new board (single use, expiring). Prints it once on stdout.', joinTokenOptions) },
  join: { run: runJoin, help: () => commandHelp('join --via URL --join-token TOKEN --id ID --address host:port --data-dir DIR [options]', 'Admits a new board with a join token before its first start: its member secret and the members it trusts go into its data directory.', joinOptions) },
  bench: { run: runBenchCommand, help: () => commandHelp('bench [options]', 'Launches an installation of many boards on this machine, drives a workload (idle, constant, burst; optional faults), samples memory, CPU, latency and propagation, writes CSV, summary.json and SVG plots; --compare etcd runs the same against etcd.', benchOptions) },
  'dev-cluster': { run: runDevCluster, help: () => commandHelp('dev-cluster N [options]', 'Starts N voters and --externals M external boards on loopback, each a real process; Ctrl-C stops them.', devClusterOptions) },
};

async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    const cmd = topic !== undefined ? commands[topic] : undefined;
    if (topic !== undefined && !cmd) return usageError(`unknown command "${topic}"`);
    process.stdout.write(cmd ? cmd.help() : mainHelp());
    return 0;
  }
  if (first === '--version' || first === '-v' || first === 'version') {
    process.stdout.write(`raftlight ${version} (node ${process.version}, ${process.platform}-${process.arch})\n`);
    return 0;
  }
  const cmd = commands[first];
  if (!cmd) return usageError(`unknown command "${first}"`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(cmd.help());
    return 0;
  }
  return cmd.run(rest);
}

function usageError(message: string): number {
  process.stderr.write(`raftlight: ${message}\nRun "raftlight --help" for the list of commands.\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const e = err as Error & { code?: unknown };
    const code = typeof e.code === 'string' ? e.code : 'ERROR';
    process.stderr.write(`raftlight: error ${code}: ${e.message}\n`);
    // Configuration mistakes exit 2, failures at run time exit 1.
    process.exit(e.name === 'ConfigError' ? 2 : 1);
  },
);
