// parallelLeaderWrite (Raft thesis §10.2.1): the leader's appends may leave before
// its own Ready is persisted, so it must (1) count its own entries toward commit
// only after advance() reports them durable and (2) never send early while its
// term is not yet durable.
import t from 'tap';
import { RaftNode, type Ready } from '../../src/raft/node.ts';
import { MemoryLog } from '../helpers/memory-log.ts';
import { SeededRandom } from '../../src/raft/random.ts';
import type { ConfState, Message } from '../../src/raft/types.ts';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function node(id: string, conf: ConfState, parallelLeaderWrite = true): { node: RaftNode; storage: MemoryLog } {
  const storage = MemoryLog.bootstrap(conf);
  return { storage, node: new RaftNode({ id, storage, random: new SeededRandom(7), electionTicks: 10, heartbeatTicks: 1, applied: 1, parallelLeaderWrite }) };
}

function persist(storage: MemoryLog, rd: Ready): void {
  if (rd.entries.length > 0) storage.append(rd.entries);
  if (rd.hardState) storage.setHardState(rd.hardState);
}

/** Handles Readies the simple way (persist, then everything) until there are none. */
function drain(n: { node: RaftNode; storage: MemoryLog }): Message[] {
  const out: Message[] = [];
  while (n.node.hasReady()) {
    const rd = n.node.ready();
    persist(n.storage, rd);
    out.push(...rd.earlyMessages, ...rd.messages);
    n.node.advance(rd);
  }
  return out;
}

const conf = (voters: string[], learners: string[] = []): ConfState => ({ voters, learners, votersOutgoing: [], learnersNext: [], autoLeave: false });

/** Nodes of one configuration, and a way to deliver messages (each receiver persists and answers at once). */
function group(voters: string[], learners: string[] = [], parallel = true) {
  const peers = new Map([...voters, ...learners].map((id) => [id, node(id, conf(voters, learners), parallel)]));
  const deliver = (msgs: Message[]): Message[] => {
    const replies: Message[] = [];
    for (const m of msgs) {
      const to = peers.get(m.to)!;
      to.node.step(m);
      replies.push(...drain(to));
    }
    return replies;
  };
  const settle = (msgs: Message[]): void => {
    while (msgs.length > 0) msgs = deliver(msgs);
  };
  return { peers, deliver, settle };
}

t.test('a fresh term is not yet durable: the first appends wait for the persist', async (t) => {
  const g = group(['a'], ['l1']);
  const a = g.peers.get('a')!;
  a.node.campaign(); // a single voter wins at once, in a term no Ready has persisted yet
  const rd = a.node.ready();
  t.equal(rd.hardState?.term, 2);
  t.same(rd.earlyMessages, [], 'nothing leaves before the new term is on disk');
  t.ok(rd.messages.some((m) => m.type === 'append' && m.to === 'l1'), 'the learner is probed after the persist');
  persist(a.storage, rd);
  a.node.advance(rd);
  g.settle([...rd.messages, ...drain(a)]);
  a.node.propose(bytes('x'));
  const next = a.node.ready();
  t.ok(next.earlyMessages.some((m) => m.type === 'append' && m.entries.length > 0), 'with the term durable, appends go early');
  t.notOk(next.messages.some((m) => m.type === 'append'));
});

t.test('a single voter commits its entry only after advance() says it is durable', async (t) => {
  const a = node('a', conf(['a'], ['l1']));
  a.node.campaign();
  drain(a);
  const before = a.node.status().commit;
  a.node.propose(bytes('x'));
  const rd = a.node.ready();
  const index = rd.entries.at(-1)!.index;
  t.equal(rd.committedEntries.length, 0);
  for (const m of rd.earlyMessages) if (m.type === 'append') t.ok(m.commit < index, 'the early append does not carry the unpersisted entry as committed');
  t.equal(a.node.status().commit, before, 'not committed while the leader has not persisted it');
  persist(a.storage, rd);
  a.node.advance(rd);
  t.equal(a.node.status().commit, index, 'committed once durable');
  const applied = a.node.ready();
  t.ok(applied.committedEntries.some((e) => e.index === index));
});

t.test('three voters: an ack during the leader\'s own fsync does not commit with the leader uncounted', async (t) => {
  const { peers, deliver, settle } = group(['a', 'b', 'c']);
  const a = peers.get('a')!;
  a.node.campaign();
  settle(drain(a));
  t.equal(a.node.status().role, 'leader');
  settle(drain(a));
  const commitBefore = a.node.status().commit;

  a.node.propose(bytes('y'));
  const rd = a.node.ready();
  const index = rd.entries.at(-1)!.index;
  const toB = rd.earlyMessages.filter((m) => m.to === 'b');
  t.ok(toB.length > 0, 'the append to b leaves before a persists');
  // b persists and acks while a's own write is still under way.
  const acks = deliver(toB);
  for (const m of acks) a.node.step(m);
  t.equal(a.node.status().commit, commitBefore, 'b alone is not a quorum: a has not persisted the entry');
  persist(a.storage, rd);
  a.node.advance(rd);
  t.equal(a.node.status().commit, index, 'a persisted: a and b are a quorum');
});

t.test('without the option every message waits for the persist', async (t) => {
  const g = group(['a'], ['l1'], false);
  const a = g.peers.get('a')!;
  a.node.campaign();
  g.settle(drain(a));
  a.node.propose(bytes('x'));
  const rd = a.node.ready();
  t.same(rd.earlyMessages, []);
  t.ok(rd.messages.some((m) => m.type === 'append'));
});
