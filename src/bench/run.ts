// `raftlight bench`: start the installation, measure, optionally do the same
// against etcd, write the results folder, print the tables.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setupBoardLimits, type BoardLimits } from './cgroup.ts';
import { startEtcd } from './etcd-sut.ts';
import { freezePartitioner, runFaults, type FaultEvent, type FaultName } from './faults.ts';
import { measure, type MeasuredRun } from './measure.ts';
import { setupNetns, type NetnsPlan } from './netns.ts';
import { writePlots } from './output.ts';
import { startRaftlight } from './raftlight-sut.ts';
import { makeRunRoot, removeStaleRoots } from './stale-roots.ts';
import { compare, comparisonTable, figureRows, markdownTable, table, type Comparison } from './report.ts';
import { summarize, type RunFigures } from './summary.ts';
import type { Workload } from './workload.ts';
import { closeHttpClient } from './http-client.ts';
import type { Installation } from './launcher.ts';
import type { PropagationWatcher } from './propagation.ts';

export type WatcherMode = 'none' | 'per-member';

export interface BenchOptions {
  boards: number;
  voters: number;
  workload: Workload;
  durationS: number;
  faults: FaultName[];
  /** How to run a board: the image, or node + tsx + main.ts. */
  command: string;
  args: string[];
  imageLabel: string;
  netns: boolean;
  netem?: string;
  boardLimits: boolean;
  /** targets/<name>.json: memory limit for --board-limits, RSS goal line on the plot. */
  targetFile: string;
  out: string;
  compareEtcd: boolean;
  target: 'round-robin' | 'leader';
  keys: number;
  idleLeadS: number;
  extraBoardArgs: string[];
  quiet: boolean;
  /** Write a V8 CPU profile per board into <out>/profiles (written when the boards stop). */
  cpuProf?: boolean;
  /** TLS for every board (one certificate for all, valid for their addresses) and the CA the bench verifies with. */
  tls?: { cert: string; key: string; ca: string };
  /**
   * Observers on both systems alike: one subscriber per member (raftlight: MQTT
   * on its events topic; etcd: a watch), none, or both modes one after the
   * other (default per-member).
   */
  watchers?: WatcherMode | 'both';
  /**
   * Measure every mode this many times, alternating the systems (raftlight
   * first in odd rounds, etcd first in even ones), so a machine shared with
   * other work shows in the spread of the ratios (default 1).
   */
  rounds?: number;
  /** Where the tables go (default stdout). */
  print?: (text: string) => void;
}

/** One measured pass: one watcher mode, one round, raftlight (and etcd) on fresh installations. */
export interface BenchPass {
  watchers: WatcherMode;
  round: number;
  /** Results folder of this pass (the run's folder itself when there is only one pass). */
  out: string;
  raftlight: RunFigures;
  etcd?: RunFigures & { version: string };
  comparison?: Comparison[];
}

export interface BenchResult {
  /** The first pass's figures (the only one without --watchers both or --rounds). */
  raftlight: RunFigures;
  etcd?: RunFigures & { version: string };
  comparison?: Comparison[];
  /** Every pass, in the order measured. */
  passes: BenchPass[];
  faults: FaultEvent[];
  /** Boards found dead at the end of the run (a crash, an OOM kill), with their last log lines. */
  deaths: BoardDeath[];
}

export interface BoardDeath {
  board: string;
  exit: string;
  logTail: string[];
}

function boardDeaths(inst: Installation): BoardDeath[] {
  return [...inst.boards.values()].filter((b) => !inst.isRunning(b.id)).map((b) => ({
    board: b.id,
    exit: b.process ? `exit ${b.process.signalCode ?? b.process.exitCode}` : 'never started',
    logTail: b.logTail.slice(-15),
  }));
}

/** The per-board RSS goal the issue sets (the plots draw it). */
export const RSS_GOAL_MIB = 64;

