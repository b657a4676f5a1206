import t from 'tap';
import { Ring } from '../../src/board/ring.ts';

t.test('FIFO order across growth and wrap-around, refusal at the cap', async (t) => {
  const r = new Ring<number>(10, 2);
  const out: number[] = [];
  let next = 0;
  // Interleave pushes and shifts so the head wraps while the slots grow.
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 3; i++) if (r.push(next)) next++;
    out.push(r.shift()!);
  }
  while (r.length > 0) out.push(r.shift()!);
  t.same(out, Array.from({ length: next }, (_, i) => i), 'every item once, in order');
  for (let i = 0; i < 10; i++) t.ok(r.push(i));
  t.notOk(r.push(10), 'the 11th item is refused');
  t.equal(r.length, 10);
  r.clear();
  t.equal(r.length, 0);
  t.equal(r.shift(), undefined);
  t.ok(r.push(7));
  t.equal(r.shift(), 7);
  t.throws(() => new Ring(0), RangeError);
});
