// `raftlight bench`: launches an installation of N boards on this machine,
// drives a workload (optionally with faults), measures, plots, and with
// --compare etcd does the same against a local etcd cluster.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, resolveOptions } from './config.ts';
import type { OptionSpec } from './options.ts';
import { selfCommand } from './self.ts';
import { parseFaults } from '../bench/faults.ts';
import { runBench, type BenchOptions } from '../bench/run.ts';
import { runLimitSweep, parseLimitSweep } from '../bench/limit-sweep.ts';
import { loadTarget, TargetError, type Target } from '../bench/targets.ts';
import { parseSnapshotTimes } from '../bench/heap-snapshots.ts';
import { BOARD_ALLOCATOR_ENV, parseEnvAssignments } from '../board/allocator-env.ts';
import type { Workload } from '../bench/workload.ts';

export const benchOptions: readonly OptionSpec[] = [
  { key: 'boards', flag: 'boards', kind: 'int', default: 3, help: 'boards in the installation, voters included' },
  { key: 'voters', flag: 'voters', kind: 'int', default: 3, help: 'voters among them (the rest are external boards)' },
  { key: 'workload', flag: 'workload', kind: 'string', default: 'burst', help: 'idle, constant or burst' },
  { key: 'duration', flag: 'duration', kind: 'int', default: 60, help: 'seconds of workload (the run always stops by itself)' },
  { key: 'rate', flag: 'rate', kind: 'string', default: 'max', help: 'constant: writes per second in total, or "max" (as fast as the clients go)' },
  { key: 'clients', flag: 'clients', kind: 'int', default: 64, help: 'concurrent writers (constant and burst)' },
  { key: 'burstSize', flag: 'burst-size', kind: 'int', default: 200, help: 'burst: writes per burst' },
  { key: 'burstInterval', flag: 'burst-interval', kind: 'string', default: '2', help: 'burst: seconds between bursts' },
  { key: 'faults', flag: 'faults', kind: 'list', default: [], help: 'fault schedule: kill-voter,kill-leader,partition-voter,externals-offline,replace-voters (the leader and a follower killed for good at 20 % of the run, back as external boards at 70 %; with the default dead-voter time of 30 s, runs of 2 minutes or more); any fault also plots voters and healthy voters over time' },
  { key: 'image', flag: 'image', kind: 'string', default: undefined, help: 'run the boards from this built image (default: this executable, or the sources through tsx)' },
  { key: 'netns', flag: 'netns', kind: 'bool', default: false, help: 'each board in its own network namespace with its own address (root, iproute2)' },
  { key: 'netem', flag: 'netem', kind: 'string', default: undefined, help: 'with --netns: tc netem arguments per board link, e.g. "delay 5ms loss 1%"' },
  { key: 'boardLimits', flag: 'board-limits', kind: 'bool', default: false, help: 'each board in a memory cgroup (v1 or v2; root) with its target\'s hard limit (budgets.hardLimitMiB) on memory and swap, from its own uncached copy of the executable' },
  { key: 'boardLimitMib', flag: 'board-limit-mib', kind: 'int', default: undefined, help: 'hard limit per board in MiB instead of the target\'s (implies --board-limits)' },
  { key: 'limitSweep', flag: 'limit-sweep', kind: 'list', default: [], help: 'run the workload once per limit, e.g. none,96,80,64,56,48,40 (MiB; none = no limit): finds the smallest that passes without errors, plots latency and major faults against it' },
  { key: 'readaheadKib', flag: 'readahead-kib', kind: 'int', default: 128, help: 'with limits: readahead of the loop device holding the executable\'s copies (a board\'s eMMC: 128)' },
  { key: 'targetFile', flag: 'target', kind: 'string', default: undefined, help: 'budgets: a built-in target (linux-x64, linux-arm64) or a target file (default: the built-in one of this machine\'s architecture)' },
  { key: 'out', flag: 'out', kind: 'string', default: undefined, help: 'results folder (default bench-results/<timestamp>)' },
  { key: 'compare', flag: 'compare', kind: 'string', default: undefined, help: '"etcd": run the same workload against a local etcd cluster of the same voter count' },
  { key: 'watchers', flag: 'watchers', kind: 'string', default: 'per-member', help: 'observers on both systems: none, per-member (one subscriber or watch per member), or both (each mode in turn)' },
  { key: 'rounds', flag: 'rounds', kind: 'int', default: 1, help: 'measure every watcher mode this many times, alternating which system goes first' },
  { key: 'writeTo', flag: 'write-to', kind: 'string', default: 'round-robin', help: 'where writes go: round-robin over the voters, or leader' },
  { key: 'keys', flag: 'keys', kind: 'int', default: 256, help: 'writes cycle over this many areas (the database keeps its size)' },
  { key: 'idleLead', flag: 'idle-lead', kind: 'int', default: 5, help: 'seconds sampled before the workload (the idle baseline)' },
  { key: 'boardArgs', flag: 'board-args', kind: 'string', default: undefined, help: 'extra flags for every board, given with = : --board-args="--tick-ms 200 --heartbeat-ticks 2"' },
  { key: 'cpuProf', flag: 'cpu-prof', kind: 'bool', default: false, help: 'V8 CPU profile of every board into <out>/profiles/<board>-<start>.cpuprofile (summarize: npx tsx src/bench/cpu-profile.ts FILE)' },
  { key: 'boardEnv', flag: 'board-env', kind: 'string', default: undefined, help: `environment of every board, given with = : --board-env="MALLOC_ARENA_MAX=2" ("none": nothing added; default: the allocator settings a board's service sets, ${Object.entries(BOARD_ALLOCATOR_ENV).map(([k, v]) => `${k}=${v}`).join(' ')})` },
  { key: 'heapSnapshots', flag: 'heap-snapshots', kind: 'list', default: [], help: 'heap snapshot of every board at these seconds of the workload, into <out>/heap (compare: npx tsx src/bench/heap-diff.ts A B)' },
  { key: 'warmupWrites', flag: 'warmup-writes', kind: 'int', default: undefined, help: 'writes sent as fast as possible before the measured run (fills the request-id and change windows: 10,000 each)' },
  { key: 'quiet', flag: 'quiet', kind: 'bool', default: false, help: 'no progress output' },
  { key: 'tlsCert', flag: 'tls-cert', kind: 'string', default: undefined, help: 'PEM certificate for every board (valid for the boards\' addresses): MQTT over TLS and HTTPS' },
  { key: 'tlsKey', flag: 'tls-key', kind: 'string', default: undefined, help: 'PEM private key of --tls-cert' },
  { key: 'tlsCa', flag: 'tls-ca', kind: 'string', default: undefined, help: 'PEM CA bundle that signed --tls-cert (boards and the bench verify with it)' },
];

