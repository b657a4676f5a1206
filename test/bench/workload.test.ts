import t from 'tap';
import { areaBody, runWorkload, type WriteRecord } from '../../src/bench/workload.ts';

const fakeWriter = (delayMs: number) => async (seq: number) => {
  await new Promise((r) => setTimeout(r, delayMs));
  return { ok: seq % 10 !== 9, revision: seq + 1, ...(seq % 10 === 9 ? { error: 'nope' } : {}) };
};

t.test('burst: K writes every interval, the first at half an interval', async (t) => {
  const recs: WriteRecord[] = [];
  await runWorkload({ kind: 'burst', size: 20, intervalMs: 200, clients: 4 }, fakeWriter(2), 700, (r) => recs.push(r));
  // Bursts at 100, 300, 500 ms: three of them fit in 700 ms.
  t.equal(recs.length, 60);
  t.same([...new Set(recs.map((r) => r.burst))], [0, 1, 2]);
  t.equal(recs.filter((r) => !r.ok).length, 6, 'errors are recorded, not thrown');
  t.ok(recs.every((r) => r.latencyMs >= 1), 'latency measured around the call');
  t.ok(Math.min(...recs.filter((r) => r.burst === 1).map((r) => r.startMs)) >= 290);
});

t.test('constant rate paces the writes', async (t) => {
  const recs: WriteRecord[] = [];
  await runWorkload({ kind: 'constant', rate: 50, clients: 4 }, fakeWriter(1), 1000, (r) => recs.push(r));
  t.ok(recs.length >= 45 && recs.length <= 50, `${recs.length} writes at 50/s for 1 s`);
  const seqs = recs.map((r) => r.seq).sort((a, b) => a - b);
  t.same(seqs, Array.from({ length: recs.length }, (_, i) => i), 'each sequence number once');
});

t.test('constant max rate is bounded by the clients; idle writes nothing; a writer that throws is an error record', async (t) => {
  const recs: WriteRecord[] = [];
  await runWorkload({ kind: 'constant', rate: 'max', clients: 2 }, fakeWriter(10), 300, (r) => recs.push(r));
  t.ok(recs.length >= 20 && recs.length <= 70, `${recs.length}`);
  const none: WriteRecord[] = [];
  await runWorkload({ kind: 'idle' }, fakeWriter(1), 200, (r) => none.push(r));
  t.equal(none.length, 0);
  const thrown: WriteRecord[] = [];
  await runWorkload({ kind: 'burst', size: 1, intervalMs: 100, clients: 1 }, async () => {
    throw new Error('boom');
  }, 100, (r) => thrown.push(r));
  t.equal(thrown[0]?.ok, false);
  t.equal(thrown[0]?.error, 'boom');
});

t.test('area payload is a valid area of 167 bytes with a 128-character name', async (t) => {
  const body = JSON.parse(areaBody(12345)) as { name: string; type: string; parent: null };
  t.equal(body.name.length, 128);
  t.equal(body.type, 'room');
  t.equal(body.parent, null);
  t.equal(areaBody(1).length, 167);
  t.equal(areaBody(123456789).length, 167, 'same size whatever the sequence number');
});
