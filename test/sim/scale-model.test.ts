// The scale model is deterministic and every write reaches every board.
import t from 'tap';
import { runScaleModel } from './scale-model.ts';

const seed = process.env.SEED !== undefined ? Number(process.env.SEED) : 7;
t.comment(`scale model seed ${seed}`);

t.test('same seed, same figures; the leader sends each write to every other board', async (t) => {
  const a = runScaleModel({ boards: 12, seed, bursts: 2, burstSize: 40 });
  const b = runScaleModel({ boards: 12, seed, bursts: 2, burstSize: 40 });
  t.same(a, b);
  t.equal(a.writes, 80);
  // Every write's 256 bytes go to the 11 other boards at least once.
  t.ok(a.leaderBytesPerWrite >= 11 * 256, `${a.leaderBytesPerWrite} bytes per write`);
  t.ok(a.roundsToAllApplied.max >= 3, 'an append, its acknowledgement and the commit reaching the followers take 3 hops at least');
});
