// Benchmark (prints numbers, asserts nothing): two boards on loopback with real brokers.
// Run: npx tsx test/transport/bench-transport.ts
import type { Message } from '../../src/raft/types.ts';
import { connectAll, heartbeat, startBoard, waitFor } from './mqtt-helpers.ts';

const a = await startBoard('a');
const b = await startBoard('b');
connectAll([a, b]);
a.transport.send(heartbeat('a', 'b', 0));
await waitFor('link', () => b.received.length === 1);

// Ping-pong latency: one message in flight.
const rounds = 2000;
const lat: number[] = [];
await new Promise<void>((resolve) => {
  let start = 0;
  let n = 0;
  b.transport.onMessage((m) => b.transport.send(heartbeat('b', 'a', m.type === 'heartbeat' ? m.commit : 0)));
  a.transport.onMessage(() => {
    lat.push(Number(process.hrtime.bigint() - BigInt(start)) / 1e3);
    if (++n === rounds) return resolve();
    start = Number(process.hrtime.bigint());
    a.transport.send(heartbeat('a', 'b', n));
  });
  start = Number(process.hrtime.bigint());
  a.transport.send(heartbeat('a', 'b', 0));
});
lat.sort((x, y) => x - y);
console.log(`round trip a→b→a over one MQTT connection: p50 ${lat[rounds / 2]!.toFixed(0)} µs, p99 ${lat[Math.floor(rounds * 0.99)]!.toFixed(0)} µs`);

// Throughput: appends with 1 KiB entries, sent in bursts of 64 (one Ready batch each).
let got = 0;
b.transport.onMessage(() => { got++; });
const total = 20_000;
const entry = { term: 1, index: 1, type: 'normal' as const, data: new Uint8Array(1024) };
const t0 = process.hrtime.bigint();
for (let sent = 0; sent < total;) {
  for (let i = 0; i < 64 && sent < total; i++, sent++) {
    const m: Message = { type: 'append', from: 'a', to: 'b', term: 1, logTerm: 1, index: sent, commit: 0, entries: [entry] };
    a.transport.send(m);
  }
  await new Promise((r) => setImmediate(r));
  while (a.transport.stats().get('b')!.queued > 256) await new Promise((r) => setTimeout(r, 1));
}
await waitFor('all appends', () => got + a.transport.stats().get('b')!.dropped >= total, 60_000);
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`appends with one 1 KiB entry: ${(got / secs).toFixed(0)} msg/s (${got} delivered, ${a.transport.stats().get('b')!.dropped} dropped)`);

// Snapshot: 8 MiB in 64 KiB chunks, window 4.
const data = new Uint8Array(8 << 20).fill(3);
const t1 = process.hrtime.bigint();
const ok = await new Promise<boolean>((resolve) => {
  a.transport.onSnapshotStatus((_p, s) => resolve(s));
  a.transport.send({ type: 'snapshot', from: 'a', to: 'b', term: 1, snapshot: { metadata: { index: 1, term: 1, confState: { voters: ['a', 'b'], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } }, data } });
});
const ms = Number(process.hrtime.bigint() - t1) / 1e6;
console.log(`snapshot 8 MiB: ${ok ? 'ok' : 'FAILED'} in ${ms.toFixed(0)} ms (${((8 / ms) * 1000).toFixed(0)} MiB/s)`);
console.log(`RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB (both boards in one process)`);
await a.close();
await b.close();
