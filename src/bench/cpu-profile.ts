// Summarizes a V8 .cpuprofile (from `raftlight bench --cpu-prof`): self time
// per function, the biggest first, so a bench figure comes with its cause.
// --inclusive: the share of busy (non-idle) time spent in a function and
// everything it called, which finds a costly path when self time is flat.
//   npx tsx src/bench/cpu-profile.ts FILE.cpuprofile [topN] [--inclusive]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
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

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const inclusive = args.includes('--inclusive');
  const [file, topText] = args.filter((a) => a !== '--inclusive');
  if (!file) {
    process.stderr.write('usage: npx tsx src/bench/cpu-profile.ts FILE.cpuprofile [topN] [--inclusive]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const top = Number(topText ?? 25);
  if (inclusive) {
    const r = inclusiveFunctions(profile, top);
    process.stdout.write(`${file}: ${r.busyMs} ms busy; share of it spent in each function and its callees\n`);
    for (const f of r.functions) process.stdout.write(`  ${f.percent.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.name}\n`);
    process.exit(0);
  }
  const r = hotFunctions(profile, top);
  process.stdout.write(`${file}: ${r.totalMs} ms sampled, ${r.idlePercent}% idle\n`);
  for (const f of r.functions) process.stdout.write(`  ${f.percent.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.name}\n`);
}