export async function runBench(o: BenchOptions): Promise<BenchResult> {
  mkdirSync(o.out, { recursive: true });
  const print = o.print ?? ((text: string): void => void process.stdout.write(text));
  const modes: WatcherMode[] = (o.watchers ?? 'per-member') === 'both' ? ['none', 'per-member'] : [o.watchers as WatcherMode ?? 'per-member'];
  const rounds = Math.max(1, o.rounds ?? 1);
  const single = modes.length === 1 && rounds === 1;
  const passes: BenchPass[] = [];
  const faults: FaultEvent[] = [];
  const deaths: BoardDeath[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const watchers of modes) {
      const out = single ? o.out : join(o.out, `watchers-${watchers}${rounds > 1 ? `-round${round}` : ''}`);
      const pass = await runPass(o, { watchers, round, out, etcdFirst: round % 2 === 0, print }, faults, deaths);
      passes.push(pass);
    }
  }
  const first = passes[0]!;
  const result: BenchResult = {
    raftlight: first.raftlight, ...(first.etcd ? { etcd: first.etcd } : {}), ...(first.comparison ? { comparison: first.comparison } : {}),
    passes, faults, deaths,
  };
  if (!single) {
    const md = passesMarkdown(o, passes);
    writeFileSync(join(o.out, 'summary.json'), JSON.stringify({ options: { ...o, command: undefined, args: undefined, print: undefined }, createdAt: new Date().toISOString(), node: process.version, ...result }, null, 2) + '\n');
    writeFileSync(join(o.out, 'summary.md'), md);
    print(`\n${md}\nresults in ${o.out}\n`);
  }
  return result;
}

interface PassPlan {
  watchers: WatcherMode;
  round: number;
  out: string;
  etcdFirst: boolean;
  print: (text: string) => void;
}

