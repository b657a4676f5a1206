// Summarizes a V8 .cpuprofile (from `raftlight bench --cpu-prof`): self time
// per function, the biggest first, so a bench figure comes with its cause.
// --inclusive: the share of busy (non-idle) time spent in a function and
// everything it called, which finds a costly path when self time is flat.
// --components: the share of busy time per component of the board (Raft core,
// WAL, state machine, sql.js, broker, ...), every sample charged to the
// innermost frame whose source is known (through the bundle's source map, which
// `npm run build` writes beside the bundle in .cache/bundle), so native work
// (a write syscall, a hash) counts for the code that asked for it.
// --window S: only the S seconds with the most busy time (the workload, not start-up).
//   npx tsx src/bench/cpu-profile.ts FILE.cpuprofile [topN] [--inclusive | --components [--map FILE.map]] [--window SECONDS]
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface HotFunction {
  name: string;
  selfMs: number;
  percent: number;
}

/** Self time per function (name + file), from the sample stream. */
export function hotFunctions(profile: CpuProfile, top = 25): { totalMs: number; idlePercent: number; functions: HotFunction[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  let idle = 0;
  for (let i = 0; i < samples.length; i++) {
    const n = byId.get(samples[i]!);
    const dt = (deltas[i + 1] ?? deltas[i] ?? 0) / 1000;
    total += dt;
    if (!n) continue;
    if (n.callFrame.functionName === '(idle)') idle += dt;
    const key = frameKey(n.callFrame);
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  const functions = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, ms]) => ({ name, selfMs: Number(ms.toFixed(1)), percent: Number(((100 * ms) / Math.max(total, 1e-9)).toFixed(1)) }));
  return { totalMs: Number(total.toFixed(1)), idlePercent: Number(((100 * idle) / Math.max(total, 1e-9)).toFixed(1)), functions };
}

function frameKey(f: ProfileNode['callFrame']): string {
  const file = f.url.split('/').slice(-2).join('/');
  return `${f.functionName || '(anonymous)'} ${file}${file ? `:${f.lineNumber + 1}` : ''}`;
}

/** Busy time per function including its callees (a function counted once per sample, also when recursive). */
export function inclusiveFunctions(profile: CpuProfile, top = 25): { busyMs: number; functions: HotFunction[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const inclusive = new Map<string, number>();
  let busy = 0;
  for (let i = 0; i < samples.length; i++) {
    const leaf = byId.get(samples[i]!);
    if (!leaf || leaf.callFrame.functionName === '(idle)') continue;
    const dt = (deltas[i + 1] ?? deltas[i] ?? 0) / 1000;
    busy += dt;
    const seen = new Set<string>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const key = frameKey(byId.get(id)!.callFrame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
    }
  }
  const functions = [...inclusive.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, ms]) => ({ name, selfMs: Number(ms.toFixed(1)), percent: Number(((100 * ms) / Math.max(busy, 1e-9)).toFixed(1)) }));
  return { busyMs: Number(busy.toFixed(1)), functions };
}

