// The commit durability check on the Raft paper's Figure 8 states: it flags (c) when index 2 is
// taken as committed by counting, and accepts (e), where the leader's own term-4 entry is on a majority.
import t from 'tap';
import { checkCommitDurable, type LogView } from './durability.ts';
import type { NodeId } from '../../src/raft/types.ts';

/** A log given as the term of each entry from index 1. */
function log(...terms: number[]): LogView[] {
  return [{
    lastIndex: terms.length,
    lastTerm: terms[terms.length - 1] ?? 0,
    termAt: (i) => (i > terms.length ? undefined : i < 1 ? 'compacted' : terms[i - 1]),
  }];
}

const voters: NodeId[] = ['s1', 's2', 's3', 's4', 's5'];

t.test('Figure 8 (c): index 2 of term 2 on s1, s2, s3 is not durable, s5 can still win', async (t) => {
  const views = new Map([['s1', log(1, 2, 4)], ['s2', log(1, 2)], ['s3', log(1, 2)], ['s4', log(1)], ['s5', log(1, 3)]]);
  t.throws(() => checkCommitDurable(2, 2, voters, views), /leader completeness \(commit durability\): entry 2 \(term 2\) is committed, yet s5 .* could be elected by s2, s3, s4, s5/);
});

t.test('Figure 8 (e): once s1\'s term-4 entry is on a majority, index 2 is durable', async (t) => {
  const views = new Map([['s1', log(1, 2, 4)], ['s2', log(1, 2, 4)], ['s3', log(1, 2, 4)], ['s4', log(1)], ['s5', log(1, 3)]]);
  t.doesNotThrow(() => checkCommitDurable(2, 2, voters, views));
  t.doesNotThrow(() => checkCommitDurable(3, 4, voters, views));
});

t.test('a voter counts as refusing only if every view of its log refuses', async (t) => {
  // s2 persisted only up to index 2 but holds index 3 in memory: after a crash it would vote for s5.
  const s2: LogView[] = [...log(1, 2), ...log(1, 2, 4)];
  const views = new Map([['s1', log(1, 2, 4)], ['s2', s2], ['s3', log(1, 2, 4)], ['s4', log(1)], ['s5', log(1, 3)]]);
  t.throws(() => checkCommitDurable(2, 2, voters, views), /could be elected by s2, s4, s5/);
});

t.test('compacted entries count as held', async (t) => {
  const compacted: LogView[] = [{ lastIndex: 3, lastTerm: 4, termAt: (i) => (i <= 2 ? 'compacted' : i === 3 ? 4 : undefined) }];
  const views = new Map([['s1', compacted], ['s2', compacted], ['s3', compacted], ['s4', compacted], ['s5', compacted]]);
  t.doesNotThrow(() => checkCommitDurable(2, 2, voters, views));
});
