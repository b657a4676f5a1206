// Golden story: a leader in the minority keeps accepting proposals that never commit; on rejoining it steps
// down and its uncommitted entries are replaced (Raft §5.3 log matching, §5.4.1 election restriction).
import t from 'tap';
import { Cluster, golden } from './harness.ts';

t.test('a partitioned leader rejoins, steps down, and loses only uncommitted entries', async (t) => {
  const c = new Cluster(['a', 'b', 'c', 'd', 'e'], { preVote: true, checkQuorum: false });
  c.campaign('a');
  c.propose('a', 'one');
  c.note('a and b are cut off from c, d, e; a still believes it leads');
  c.partition(['a', 'b'], ['c', 'd', 'e']);
  c.propose('a', 'lost');
  t.equal(c.node('a').status().commit, 3, '"lost" cannot commit without a majority');
  c.campaign('c');
  t.equal(c.node('c').status().role, 'leader', 'the majority side elects c');
  c.propose('c', 'two');
  c.note('heal: a hears the higher term and follows c; "lost" is overwritten');
  c.heal();
  c.tickAll(3);
  for (const id of ['a', 'b', 'c', 'd', 'e']) t.same(c.get(id).applied, ['one', 'two'], `${id} applied one, two`);
  t.equal(c.leader(), 'c');
  const g = golden('partitioned-leader', c.transcript.filter((l) => !l.includes('heartbeat')));
  t.equal(g.actual, g.expected, 'transcript matches golden/partitioned-leader.txt');
});
