// `raftlight bench`: start the installation, measure, optionally do the same
// against etcd, write the results folder, print the tables.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeStaleGroups, setupBoardLimits, type BoardLimits } from './cgroup.ts';
import { makeImageCopies, type ImageCopies } from './image-copies.ts';
import { heapSnapshotFlags, snapshotBoards } from './heap-snapshots.ts';
import type { Target } from './targets.ts';
import { startEtcd } from './etcd-sut.ts';
import { freezePartitioner, runFaults, type FaultEvent, type FaultName, type VoterSample } from './faults.ts';
import { writeVoterPlot, voterFigures, type VoterFigures } from './voter-plot.ts';
import { measure, type MeasuredRun } from './measure.ts';
import { setupNetns, type NetnsPlan } from './netns.ts';
import { writePlots } from './output.ts';
import { startRaftlight } from './raftlight-sut.ts';
import { makeRunRoot, removeStaleRoots } from './stale-roots.ts';
import { compare, comparisonTable, figureRows, markdownTable, table, type Comparison } from './report.ts';
import { summarize, type RunFigures } from './summary.ts';
import type { Workload, Writer } from './workload.ts';
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
  /** Hard memory limit per board (memory cgroup, memory and swap together); undefined: no limit. */
  boardLimitMiB?: number;
  /** With a limit: readahead of the device holding each board's copy of the executable. */
  readaheadKiB: number;
  /** The image's target: its budgets draw the lines on the plots and give --board-limits its size. */
  imageTarget: Target;
  out: string;
  compareEtcd: boolean;
  target: 'round-robin' | 'leader';
  keys: number;
  idleLeadS: number;
  extraBoardArgs: string[];
  /** Environment added for every board (allocator settings, NODE_OPTIONS). */
  boardEnv?: NodeJS.ProcessEnv;
  quiet: boolean;
  /** Write a V8 CPU profile per board into <out>/profiles (written when the boards stop). */
  cpuProf?: boolean;
  /** Seconds of the workload at which to take a heap snapshot of every board (<out>/heap/<board>-<t>s.heapsnapshot). */
  heapSnapshotsS?: number[];
  /**
   * Writes sent as fast as 64 writers go after seeding and before the run is
   * measured: fills the boards' bounded structures (the request-id and change
   * windows of 10,000 each) so that a short run measures a board in its
   * steady state.
   */
  warmupWrites?: number;
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
  /** This pass's faults (times from its own workload start). */
  faults: FaultEvent[];
  /** With faults: the voters and healthy voters over this pass (the leader's view), and their figures. */
  voters?: VoterFigures;
  /** Boards found dead at the end of this pass. */
  deaths: BoardDeath[];
  limits?: LimitsReport;
}

export interface BenchResult {
  /** The first pass's figures (the only one without --watchers both or --rounds). */
  raftlight: RunFigures;
  etcd?: RunFigures & { version: string };
  comparison?: Comparison[];
  /** Every pass, in the order measured. */
  passes: BenchPass[];
  /** Every pass's faults, in the order measured. */
  faults: FaultEvent[];
  /** With faults: the first pass's voters and healthy voters (the leader's view), and their figures. */
  voters?: VoterFigures;
  /** Boards found dead at the end of any pass (a crash, an OOM kill), with their last log lines. */
  deaths: BoardDeath[];
  /** The first pass's limits, with the OOM kills of every pass added up per board. */
  limits?: LimitsReport;
}

/** How the boards were limited, for the summary. */
export interface LimitsReport {
  cgroup: string;
  limitMiB: number;
  /** Readahead in effect for the executable's copies, KiB. */
  readaheadKiB: number | null;
  device: string;
  copies: string;
  /** Cached bytes of a copy before its board started (0: every page the board maps is read and charged by it). */
  cachedBytesAfterDrop: number | null;
  oomKills: Record<string, number>;
}

