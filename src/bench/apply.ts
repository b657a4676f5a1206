// npm run bench:apply — the per-entry cost of applying committed writes on one
// board, in process: the state machine (sql.js) and the publisher on an aedes
// broker with one subscriber on the events topic, entries applied in batches
// the way the Ready loop hands them over. Prints CPU microseconds per entry for
// each part, so a write-path change can be judged without a noisy cluster run.
//   BENCH_ENTRIES=20000 BENCH_BATCH=16 BENCH_ROUNDS=5 BENCH_KEYS=256 npm run bench:apply
import { Aedes } from 'aedes';
import { encodeCommand } from '../model/index.ts';
import { StateMachine } from '../state/index.ts';
import { StatePublisher } from '../board/publisher.ts';
import { silentLogger } from '../board/log.ts';
import { areaBody } from './workload.ts';

const entries = Number(process.env['BENCH_ENTRIES'] ?? 20_000);
const batch = Number(process.env['BENCH_BATCH'] ?? 16);
/** Rounds of `entries` each; the best round is reported (the machine is shared: the least disturbed round is the closest to the cost). */
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 5);
/** Objects the writes cycle over: fewer than a batch's entries means the same object changes several times in a batch. */
const keys = Number(process.env['BENCH_KEYS'] ?? 256);

function command(seq: number): Uint8Array {
  const value = JSON.parse(areaBody(seq)) as object;
  const k = seq % keys;
  return encodeCommand({ requestId: `bench-${seq}`, command: seq < keys ? { type: 'create', kind: 'area', id: `a${k}`, value } : { type: 'update', kind: 'area', id: `a${k}`, value } });
}

const cpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** Applies and publishes `data` from `index` on; CPU microseconds of each part. */
async function measureRound(sm: StateMachine, publisher: StatePublisher, data: Uint8Array[], index: number, events: () => number): Promise<{ applyUs: number; publishUs: number; wallMs: number }> {
  let applyUs = 0;
  let publishUs = 0;
  const events0 = events();
  const t0 = performance.now();
  for (let i = 0; i < data.length; i += batch) {
    const end = Math.min(i + batch, data.length);
    const c0 = cpuUs();
    const results = sm.batch(() => {
      const out = [];
      for (let j = i; j < end; j++) out.push(sm.apply(index++, data[j]!));
      return out;
    });
    const c1 = cpuUs();
    for (const r of results) publisher.changes(r.index, r.requestId, r.changes);
    publishUs += cpuUs() - c1;
    applyUs += c1 - c0;
    // Let the broker deliver, as the event loop would between Readys.
    const p0 = cpuUs();
    await new Promise((r) => setImmediate(r));
    publishUs += cpuUs() - p0;
  }
  const p0 = cpuUs();
  while (events() - events0 < data.length) await new Promise((r) => setImmediate(r));
  publishUs += cpuUs() - p0;
  return { applyUs, publishUs, wallMs: performance.now() - t0 };
}

async function main(): Promise<void> {
  const sm = await StateMachine.create();
  const aedes = await Aedes.createBroker();
  let events = 0;
  // A local subscriber on the events topic, as a watcher on the board would be.
  await new Promise<void>((r) => aedes.subscribe('raftlight/bench/events', (_packet, cb) => {
    events++;
    cb();
  }, () => r()));
  const publisher = new StatePublisher(aedes, 'bench', silentLogger);
  const data = Array.from({ length: keys + entries * rounds }, (_, i) => command(i));
  let index = 1;
  sm.applyNoop(index++);
  // Warm-up: create the areas.
  for (let i = 0; i < keys; i++) sm.apply(index++, data[i]!);
  const best = { apply: Infinity, publish: Infinity, wallMs: Infinity };
  for (let round = 0; round < rounds; round++) {
    const first = keys + round * entries;
    const r = await measureRound(sm, publisher, data.slice(first, first + entries), index, () => events);
    index += entries;
    best.apply = Math.min(best.apply, r.applyUs);
    best.publish = Math.min(best.publish, r.publishUs);
    best.wallMs = Math.min(best.wallMs, r.wallMs);
  }
  const perEntry = (us: number): string => (us / entries).toFixed(1);
  process.stdout.write(`${entries} entries in batches of ${batch}, best of ${rounds} rounds (${best.wallMs.toFixed(0)} ms wall)\n`);
  process.stdout.write(`  state machine apply: ${perEntry(best.apply)} us CPU per entry\n`);
  process.stdout.write(`  publish (state + event, delivered): ${perEntry(best.publish)} us CPU per entry\n`);
  process.stdout.write(`  total: ${perEntry(best.apply + best.publish)} us CPU per entry\n`);
  sm.close();
  await new Promise<void>((r) => aedes.close(() => r()));
}

await main();
