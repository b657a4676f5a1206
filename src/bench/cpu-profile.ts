// Summarizes a V8 .cpuprofile (from `raftlight bench --cpu-prof`): self time
// per function, the biggest first, so a bench figure comes with its cause.
//   npx tsx src/bench/cpu-profile.ts FILE.cpuprofile [topN]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
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
    const f = n.callFrame;
    if (f.functionName === '(idle)') idle += dt;
    const file = f.url.split('/').slice(-2).join('/');
    const key = `${f.functionName || '(anonymous)'} ${file}${file ? `:${f.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  const functions = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, ms]) => ({ name, selfMs: Number(ms.toFixed(1)), percent: Number(((100 * ms) / Math.max(total, 1e-9)).toFixed(1)) }));
  return { totalMs: Number(total.toFixed(1)), idlePercent: Number(((100 * idle) / Math.max(total, 1e-9)).toFixed(1)), functions };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: npx tsx src/bench/cpu-profile.ts FILE.cpuprofile [topN]\n');
    process.exit(2);
  }
  const r = hotFunctions(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(process.argv[3] ?? 25));
  process.stdout.write(`${file}: ${r.totalMs} ms sampled, ${r.idlePercent}% idle\n`);
  for (const f of r.functions) process.stdout.write(`  ${f.percent.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.name}\n`);
}
