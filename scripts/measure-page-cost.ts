// What a connected installer's page costs the boards: an installation of real board
// processes (the x64 image by default), then alternating phases without and with a headless
// Chromium showing the page of one external board, each phase sampling every board's CPU
// (utime+stime from /proc) and anonymous RSS. Alternating in one run is what makes the
// comparison fair on a shared, noisy machine. Prints a table; writes nothing.
//   npx tsx scripts/measure-page-cost.ts [--image images/linux-x64/raftlight] [--voters 3]
//     [--externals 2] [--phase-seconds 30] [--rounds 2]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { Installation, sleep } from '../src/bench/launcher.ts';
import { sampleProc } from '../src/bench/proc.ts';
import { CHROMIUM, CHROMIUM_FLAGS } from '../test/helpers/browser.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const image = arg('image', 'images/linux-x64/raftlight');
const voters = Number(arg('voters', '3'));
const externals = Number(arg('externals', '2'));
const phaseSeconds = Number(arg('phase-seconds', '30'));
const rounds = Number(arg('rounds', '2'));

interface PhaseResult { readonly browser: boolean; readonly cpu: Map<string, number>; readonly anonMiB: Map<string, number> }

async function phase(inst: Installation, browser: boolean): Promise<PhaseResult> {
  const ids = [...inst.boards.keys()];
  const start = new Map(ids.map((id) => [id, sampleProc(inst.get(id).process!.pid!)!]));
  const anon = new Map(ids.map((id) => [id, [] as number[]]));
  const began = Date.now();
  while (Date.now() - began < phaseSeconds * 1000) {
    await sleep(1000);
    for (const id of ids) anon.get(id)!.push(sampleProc(inst.get(id).process!.pid!)!.anonBytes / 1048576);
  }
  const wall = (Date.now() - began) / 1000;
  const cpu = new Map(ids.map((id) => [id, ((sampleProc(inst.get(id).process!.pid!)!.cpuSeconds - start.get(id)!.cpuSeconds) / wall) * 100]));
  const anonMiB = new Map(ids.map((id) => [id, anon.get(id)!.reduce((a, b) => a + b, 0) / anon.get(id)!.length]));
  return { browser, cpu, anonMiB };
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'raftlight-page-cost-'));
  const inst = new Installation({ command: image, args: [], root, cluster: 'pagecost', extraArgs: ['--log-level', 'warn'] });
  const profile = mkdtempSync(join(tmpdir(), 'raftlight-chromium-'));
  try {
    await inst.create(voters, externals);
    const leader = await inst.waitForLeader();
    // External boards join ten at a time (each join is a membership change on the leader).
    for (let from = 1; from <= externals; from += 10) {
      const batch = Array.from({ length: Math.min(10, externals - from + 1) }, (_, k) => `e${from + k}`);
      for (const id of batch) inst.start(id);
      for (const id of batch) await inst.waitForRole(id, 'external', 180_000);
    }
    await sleep(15_000); // start-up settles
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    const results: PhaseResult[] = [];
    let streamBytes = 0;
    try {
      for (let r = 0; r < rounds; r++) {
        results.push(await phase(inst, false));
        const page = await context.newPage();
        page.on('response', () => undefined);
        await page.goto(`${inst.get('e1').url}/`);
        // A function, not a string: the page's content security policy forbids eval.
        type Doc = { document: { querySelectorAll(s: string): { length: number } } };
        await page.waitForFunction((n) => (globalThis as unknown as Doc).document.querySelectorAll('li.tile').length === n, voters + externals, { timeout: 60_000 });
        results.push(await phase(inst, true));
        await page.close();
        await sleep(2_000);
      }
      // The stream's volume, read by a plain client for 20 s.
      const abort = new AbortController();
      const res = await fetch(`${inst.get('e1').url}/v1/stream`, { signal: abort.signal });
      const reader = res.body!.getReader();
      const until = Date.now() + 20_000;
      const timer = setTimeout(() => abort.abort(), 21_000);
      try {
        while (Date.now() < until) {
          const { value, done } = await reader.read();
          if (done) break;
          streamBytes += value.byteLength;
        }
      } catch {
        // aborted
      }
      clearTimeout(timer);
      abort.abort();
    } finally {
      await context.close();
    }
    const mean = (browser: boolean, id: string, what: 'cpu' | 'anonMiB'): number => {
      const xs = results.filter((p) => p.browser === browser).map((p) => p[what].get(id)!);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    process.stdout.write(`${voters} voters + ${externals} external boards (${image}), leader ${leader}; page of e1; ${rounds} rounds of ${phaseSeconds} s without / with Chromium\n`);
    process.stdout.write('board   CPU % of a core (without → with)   anonymous RSS MiB (without → with)\n');
    for (const id of inst.boards.keys()) {
      const tag = id === leader ? ' (leader)' : id === 'e1' ? ' (page)' : '';
      process.stdout.write(`${(id + tag).padEnd(14)} ${mean(false, id, 'cpu').toFixed(2).padStart(6)} → ${mean(true, id, 'cpu').toFixed(2).padStart(6)}`
        + `                  ${mean(false, id, 'anonMiB').toFixed(1).padStart(6)} → ${mean(true, id, 'anonMiB').toFixed(1).padStart(6)}\n`);
    }
    for (const p of results) {
      process.stdout.write(`  phase ${p.browser ? 'with   ' : 'without'}: e1 CPU ${p.cpu.get('e1')!.toFixed(2)} %, ${leader} CPU ${p.cpu.get(leader)!.toFixed(2)} %, e1 anon ${p.anonMiB.get('e1')!.toFixed(1)} MiB\n`);
    }
    process.stdout.write(`stream volume to one page: ${(streamBytes / 20 / 1024).toFixed(1)} KiB/s\n`);
  } finally {
    await inst.stopAll('SIGTERM');
    rmSync(root, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
}

void main();
