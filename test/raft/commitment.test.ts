// Raft §5.4.2 (Figure 8): a leader commits only entries of its own term by counting replicas.
import t from 'tap';
import { Cluster } from './harness.ts';
import type { NodeOptions } from './harness.ts';

/**
 * The paper's Figure 8 story with five servers. Returns what s1 believed
 * committed at step (c) and whether s5 later overwrote it at step (d).
 */
function figure8(opts: NodeOptions): { s1Commit: number; s1Applied: string[]; s5Entry3Term: number | undefined } {
  const c = new Cluster(['s1', 's2', 's3', 's4', 's5'], { ...opts, maxSizePerMsg: 1 });
  // (a) s1 leads term 2 and replicates "x" (index 3) to s2 only, then crashes.
  c.campaign('s1');
  c.partition(['s1', 's2'], ['s3', 's4', 's5']);
  c.propose('s1', 'x');
  c.crash('s1');
  c.heal();
  // (b) s5 leads term 3 with votes from s3 and s4, appends its own entry at index 3, and crashes.
  c.partition(['s5', 's3', 's4'], ['s2']);
  c.dropIf = (m) => m.from === 's5' && m.type === 'append';
  c.campaign('s5');
  c.crash('s5');
  c.dropIf = undefined;
  c.heal();
  // (c) s1 restarts and leads term 4; "x" (term 2) reaches s3 and s4, but s1's own term-4 entry does not.
  c.restart('s1');
  // s3's and s4's first appends (prev 3/2) are rejected since they lack index 3; so they receive "x"
  // alone, and every later message carrying index 4 is lost.
  const probed = new Set<string>();
  c.dropIf = (m) => {
    if (m.type !== 'append' || m.from !== 's1' || !m.entries.some((e) => e.index === 4)) return false;
    if ((m.to === 's3' || m.to === 's4') && !probed.has(m.to)) {
      probed.add(m.to);
      return false;
    }
    return true;
  };
  c.campaign('s1'); // term 3 is lost: s3 and s4 already voted for s5 in term 3
  c.campaign('s1'); // term 4 is won with s2, s3, s4
  const s1 = c.node('s1').status();
  if (s1.role !== 'leader' || s1.term !== 4) throw new Error(`scenario broken: s1 is ${s1.role} in term ${s1.term}`);
  const s1Commit = s1.commit;
  const s1Applied = [...c.get('s1').applied];
  // (d) s1 crashes; s5 restarts and, with its term-3 log, is elected by s2, s3, s4.
  c.crash('s1');
  c.dropIf = undefined;
  c.restart('s5');
  c.campaign('s5');
  c.stabilize();
  return { s1Commit, s1Applied, s5Entry3Term: c.node('s5').raft.log.term(3) };
}

t.test('an entry of an earlier term is not committed by counting replicas', async (t) => {
  const r = figure8({ preVote: false, checkQuorum: false });
  t.equal(r.s1Commit, 2, 's1 leads term 4 and "x" sits on a majority, yet commit stays at 2');
  t.same(r.s1Applied, [], 'nothing was applied, so nothing is lost when s5 overwrites index 3');
  t.equal(r.s5Entry3Term, 3, 's5 (term 3 entry) legitimately wins and replaces the uncommitted "x"');
});

t.test('the test-only bug commitPreviousTermByCounting breaks safety exactly as Figure 8 shows', async (t) => {
  const r = figure8({ preVote: false, checkQuorum: false, bugs: { commitPreviousTermByCounting: true } });
  t.equal(r.s1Commit, 3, 'with the bug, s1 counts three replicas of "x" (s1, s3, s4) and commits it');
  t.same(r.s1Applied, ['x'], 's1 applied "x" as committed');
  t.equal(r.s5Entry3Term, 3, 'then s5 overwrites committed index 3: a committed entry is lost');
});
