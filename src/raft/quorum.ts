// Majority and joint-majority arithmetic over a set of voters.
import type { NodeId } from './types.ts';

export type VoteResult = 'won' | 'lost' | 'pending';

// Reused between calls so the leader's commit computation does not allocate on the hot path.
let scratch: number[] = [];

/** The highest index acknowledged by a majority of `voters` (Infinity for an empty set, so joint min ignores it). */
export function majorityCommitted(voters: ReadonlySet<NodeId>, matchOf: (id: NodeId) => number): number {
  const n = voters.size;
  if (n === 0) return Infinity;
  if (scratch.length < n) scratch = new Array<number>(n).fill(0);
  let i = 0;
  for (const id of voters) scratch[i++] = matchOf(id);
  // Insertion sort, descending: n is tiny (a handful of voters).
  for (let a = 1; a < n; a++) {
    const v = scratch[a] as number;
    let b = a - 1;
    while (b >= 0 && (scratch[b] as number) < v) {
      scratch[b + 1] = scratch[b] as number;
      b--;
    }
    scratch[b + 1] = v;
  }
  return scratch[Math.floor(n / 2)] as number;
}

export function majorityVote(voters: ReadonlySet<NodeId>, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.size === 0) return 'won';
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const q = Math.floor(voters.size / 2) + 1;
  if (granted >= q) return 'won';
  if (granted + missing >= q) return 'pending';
  return 'lost';
}

export function jointVote(
  incoming: ReadonlySet<NodeId>,
  outgoing: ReadonlySet<NodeId>,
  votes: ReadonlyMap<NodeId, boolean>,
): VoteResult {
  const a = majorityVote(incoming, votes);
  const b = majorityVote(outgoing, votes);
  if (a === 'lost' || b === 'lost') return 'lost';
  if (a === 'won' && b === 'won') return 'won';
  return 'pending';
}

export function jointCommitted(
  incoming: ReadonlySet<NodeId>,
  outgoing: ReadonlySet<NodeId>,
  matchOf: (id: NodeId) => number,
): number {
  return Math.min(majorityCommitted(incoming, matchOf), majorityCommitted(outgoing, matchOf));
}