export interface BoardDeath {
  board: string;
  exit: string;
  logTail: string[];
  /** The pass it died in, when the run has more than one ("watchers none, round 2"). */
  pass?: string;
}

function boardDeaths(inst: Installation): BoardDeath[] {
  return [...inst.boards.values()].filter((b) => !inst.isRunning(b.id)).map((b) => ({
    board: b.id,
    exit: b.process ? `exit ${b.process.signalCode ?? b.process.exitCode}` : 'never started',
    logTail: b.logTail.slice(-15),
  }));
}

/** The per-board total RSS goal of the first study (the total-RSS plot draws it). */
export const RSS_GOAL_MIB = 64;

/** The options as summary.json records them (no command line, the target's budgets only). */
function recordedOptions(o: BenchOptions): Record<string, unknown> {
  return { ...o, command: undefined, args: undefined, print: undefined, imageTarget: { name: o.imageTarget.name, source: o.imageTarget.source, budgets: o.imageTarget.budgets } };
}

export async function runBench(o: BenchOptions): Promise<BenchResult> {
  mkdirSync(o.out, { recursive: true });
  const print = o.print ?? ((text: string): void => void process.stdout.write(text));
  const modes: WatcherMode[] = (o.watchers ?? 'per-member') === 'both' ? ['none', 'per-member'] : [o.watchers as WatcherMode ?? 'per-member'];
  const rounds = Math.max(1, o.rounds ?? 1);
  const single = modes.length === 1 && rounds === 1;
  const passes: BenchPass[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const watchers of modes) {
      const out = single ? o.out : join(o.out, `watchers-${watchers}${rounds > 1 ? `-round${round}` : ''}`);
      passes.push(await runPass(o, { watchers, round, out, etcdFirst: round % 2 === 0, single, print }));
    }
  }
  const first = passes[0]!;
  const limits = first.limits ? { ...first.limits, oomKills: sumKills(passes) } : undefined;
  const result: BenchResult = {
    raftlight: first.raftlight, ...(first.etcd ? { etcd: first.etcd } : {}), ...(first.comparison ? { comparison: first.comparison } : {}),
    passes, faults: passes.flatMap((p) => p.faults), ...(first.voters ? { voters: first.voters } : {}),
    deaths: passes.flatMap((p) => p.deaths), ...(limits ? { limits } : {}),
  };
  if (!single) {
    const md = passesMarkdown(o, result);
    writeFileSync(join(o.out, 'summary.json'), JSON.stringify({ options: recordedOptions(o), createdAt: new Date().toISOString(), node: process.version, ...result }, null, 2) + '\n');
    writeFileSync(join(o.out, 'summary.md'), md);
    print(`\n${md}\nresults in ${o.out}\n`);
  }
  return result;
}

function sumKills(passes: BenchPass[]): Record<string, number> {
  const kills: Record<string, number> = {};
  for (const p of passes) for (const [board, n] of Object.entries(p.limits?.oomKills ?? {})) kills[board] = (kills[board] ?? 0) + n;
  return kills;
}

interface PassPlan {
  watchers: WatcherMode;
  round: number;
  out: string;
  etcdFirst: boolean;
  /** The run's only pass (its labels stay as they were before passes). */
  single: boolean;
  print: (text: string) => void;
}

/**
 * One pass on fresh installations: its own data root, network namespaces,
 * memory cgroups and uncached executable copies (a copy cached by an earlier
 * pass would not be charged to its board again), warm-up, heap snapshots,
 * faults and voter samples; etcd (without limits) before or after raftlight.
 */