function positiveNumber(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError('BAD_VALUE', `--${flag} must be a positive number, got ${JSON.stringify(text)}`);
  return n;
}

/** Parses the flags into BenchOptions; every mistake is a ConfigError with one clear line. */
/** The bench's options, and --limit-sweep's limits (MiB, null = no limit; empty: one run). */
export interface BenchCommand extends BenchOptions {
  limitSweep: (number | null)[];
}

export function benchOptionsFrom(argv: readonly string[], now = new Date(), env: NodeJS.ProcessEnv = process.env): BenchCommand {
  const o = resolveOptions(argv, env, benchOptions);
  const boards = o.boards as number;
  const voters = o.voters as number;
  if (voters > boards) throw new ConfigError('BAD_VALUE', `--voters (${voters}) cannot exceed --boards (${boards})`);
  if (voters > 9) throw new ConfigError('BAD_VALUE', '--voters must be 1..9');
  if (boards > 500) throw new ConfigError('BAD_VALUE', '--boards must be at most 500');
  const clients = o.clients as number;
  if (clients > 512) throw new ConfigError('BAD_VALUE', '--clients must be at most 512');
  let workload: Workload;
  switch (o.workload) {
    case 'idle':
      workload = { kind: 'idle' };
      break;
    case 'constant':
      workload = { kind: 'constant', clients, rate: o.rate === 'max' ? 'max' : positiveNumber(o.rate as string, 'rate') };
      break;
    case 'burst':
      workload = { kind: 'burst', clients, size: o.burstSize as number, intervalMs: positiveNumber(o.burstInterval as string, 'burst-interval') * 1000 };
      break;
    default:
      throw new ConfigError('BAD_VALUE', `--workload must be idle, constant or burst, got ${JSON.stringify(o.workload)}`);
  }
  if (o.compare !== undefined && o.compare !== 'etcd') throw new ConfigError('BAD_VALUE', '--compare only knows "etcd"');
  if (o.watchers !== 'none' && o.watchers !== 'per-member' && o.watchers !== 'both') throw new ConfigError('BAD_VALUE', '--watchers must be none, per-member or both');
  if ((o.rounds as number) < 1 || (o.rounds as number) > 20) throw new ConfigError('BAD_VALUE', '--rounds must be 1..20');
  if (o.writeTo !== 'round-robin' && o.writeTo !== 'leader') throw new ConfigError('BAD_VALUE', '--write-to must be round-robin or leader');
  if (o.netem !== undefined && !o.netns) throw new ConfigError('BAD_VALUE', '--netem needs --netns');
  let faults;
  try {
    faults = parseFaults(o.faults as string[]);
  } catch (err) {
    throw new ConfigError('BAD_VALUE', (err as Error).message);
  }
  let command: string;
  let args: string[];
  let imageLabel: string;
  if (o.image !== undefined) {
    const image = resolve(o.image as string);
    if (!existsSync(image)) throw new ConfigError('BAD_VALUE', `--image ${image} does not exist (npm run build makes images/linux-x64/raftlight)`);
    [command, args, imageLabel] = [image, [], `image ${o.image as string}`];
  } else {
    const self = selfCommand();
    [command, args, imageLabel] = [self.command, self.args, args0Label(self.args)];
  }
  let imageTarget: Target;
  try {
    imageTarget = loadTarget(o.targetFile as string | undefined);
  } catch (err) {
    if (err instanceof TargetError) throw new ConfigError('BAD_VALUE', err.message);
    throw err;
  }
  const limitMib = o.boardLimitMib as number | undefined;
  if (limitMib !== undefined && limitMib < 8) throw new ConfigError('BAD_VALUE', '--board-limit-mib must be at least 8');
  const boardLimitMiB = limitMib ?? (o.boardLimits ? imageTarget.budgets.hardLimitMiB : undefined);
  let limitSweep: (number | null)[];
  try {
    limitSweep = parseLimitSweep(o.limitSweep as string[]);
  } catch (err) {
    throw new ConfigError('BAD_VALUE', (err as Error).message);
  }
  let heapSnapshotsS: number[];
  try {
    heapSnapshotsS = parseSnapshotTimes(o.heapSnapshots as string[]);
  } catch (err) {
    throw new ConfigError('BAD_VALUE', (err as Error).message);
  }
  let boardEnv: Record<string, string>;
  try {
    boardEnv = o.boardEnv === undefined ? { ...BOARD_ALLOCATOR_ENV } : parseEnvAssignments(o.boardEnv as string);
  } catch (err) {
    throw new ConfigError('BAD_VALUE', `--board-env: ${(err as Error).message}`);
  }
  const readaheadKiB = o.readaheadKib as number;
  if (readaheadKiB < 4 || readaheadKiB > 65536) throw new ConfigError('BAD_VALUE', '--readahead-kib must be 4..65536');
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return {
    boards, voters, workload, durationS: o.duration as number, faults, command, args, imageLabel,
    netns: o.netns as boolean, ...(o.netem !== undefined ? { netem: o.netem as string } : {}),
    ...(boardLimitMiB !== undefined ? { boardLimitMiB } : {}), readaheadKiB, imageTarget, limitSweep,
    out: resolve((o.out as string | undefined) ?? join('bench-results', stamp)),
    compareEtcd: o.compare === 'etcd', target: o.writeTo as 'round-robin' | 'leader', keys: o.keys as number,
    idleLeadS: o.idleLead as number,
    extraBoardArgs: typeof o.boardArgs === 'string' ? o.boardArgs.trim().split(/\s+/) : [],
    quiet: o.quiet as boolean,
    cpuProf: o.cpuProf as boolean,
    watchers: o.watchers as 'none' | 'per-member' | 'both',
    rounds: o.rounds as number,
    heapSnapshotsS, boardEnv, ...(o.warmupWrites !== undefined ? { warmupWrites: o.warmupWrites as number } : {}),
    ...tlsOf(o),
  };
}

function tlsOf(o: Record<string, unknown>): { tls?: { cert: string; key: string; ca: string } } {
  const [cert, key, ca] = [o.tlsCert, o.tlsKey, o.tlsCa] as Array<string | undefined>;
  if (cert === undefined && key === undefined && ca === undefined) return {};
  if (cert === undefined || key === undefined || ca === undefined) throw new ConfigError('BAD_VALUE', '--tls-cert, --tls-key and --tls-ca go together');
  return { tls: { cert: resolve(cert), key: resolve(key), ca: resolve(ca) } };
}

function args0Label(args: string[]): string {
  return args.length === 0 ? 'this executable' : 'sources (tsx)';
}

export async function runBenchCommand(argv: readonly string[]): Promise<number> {
  const options = benchOptionsFrom(argv);
  if (options.limitSweep.length > 0) await runLimitSweep(options, options.limitSweep);
  else await runBench(options);
  return 0;
}