async function runPass(o: BenchOptions, plan: PassPlan, faults: FaultEvent[], deaths: BoardDeath[]): Promise<BenchPass> {
  const { out, print } = plan;
  mkdirSync(out, { recursive: true });
  const log = (line: string): void => {
    if (!o.quiet) process.stderr.write(`bench: ${line}\n`);
  };
  const target = JSON.parse(readFileSync(o.targetFile, 'utf8')) as { budgets?: { memoryLimitMiB?: number } };
  const stale = removeStaleRoots();
  if (stale.length) log(`removed ${stale.length} data folder(s) of benches that were killed: ${stale.join(', ')}`);
  const root = makeRunRoot();
  const ids = [...Array.from({ length: o.voters }, (_, i) => `v${i + 1}`), ...Array.from({ length: o.boards - o.voters }, (_, i) => `e${i + 1}`)];
  let netns: NetnsPlan | undefined;
  let limits: BoardLimits | undefined;
  const watch = plan.watchers === 'per-member';
  const label = `watchers ${plan.watchers}${(o.rounds ?? 1) > 1 ? `, round ${plan.round}` : ''}`;
  const pass: Partial<BenchPass> & { watchers: WatcherMode; round: number; out: string } = { watchers: plan.watchers, round: plan.round, out };
  try {
    if (o.netns) {
      netns = setupNetns(ids, o.netem);
      log(`network namespaces: ${ids.length} boards on 10.200.0.0/16${o.netem ? `, netem "${o.netem}"` : ''}`);
    }
    if (o.boardLimits) {
      const mib = target.budgets?.memoryLimitMiB;
      if (typeof mib !== 'number') throw new Error(`${o.targetFile} has no budgets.memoryLimitMiB`);
      limits = setupBoardLimits(mib);
      log(`cgroup memory limit ${mib} MiB per board`);
    }
    let etcdRun: MeasuredRun | undefined;
    let etcdWatch: { watcher: PropagationWatcher; watched: number } | undefined;
    const measureEtcd = async (): Promise<void> => {
      const etcd = await startEtcd(join(root, 'etcd'), o.voters, o.keys, log, watch);
      try {
        etcdRun = await measure(etcd.sut, { out, workload: o.workload, durationS: o.durationS, idleLeadS: o.idleLeadS, quiet: o.quiet });
        await new Promise((r) => setTimeout(r, 1000));
      } finally {
        await etcd.watcher.close();
        await etcd.stop();
      }
      pass.etcd = { ...summarize(etcdRun, etcd.watcher, watch ? etcd.watched : undefined), version: etcd.version };
      if (watch) etcdWatch = { watcher: etcd.watcher, watched: etcd.watched };
    };
    if (o.compareEtcd && plan.etcdFirst) await measureEtcd();
    const rl = await startRaftlight({
      command: o.command, args: o.args, root, voters: o.voters, externals: o.boards - o.voters, keys: o.keys, target: o.target,
      extraBoardArgs: o.extraBoardArgs, log, watch, ...(o.tls ? { tls: o.tls } : {}),
      ...(o.cpuProf ? { cpuProfileDir: join(out, 'profiles') } : {}),
      ...(netns ? { hostOf: netns.hostOf, wrap: netns.wrap } : {}),
      ...(limits ? { onSpawn: (id: string, child: { pid?: number | undefined }) => child.pid !== undefined && limits!.place(id, child.pid) } : {}),
    });
    // Ctrl-C or SIGTERM: no board, namespace or temp directory is left behind.
    const onSignal = (signal: NodeJS.Signals): void => {
      for (const b of rl.inst.boards.values()) b.process?.kill('SIGKILL');
      netns?.teardown();
      limits?.teardown();
      rmSync(root, { recursive: true, force: true });
      process.stderr.write(`\nbench: stopped by ${signal}; boards killed, partial results in ${out}\n`);
      process.exit(130);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let run: MeasuredRun;
    try {
      const partitioner = netns ? { how: 'link down', partition: netns.partition, heal: netns.heal } : freezePartitioner(rl.inst);
      run = await measure(rl.sut, {
        out, workload: o.workload, durationS: o.durationS, idleLeadS: o.idleLeadS, quiet: o.quiet,
        alongside: o.faults.length ? (t0) => runFaults(rl.inst, o.faults, o.durationS * 1000, t0, partitioner, (e) => {
          faults.push(e);
          log(`fault ${e.fault}: ${e.action} ${e.boards.join(',')}${e.ms !== undefined ? ` (${e.ms} ms)` : ''}`);
        }) : undefined,
      });
      // Let the last writes reach every board before counting.
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      await rl.watcher.close();
      const dead = boardDeaths(rl.inst);
      deaths.push(...dead);
      for (const d of dead) log(`board ${d.board} was not running at the end (${d.exit}); last log lines:\n  ${d.logTail.join('\n  ')}`);
      await rl.inst.stopAll('SIGTERM');
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    pass.raftlight = summarize(run, rl.watcher, watch ? rl.watched : undefined);
    if (limits) (pass.raftlight as RunFigures & { oomKills?: Record<string, number> }).oomKills = limits.oomKills();
    await writePlots(out, 'raftlight', run, watch ? rl.watcher : undefined, watch ? rl.watched : undefined, RSS_GOAL_MIB);
    print(`\nraftlight: ${o.boards} boards (${o.voters} voters), workload ${describeWorkload(o.workload)}, ${o.durationS} s, ${label}, ${o.imageLabel}\n`);
    print(table(figureRows(pass.raftlight)));
    if (o.compareEtcd && !plan.etcdFirst) await measureEtcd();
    if (etcdRun) await writePlots(out, 'etcd', etcdRun, etcdWatch?.watcher, etcdWatch?.watched, RSS_GOAL_MIB, run);
    if (pass.etcd) {
      pass.comparison = compare(pass.raftlight, pass.etcd);
      print(`\nraftlight vs ${pass.etcd.version} (${o.voters} members each, same workload, same machine, ${label}${plan.etcdFirst ? ', etcd measured first' : ''})\n`);
      print(comparisonTable(pass.comparison));
    }
    const done = pass as BenchPass;
    const summary = { options: { ...o, command: undefined, args: undefined, print: undefined }, createdAt: new Date().toISOString(), node: process.version, ...done, faults, deaths };
    writeFileSync(join(out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    writeFileSync(join(out, 'summary.md'), summaryMarkdown(o, done, faults, deaths));
    print(`\nresults in ${out}\n`);
    return done;
  } finally {
    netns?.teardown();
    limits?.teardown();
    closeHttpClient();
    rmSync(root, { recursive: true, force: true });
  }
}

/** Every pass's ratio per figure and watcher mode, with the median over rounds. */
function passesMarkdown(o: BenchOptions, passes: BenchPass[]): string {
  let md = `${o.boards} boards (${o.voters} voters, ${o.boards - o.voters} external), workload ${describeWorkload(o.workload)}, ${o.durationS} s per pass, ${o.imageLabel}\n\n`;
  for (const watchers of [...new Set(passes.map((p) => p.watchers))]) {
    const mine = passes.filter((p) => p.watchers === watchers);
    md += `### watchers ${watchers}\n\n`;
    if (mine.every((p) => p.comparison)) {
      const metrics = mine[0]!.comparison!.map((c) => c.metric);
      const rows = metrics.map((m) => {
        const cells = mine.map((p) => p.comparison!.find((c) => c.metric === m)!);
        const ratios = cells.map((c) => c.ratio).sort((a, b) => a - b);
        const median = ratios[Math.floor((ratios.length - 1) / 2)]!;
        return [m, ...cells.map((c) => `${c.raftlight} / ${c.etcd} = **${c.ratio.toFixed(2)}**`), median.toFixed(2), cells[0]!.goal ?? ''];
      });
      md += markdownTable(['metric', ...mine.map((p) => `round ${p.round}: raftlight / etcd`), 'median ratio', 'goal'], rows);
    } else {
      md += markdownTable(['round', ...figureRows(mine[0]!.raftlight).map((r) => r[0])], mine.map((p) => [String(p.round), ...figureRows(p.raftlight).map((r) => r[1])]));
    }
    md += '\n';
  }
  return md;
}

function summaryMarkdown(o: BenchOptions, r: BenchPass, faults: FaultEvent[], deaths: BoardDeath[]): string {
  let md = `${o.boards} boards (${o.voters} voters, ${o.boards - o.voters} external), workload ${describeWorkload(o.workload)}, ${o.durationS} s, ${o.imageLabel}` +
    `${o.faults.length ? `, faults ${o.faults.join(',')}` : ''}${o.netns ? ', --netns' : ''}\n\n`;
  md += `Watchers: ${r.watchers === 'none' ? 'none on either system' : 'one per member on each system'}.\n\n`;
  md += markdownTable(['raftlight', 'value'], figureRows(r.raftlight));
  if (deaths.length) md += `\nBoards not running at the end: ${deaths.map((d) => `${d.board} (${d.exit})`).join(', ')}\n`;
  if (faults.length) md += '\n' + markdownTable(['t (s)', 'fault', 'action', 'boards', 'ms'], faults.map((f) => [f.t.toFixed(1), f.fault, f.action, f.boards.join(' '), f.ms === undefined ? '' : String(f.ms)]));
  if (r.etcd) md += `\n${r.etcd.version}, same workload:\n\n` + markdownTable(['etcd', 'value'], figureRows(r.etcd));
  if (r.comparison) {
    md += '\n' + markdownTable(['metric', 'raftlight', 'etcd', 'raftlight / etcd', 'goal'], r.comparison.map((c) => [c.metric, String(c.raftlight), String(c.etcd), c.ratio.toFixed(2), c.goal ?? '']));
  }
  return md;
}

export function describeWorkload(w: Workload): string {
  if (w.kind === 'idle') return 'idle';
  if (w.kind === 'constant') return `constant ${w.rate === 'max' ? 'max rate' : `${w.rate}/s`}, ${w.clients} clients`;
  return `burst ${w.size} writes every ${w.intervalMs / 1000} s, ${w.clients} clients`;
}