async function runPass(o: BenchOptions, plan: PassPlan): Promise<BenchPass> {
  const { out, print } = plan;
  mkdirSync(out, { recursive: true });
  const log = (line: string): void => {
    if (!o.quiet) process.stderr.write(`bench: ${line}\n`);
  };
  const goals = { anonMiB: o.imageTarget.budgets.peakAnonRssMiB, rssMiB: RSS_GOAL_MIB };
  const stale = [...removeStaleRoots(), ...removeStaleGroups()];
  if (stale.length) log(`removed ${stale.length} data folder(s) and cgroup(s) of benches that were killed: ${stale.join(', ')}`);
  const root = makeRunRoot();
  const ids = [...Array.from({ length: o.voters }, (_, i) => `v${i + 1}`), ...Array.from({ length: o.boards - o.voters }, (_, i) => `e${i + 1}`)];
  let netns: NetnsPlan | undefined;
  let limits: BoardLimits | undefined;
  let copies: ImageCopies | undefined;
  const watch = plan.watchers === 'per-member';
  const label = `watchers ${plan.watchers}${(o.rounds ?? 1) > 1 ? `, round ${plan.round}` : ''}`;
  const faults: FaultEvent[] = [];
  const deaths: BoardDeath[] = [];
  const voterSamples: VoterSample[] = [];
  const pass: Partial<BenchPass> & { watchers: WatcherMode; round: number; out: string } = { watchers: plan.watchers, round: plan.round, out, faults, deaths };
  try {
    if (o.netns) {
      netns = setupNetns(ids, o.netem);
      log(`network namespaces: ${ids.length} boards on 10.200.0.0/16${o.netem ? `, netem "${o.netem}"` : ''}`);
    }
    if (o.boardLimitMiB !== undefined) {
      limits = setupBoardLimits(o.boardLimitMiB);
      copies = makeImageCopies(o.command, ids, root, o.readaheadKiB, log);
      pass.limits = {
        cgroup: limits.version, limitMiB: o.boardLimitMiB, readaheadKiB: copies.readaheadKiB, device: copies.device, copies: copies.how,
        cachedBytesAfterDrop: copies.cachedBytesAfterDrop, oomKills: {},
      };
      log(`${limits.version} memory limit ${o.boardLimitMiB} MiB per board (memory and swap); ${copies.how}; readahead ${copies.readaheadKiB ?? '?'} KiB; ` +
        `cached after the drop: ${copies.cachedBytesAfterDrop ?? '?'} bytes`);
      if (copies.readaheadKiB !== null && copies.readaheadKiB !== o.readaheadKiB) log(`warning: readahead in effect is ${copies.readaheadKiB} KiB, not the ${o.readaheadKiB} KiB asked for`);
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
    const heapDir = join(out, 'heap');
    const snapshotTimes = (o.heapSnapshotsS ?? []).filter((s) => s <= o.durationS);
    const nodeFlags = snapshotTimes.length ? heapSnapshotFlags(heapDir) : [];
    const wrap = limits || netns ? (id: string): string[] => [...(limits?.wrap(id) ?? []), ...(netns?.wrap(id) ?? [])] : undefined;
    const rl = await startRaftlight({
      command: o.command, args: o.args, root, voters: o.voters, externals: o.boards - o.voters, keys: o.keys, target: o.target,
      extraBoardArgs: o.extraBoardArgs, log, watch, ...(o.tls ? { tls: o.tls } : {}),
      ...(o.boardEnv ? { env: o.boardEnv } : {}), ...(nodeFlags.length ? { nodeFlags } : {}),
      ...(o.cpuProf ? { cpuProfileDir: join(out, 'profiles') } : {}),
      ...(netns ? { hostOf: netns.hostOf } : {}),
      ...(wrap ? { wrap } : {}),
      ...(copies ? { commandOf: copies.pathOf } : {}),
      ...(limits ? { cgroupUsageBytes: limits.usageBytes } : {}),
    });
    if (o.warmupWrites) {
      const failed = await warmUp(rl.sut.writer, o.warmupWrites);
      log(`warm-up: ${o.warmupWrites} writes (${failed} failed)`);
    }
    // Ctrl-C or SIGTERM: no board, namespace or temp directory is left behind.
    const onSignal = (signal: NodeJS.Signals): void => {
      for (const b of rl.inst.boards.values()) b.process?.kill('SIGKILL');
      netns?.teardown();
      limits?.teardown();
      copies?.teardown();
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
        alongside: o.faults.length || snapshotTimes.length ? async (t0) => {
          await Promise.all([
            o.faults.length ? runFaults(rl.inst, o.faults, o.durationS * 1000, t0, partitioner, (e) => {
              faults.push(e);
              log(`fault ${e.fault}: ${e.action} ${e.boards.join(',')}${e.ms !== undefined ? ` (${e.ms} ms)` : ''}`);
            }, voterSamples) : undefined,
            (async () => {
              for (const s of snapshotTimes) {
                await new Promise((r) => setTimeout(r, Math.max(0, t0 + s * 1000 - Date.now())));
                await snapshotBoards(heapDir, rl.sut.boards().map((b) => ({ id: b.id, pid: b.pid() })), `${s}s`, log);
              }
            })(),
          ]);
        } : undefined,
      });
      // Let the last writes reach every board before counting.
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      await rl.watcher.close();
      deaths.push(...boardDeaths(rl.inst).map((d) => (plan.single ? d : { ...d, pass: label })));
      for (const d of deaths) log(`board ${d.board} was not running at the end (${d.exit}); last log lines:\n  ${d.logTail.join('\n  ')}`);
      await rl.inst.stopAll('SIGTERM');
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    pass.raftlight = summarize(run, rl.watcher, watch ? rl.watched : undefined);
    if (limits && pass.limits) pass.limits.oomKills = limits.oomKills();
    await writePlots(out, 'raftlight', run, watch ? rl.watcher : undefined, watch ? rl.watched : undefined, goals);
    if (voterSamples.length > 0) {
      pass.voters = voterFigures(voterSamples, faults);
      await writeVoterPlot(out, 'raftlight', voterSamples, faults);
    }
    print(`\nraftlight: ${o.boards} boards (${o.voters} voters), workload ${describeWorkload(o.workload)}, ${o.durationS} s, ${label}, ${o.imageLabel}\n`);
    if (pass.limits) print(`  ${describeLimits(pass.limits)}\n`);
    print(table(figureRows(pass.raftlight)));
    if (o.compareEtcd && !plan.etcdFirst) await measureEtcd();
    if (etcdRun) await writePlots(out, 'etcd', etcdRun, etcdWatch?.watcher, etcdWatch?.watched, goals, run);
    if (pass.etcd) {
      pass.comparison = compare(pass.raftlight, pass.etcd);
      print(`\nraftlight vs ${pass.etcd.version} (${o.voters} members each, same workload, same machine, ${label}${plan.etcdFirst ? ', etcd measured first' : ''})\n`);
      print(comparisonTable(pass.comparison));
    }
    const done = pass as BenchPass;
    const summary = { options: recordedOptions(o), createdAt: new Date().toISOString(), node: process.version, ...done };
    writeFileSync(join(out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    writeFileSync(join(out, 'summary.md'), summaryMarkdown(o, done));
    print(`\nresults in ${out}\n`);
    return done;
  } finally {
    netns?.teardown();
    limits?.teardown();
    copies?.teardown();
    closeHttpClient();
    rmSync(root, { recursive: true, force: true });
  }
}

/** Every pass's ratio per figure and watcher mode, with the median over rounds. */
function passesMarkdown(o: BenchOptions, r: BenchResult): string {
  const passes = r.passes;
  let md = `${o.boards} boards (${o.voters} voters, ${o.boards - o.voters} external), workload ${describeWorkload(o.workload)}, ${o.durationS} s per pass, ${o.imageLabel}` +
    `${o.faults.length ? `, faults ${o.faults.join(',')}` : ''}${o.netns ? ', --netns' : ''}\n\n`;
  if (r.limits) md += `${describeLimits(r.limits)} (all passes)\n\n`;
  if (r.deaths.length) md += `Boards not running at the end of a pass: ${r.deaths.map((d) => `${d.board} (${d.exit}, ${d.pass ?? ''})`).join(', ')}\n\n`;
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
      md += markdownTable(['round', ...figureRows(mine[0]!.raftlight).map((row) => row[0])], mine.map((p) => [String(p.round), ...figureRows(p.raftlight).map((row) => row[1])]));
    }
    md += '\n';
  }
  return md;
}

