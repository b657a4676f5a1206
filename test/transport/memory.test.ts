import t from 'tap';
import type { Message, NodeId } from '../../src/raft/types.ts';
import { createMemoryHub } from '../../src/transport/memory.ts';

const hb = (from: NodeId, to: NodeId, commit = 1): Message =>
  ({ type: 'heartbeat', from, to, term: 1, commit, readRound: commit & 0xff });

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

t.test('messages flow both ways through the codec', async (t) => {
  const hub = createMemoryHub();
  const a = hub.transport('a');
  const b = hub.transport('b');
  const gotA: Message[] = [];
  const gotB: Message[] = [];
  a.onMessage((m) => gotA.push(m));
  b.onMessage((m) => gotB.push(m));
  a.send(hb('a', 'b', 5));
  b.send(hb('b', 'a', 6));
  t.equal(gotB.length, 0, 'delivery is asynchronous');
  await tick();
  t.same(gotB.map((m) => m.type === 'heartbeat' && m.commit), [5]);
  t.same(gotA.map((m) => m.type === 'heartbeat' && m.commit), [6]);
  t.equal(a.stats().get('b')?.sent, 1);
  t.equal(b.stats().get('a')?.received, 1);
  await a.close();
  await b.close();
});

t.test('manual delivery, partitions and filters', async (t) => {
  const hub = createMemoryHub({ autoDeliver: false });
  const [a, b, c] = ['a', 'b', 'c'].map((id) => hub.transport(id));
  const got: string[] = [];
  for (const tr of [a!, b!, c!]) tr.onMessage((m) => got.push(`${m.from}>${m.to}`));
  hub.partition(['a', 'b'], ['c']);
  a!.send(hb('a', 'b'));
  a!.send(hb('a', 'c'));
  t.equal(hub.pending(), 1);
  t.equal(hub.deliver(), 1);
  t.same(got, ['a>b']);
  t.equal(a!.stats().get('c')?.dropped, 1);
  hub.heal();
  hub.setFilter((m) => m.to !== 'b');
  a!.send(hb('a', 'b'));
  a!.send(hb('a', 'c'));
  hub.deliver();
  t.same(got, ['a>b', 'a>c']);
  t.throws(() => hub.transport('a'), { code: 'TRANSPORT_DUPLICATE_ID' });
});

t.test('a full queue drops and counts', async (t) => {
  const hub = createMemoryHub({ autoDeliver: false, queue: { maxMessages: 3, maxBytes: 1 << 20 } });
  const a = hub.transport('a');
  hub.transport('b');
  for (let i = 0; i < 5; i++) a.send(hb('a', 'b', i));
  t.equal(a.stats().get('b')?.dropped, 2);
  t.equal(a.stats().get('b')?.queued, 3);
  t.equal(hub.deliver(), 3);
  t.equal(a.stats().get('b')?.queued, 0);
});

t.test('snapshot status and unreachable peers are reported asynchronously', async (t) => {
  const hub = createMemoryHub();
  const a = hub.transport('a');
  const b = hub.transport('b');
  const statuses: string[] = [];
  const unreachable: string[] = [];
  a.onSnapshotStatus((peer, ok) => statuses.push(`${peer}:${ok}`));
  a.onUnreachable((peer) => unreachable.push(peer));
  let received: Message | undefined;
  b.onMessage((m) => { received = m; });
  const snap: Message = {
    type: 'snapshot', from: 'a', to: 'b', term: 2,
    snapshot: { metadata: { index: 10, term: 2, confState: { voters: ['a', 'b'], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } }, data: new Uint8Array(5 << 20).fill(7) },
  };
  a.send(snap);
  a.send({ ...snap, to: 'zz' });
  await tick();
  await tick();
  t.equal(received?.type === 'snapshot' && received.snapshot.data.byteLength, 5 << 20);
  t.same(statuses.sort(), ['b:true', 'zz:false']);
  t.same(unreachable, ['zz']);
});
