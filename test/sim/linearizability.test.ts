// The linearizability checker itself: it accepts real-time-consistent histories and rejects stale reads.
import t from 'tap';
import { checkLinearizable, type HistoryOp } from './linearizability.ts';

const w = (client: number, value: number, call: number, ret: number | undefined): HistoryOp => ({
  client, op: { kind: 'write', value }, call, ret, result: ret === undefined ? undefined : { ok: true },
});
const r = (client: number, value: number, call: number, ret: number): HistoryOp => ({
  client, op: { kind: 'read' }, call, ret, result: { ok: true, value },
});

t.test('concurrent write and read may order either way', async (t) => {
  t.equal(checkLinearizable([w(0, 1, 0, 10), r(1, 0, 1, 5)]), true);
  t.equal(checkLinearizable([w(0, 1, 0, 10), r(1, 1, 1, 5)]), true);
});

t.test('a read after a completed write must see it (stale read)', async (t) => {
  t.type(checkLinearizable([w(0, 1, 0, 5), r(1, 0, 6, 8)]), 'string');
});

t.test('a pending write may take effect or not', async (t) => {
  t.equal(checkLinearizable([w(0, 3, 0, undefined), r(1, 3, 5, 6), r(1, 3, 7, 8)]), true);
  t.type(checkLinearizable([w(0, 3, 0, undefined), r(1, 3, 5, 6), r(1, 0, 7, 8)]), 'string', 'it cannot be undone');
});

t.test('compare-and-set results must be consistent', async (t) => {
  const cas = (client: number, expect: number, value: number, ok: boolean, call: number, ret: number): HistoryOp => ({
    client, op: { kind: 'cas', expect, value }, call, ret, result: { ok },
  });
  t.equal(checkLinearizable([cas(0, 0, 1, true, 0, 2), cas(1, 0, 2, false, 3, 4), r(2, 1, 5, 6)]), true);
  t.type(checkLinearizable([cas(0, 0, 1, true, 0, 2), cas(1, 0, 2, true, 3, 4)]), 'string', 'two successful CAS from 0');
});