function summaryMarkdown(o: BenchOptions, r: BenchPass): string {
  let md = `${o.boards} boards (${o.voters} voters, ${o.boards - o.voters} external), workload ${describeWorkload(o.workload)}, ${o.durationS} s, ${o.imageLabel}` +
    `${o.faults.length ? `, faults ${o.faults.join(',')}` : ''}${o.netns ? ', --netns' : ''}\n\n`;
  md += `Watchers: ${r.watchers === 'none' ? 'none on either system' : 'one per member on each system'}.\n\n`;
  if (r.limits) md += `${describeLimits(r.limits)}\n\n`;
  md += markdownTable(['raftlight', 'value'], figureRows(r.raftlight));
  if (r.deaths.length) md += `\nBoards not running at the end: ${r.deaths.map((d) => `${d.board} (${d.exit})`).join(', ')}\n`;
  if (r.faults.length) md += '\n' + markdownTable(['t (s)', 'fault', 'action', 'boards', 'ms'], r.faults.map((f) => [f.t.toFixed(1), f.fault, f.action, f.boards.join(' '), f.ms === undefined ? '' : String(f.ms)]));
  if (r.voters) {
    const v = r.voters;
    md += `\nVoters (the leader's view, every ${v.sampleMs} ms): ${v.voters.join('/')} voters seen; healthy voters at least ${v.minHealthy}; `
      + `${v.belowTargetS} s with fewer healthy voters than at the start (${v.startHealthy}); ${v.leaderlessS} s without a leader; `
      + `${v.configChanges} configuration changes after the restore. Plot: raftlight-voters.svg\n`;
  }
  if (r.etcd) md += `\n${r.etcd.version}, same workload:\n\n` + markdownTable(['etcd', 'value'], figureRows(r.etcd));
  if (r.comparison) {
    md += '\n' + markdownTable(['metric', 'raftlight', 'etcd', 'raftlight / etcd', 'goal'], r.comparison.map((c) => [c.metric, String(c.raftlight), String(c.etcd), c.ratio.toFixed(2), c.goal ?? '']));
  }
  return md;
}
/** The warm-up writes (see BenchOptions.warmupWrites), 64 at a time; returns how many failed. */
async function warmUp(writer: Writer, writes: number): Promise<number> {
  let next = 0;
  let failed = 0;
  // Sequence numbers far from the run's, so the warm-up's request bodies differ from its writes.
  const base = 1_000_000_000;
  await Promise.all(Array.from({ length: Math.min(64, writes) }, async () => {
    while (next < writes) {
      const r = await writer(base + next++);
      if (!r.ok) failed++;
    }
  }));
  return failed;
}

export function describeLimits(l: LimitsReport): string {
  const kills = Object.values(l.oomKills).reduce((a, b) => a + b, 0);
  return `every board under a ${l.limitMiB} MiB hard limit (${l.cgroup}, memory and swap), from its own uncached copy of the executable ` +
    `(${l.device}, readahead ${l.readaheadKiB ?? '?'} KiB); OOM kills: ${kills}`;
}

export function describeWorkload(w: Workload): string {
  if (w.kind === 'idle') return 'idle';
  if (w.kind === 'constant') return `constant ${w.rate === 'max' ? 'max rate' : `${w.rate}/s`}, ${w.clients} clients`;
  return `burst ${w.size} writes every ${w.intervalMs / 1000} s, ${w.clients} clients`;
}