/** Components of a board, by source path (first match wins); what is not listed is "other". */
export const COMPONENTS: readonly [RegExp, string][] = [
  [/src\/raft\//, 'Raft core'],
  [/src\/storage\//, 'storage (WAL, snapshots)'],
  [/src\/state\/|node_modules\/sql\.js\//, 'state machine (sql.js)'],
  [/src\/model\//, 'commands (codec, validation)'],
  [/src\/board\/publisher/, 'publisher'],
  [/src\/board\/(telemetry|self-figures|propagation-tracker|live-feed|timeline)/, 'telemetry'],
  [/src\/board\/raft-loop|src\/board\/board-core|src\/board\/waiters/, 'Ready loop'],
  [/src\/board\//, 'board (other)'],
  [/src\/api\//, 'REST and MQTT API'],
  [/src\/transport\/mqtt5\//, 'MQTT 5 front end'],
  [/src\/transport\/(broker|member-auth|connection-limiter)/, 'broker hooks and caps'],
  [/src\/transport\//, 'peer transport'],
  [/node_modules\/(aedes|aedes-[^/]+|mqemitter|hyperid|fastfall|fastparallel|fastseries|reusify|retimer|uuid)\//, 'aedes broker'],
  [/node_modules\/mqtt-packet\//, 'mqtt-packet (parse, generate)'],
  [/node_modules\/(mqtt|commist|help-me|minimist|number-allocator|rfdc|split2|worker-timers|ws|readable-stream|duplexify)\//, 'mqtt.js client'],
  [/src\/cli\//, 'start-up'],
];

export interface ComponentShare {
  component: string;
  ms: number;
  percent: number;
}

interface FrameSource {
  /** The original source path of the frame, or null when unknown. */
  source(frame: ProfileNode['callFrame'] & { columnNumber?: number }): string | null;
}

/** Maps bundle frames to their sources with the bundle's source map (loaded lazily, per bundle URL). */
export function sourceMapResolver(explicitMap?: string): FrameSource {
  const maps = new Map<string, SourceMap | null>();
  const mapFor = (url: string): SourceMap | null => {
    if (maps.has(url)) return maps.get(url)!;
    let path = explicitMap;
    if (path === undefined && url.startsWith('file://')) path = `${fileURLToPath(url)}.map`;
    const map = path !== undefined && existsSync(path) ? new SourceMap(JSON.parse(readFileSync(path, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]) : null;
    maps.set(url, map);
    return map;
  };
  return {
    source(frame) {
      if (frame.url.startsWith('wasm://')) return 'node_modules/sql.js/sql-wasm.wasm';
      if (!frame.url.startsWith('file://')) return null;
      const map = mapFor(frame.url);
      if (map === null) return frame.url.includes('/src/') || frame.url.includes('/node_modules/') ? frame.url : null;
      const entry = map.findEntry(frame.lineNumber, frame.columnNumber ?? 0) as { originalSource?: string };
      return entry.originalSource ?? null;
    },
  };
}

/** Names the component of a source path. */
export function componentOf(source: string): string {
  for (const [pattern, name] of COMPONENTS) if (pattern.test(source)) return name;
  return 'other';
}

/**
 * Busy time per component: each sample goes to the component of the innermost
 * frame with a known source; samples with none go to the outermost node module
 * on their stack ("node: http", ...), GC and unattributed native time to their own rows.
 */
export function componentShares(profile: CpuProfile, sources: FrameSource): { busyMs: number; components: ComponentShare[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const componentOfNode = new Map<number, string>();
  const classify = (leaf: ProfileNode): string => {
    const known = componentOfNode.get(leaf.id);
    if (known !== undefined) return known;
    let name: string | undefined;
    let outerNode: string | undefined;
    for (let id: number | undefined = leaf.id; id !== undefined && name === undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame as ProfileNode['callFrame'] & { columnNumber?: number };
      const source = sources.source(frame);
      if (source !== null) name = componentOf(source);
      else if (frame.url.startsWith('node:')) outerNode = frame.url.replace(/^node:(internal\/)?/, '').split('/')[0];
    }
    if (name === undefined) {
      const f = leaf.callFrame.functionName;
      name = f === '(garbage collector)' ? 'garbage collector' : outerNode !== undefined ? `node: ${outerNode}` : f === '(program)' ? 'native (unattributed)' : 'native (unattributed)';
    }
    componentOfNode.set(leaf.id, name);
    return name;
  };
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const totals = new Map<string, number>();
  let busy = 0;
  for (let i = 0; i < samples.length; i++) {
    const leaf = byId.get(samples[i]!);
    if (!leaf || leaf.callFrame.functionName === '(idle)') continue;
    const dt = (deltas[i + 1] ?? deltas[i] ?? 0) / 1000;
    busy += dt;
    const c = classify(leaf);
    totals.set(c, (totals.get(c) ?? 0) + dt);
  }
  const components = [...totals.entries()].sort((a, b) => b[1] - a[1])
    .map(([component, ms]) => ({ component, ms: Number(ms.toFixed(1)), percent: Number(((100 * ms) / Math.max(busy, 1e-9)).toFixed(1)) }));
  return { busyMs: Number(busy.toFixed(1)), components };
}

/**
 * The profile cut to the `seconds`-long stretch with the most busy time (the
 * workload, without start-up and idle lead): a board's profile spans its whole
 * life, and start-up (WASM compile, opening the log) would dilute the shares.
 */
export function busiestWindow(profile: CpuProfile, seconds: number): CpuProfile {
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  const at: number[] = [];
  let t = 0;
  for (let i = 0; i < samples.length; i++) at.push((t += deltas[i] ?? 0));
  const busyOf = (i: number): number => (idle.has(samples[i]!) ? 0 : (deltas[i + 1] ?? deltas[i] ?? 0));
  const span = seconds * 1e6;
  let best = { from: 0, to: samples.length, busy: -1 };
  let busy = 0;
  for (let from = 0, to = 0; from < samples.length; from++) {
    while (to < samples.length && at[to]! - at[from]! < span) busy += busyOf(to++);
    if (busy > best.busy) best = { from, to, busy };
    busy -= busyOf(from);
  }
  return { ...profile, samples: samples.slice(best.from, best.to), timeDeltas: deltas.slice(best.from, best.to + 1) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const inclusive = args.includes('--inclusive');
  const components = args.includes('--components');
  const valueOf = (flag: string): string | undefined => (args.indexOf(flag) >= 0 ? args[args.indexOf(flag) + 1] : undefined);
  const map = valueOf('--map');
  const windowS = valueOf('--window');
  const taken = new Set(['--map', '--window'].flatMap((f) => (args.indexOf(f) >= 0 ? [args.indexOf(f), args.indexOf(f) + 1] : [])));
  const [file, topText] = args.filter((a, i) => a !== '--inclusive' && a !== '--components' && !taken.has(i));
  if (!file) {
    process.stderr.write('usage: npx tsx src/bench/cpu-profile.ts FILE.cpuprofile [topN] [--inclusive | --components [--map FILE.map]] [--window SECONDS]\n');
    process.exit(2);
  }
  const whole = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const profile = windowS === undefined ? whole : busiestWindow(whole, Number(windowS));
  const top = Number(topText ?? 25);
  // One write of the whole report: process.exit() after several writes to a pipe would cut it short.
  let out: string;
  if (components) {
    const r = componentShares(profile, sourceMapResolver(map));
    out = `${file}: ${r.busyMs} ms busy; share per component\n`;
    for (const c of r.components) out += `  ${c.percent.toFixed(1).padStart(5)}%  ${c.ms.toFixed(0).padStart(7)} ms  ${c.component}\n`;
  } else if (inclusive) {
    const r = inclusiveFunctions(profile, top);
    out = `${file}: ${r.busyMs} ms busy; share of it spent in each function and its callees\n`;
    for (const f of r.functions) out += `  ${f.percent.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.name}\n`;
  } else {
    const r = hotFunctions(profile, top);
    out = `${file}: ${r.totalMs} ms sampled, ${r.idlePercent}% idle\n`;
    for (const f of r.functions) out += `  ${f.percent.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.name}\n`;
  }
  process.stdout.write(out);
}
