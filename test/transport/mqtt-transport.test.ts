import t from 'tap';
import { createServer, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Message } from '../../src/raft/types.ts';
import { connectAll, heartbeat, startBoard, waitFor, type TestBoard } from './mqtt-helpers.ts';

const commits = (b: TestBoard, from: string): number[] =>
  b.received.filter((m) => m.from === from && m.type === 'heartbeat').map((m) => (m.type === 'heartbeat' ? m.commit : -1));

t.test('three boards exchange messages both ways over one connection per pair', async (t) => {
  const boards = await Promise.all(['a', 'b', 'c'].map((id) => startBoard(id)));
  t.teardown(() => Promise.all(boards.map((b) => b.close())));
  connectAll(boards);
  // Everyone sends to everyone at once: simultaneous dials must collapse to one connection per pair.
  for (const from of boards) for (const to of boards) if (from !== to) from.transport.send(heartbeat(from.id, to.id, 1));
  await waitFor('first round', () => boards.every((b) => b.received.length >= 2));
  await waitFor('one connection per pair', () => boards.reduce((n, b) => n + b.broker.aedes.connectedClients, 0) === 3);
  for (let round = 2; round <= 20; round++) {
    for (const from of boards) for (const to of boards) if (from !== to) from.transport.send(heartbeat(from.id, to.id, round));
  }
  await waitFor('all rounds', () => boards.every((b) => b.received.length >= 2 + 19 * 2));
  for (const to of boards) {
    for (const from of boards) {
      if (from === to) continue;
      const got = commits(to, from.id);
      t.same(got.slice(-19), Array.from({ length: 19 }, (_, i) => i + 2), `${from.id}→${to.id} in order`);
      const s = from.transport.stats().get(to.id)!;
      const back = to.transport.stats().get(from.id)!;
      t.ok(s.connected && back.connected, `${from.id}-${to.id} connected`);
      t.not(s.via, back.via, `${from.id}-${to.id} share one connection (${s.via}/${back.via})`);
      t.equal(s.via, from.id < to.id ? 'outbound' : 'inbound', 'the smaller id dialed');
    }
  }
  t.equal(boards.reduce((n, b) => n + b.broker.aedes.connectedClients, 0), 3, 'still one connection per pair');
});

t.test('a restarted peer is reached again', async (t) => {
  const a = await startBoard('a');
  let b = await startBoard('b');
  t.teardown(async () => { await a.close(); await b.close(); });
  const port = b.broker.port;
  connectAll([a, b]);
  const unreachable: string[] = [];
  a.transport.onUnreachable((p) => unreachable.push(p));
  a.transport.send(heartbeat('a', 'b', 1));
  await waitFor('first message', () => b.received.length === 1);
  await b.close();
  b = await startBoard('b', { port });
  connectAll([a, b]);
  let n = 2;
  const timer = setInterval(() => a.transport.send(heartbeat('a', 'b', n++)), 20);
  try {
    await waitFor('message after restart', () => b.received.length > 0);
  } finally {
    clearInterval(timer);
  }
  t.ok(unreachable.includes('b'), 'the lost connection was reported');
  b.transport.send(heartbeat('b', 'a', 99));
  await waitFor('reply after restart', () => commits(a, 'b').includes(99));
  t.equal(a.broker.aedes.connectedClients + b.broker.aedes.connectedClients, 1, 'the reply used the same connection');
});

t.test('a full queue drops and counts', async (t) => {
  // A peer that accepts TCP but never answers CONNECT: messages pile up in the queue.
  const sockets = new Set<Socket>();
  const blackHole = createServer((s) => { sockets.add(s); s.on('error', () => {}); });
  await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
  const port = (blackHole.address() as { port: number }).port;
  const a = await startBoard('a', { limits: { queue: { maxMessages: 10, maxBytes: 1 << 20 }, connectTimeoutMs: 300 } });
  t.teardown(async () => {
    await a.close();
    for (const s of sockets) s.destroy();
    await new Promise((r) => blackHole.close(r));
  });
  const unreachable: string[] = [];
  a.transport.onUnreachable((p) => unreachable.push(p));
  a.transport.addPeer('z', { host: '127.0.0.1', port });
  for (let i = 0; i < 25; i++) a.transport.send(heartbeat('a', 'z', i));
  const s = a.transport.stats().get('z')!;
  t.equal(s.queued, 10, 'queue holds its cap');
  t.equal(s.dropped, 15, 'the rest is dropped and counted');
  t.equal(s.connected, false);
  await waitFor('dial timeout', () => unreachable.includes('z'));
  t.equal(a.transport.stats().get('z')!.queued, 0, 'an unreachable peer\'s queue is emptied');
  t.equal(a.transport.stats().get('z')!.dropped, 25);
  // A message above the payload cap is refused at encoding, counted, logged.
  a.transport.send({ type: 'propose', from: 'a', to: 'z', term: 1, entries: [{ term: 1, index: 1, type: 'normal', data: new Uint8Array(2 << 20) }] });
  t.equal(a.transport.stats().get('z')!.dropped, 26);
  t.ok(a.logs.some((e) => e.code === 'SEND_ENCODE_FAILED'));
  // No address at all: dropped and reported at once.
  a.transport.send(heartbeat('a', 'nowhere', 1));
  await waitFor('unknown peer reported', () => unreachable.includes('nowhere'));
  t.equal(a.transport.stats().get('nowhere')!.dropped, 1);
});

function snapshotMessage(from: string, to: string, data: Uint8Array): Message {
  return {
    type: 'snapshot', from, to, term: 3,
    snapshot: { metadata: { index: 500, term: 3, confState: { voters: ['a', 'b', 'c'], learners: ['x'], votersOutgoing: [], learnersNext: [], autoLeave: false } }, data },
  };
}

t.test('a snapshot of a few MB arrives intact in chunks, both directions', async (t) => {
  const a = await startBoard('a');
  const b = await startBoard('b');
  t.teardown(async () => { await a.close(); await b.close(); });
  connectAll([a, b]);
  const statuses: string[] = [];
  a.transport.onSnapshotStatus((p, ok) => statuses.push(`a→${p}:${ok}`));
  b.transport.onSnapshotStatus((p, ok) => statuses.push(`b→${p}:${ok}`));
  const data = randomBytes(3 * 1024 * 1024 + 123);
  a.transport.send(snapshotMessage('a', 'b', data));
  await waitFor('snapshot a→b', () => statuses.length === 1, 30_000);
  t.same(statuses, ['a→b:true']);
  const got = b.received.find((m) => m.type === 'snapshot');
  t.ok(got?.type === 'snapshot' && Buffer.compare(Buffer.from(got.snapshot.data), data) === 0, 'data intact');
  t.same(got?.type === 'snapshot' && got.snapshot.metadata.confState.learners, ['x']);
  // Back over the same connection, from the accepting side.
  const data2 = randomBytes(2 * 1024 * 1024);
  b.transport.send(snapshotMessage('b', 'a', data2));
  await waitFor('snapshot b→a', () => statuses.length === 2, 30_000);
  t.same(statuses, ['a→b:true', 'b→a:true']);
  const got2 = a.received.find((m) => m.type === 'snapshot');
  t.ok(got2?.type === 'snapshot' && Buffer.compare(Buffer.from(got2.snapshot.data), data2) === 0, 'data intact');
  t.equal(a.transport.stats().get('b')!.snapshotsSent, 1);
  t.equal(a.broker.aedes.connectedClients + b.broker.aedes.connectedClients, 1, 'one connection carried both');
});

t.test('a snapshot the receiver refuses is reported failed', async (t) => {
  const a = await startBoard('a');
  const b = await startBoard('b', { limits: { maxSnapshotBytes: 256 * 1024 } });
  t.teardown(async () => { await a.close(); await b.close(); });
  connectAll([a, b]);
  const statuses: boolean[] = [];
  a.transport.onSnapshotStatus((_p, ok) => statuses.push(ok));
  a.transport.send(snapshotMessage('a', 'b', randomBytes(1024 * 1024)));
  await waitFor('failure status', () => statuses.length === 1);
  t.same(statuses, [false]);
  t.equal(b.received.length, 0);
  // Regular traffic is unaffected.
  a.transport.send(heartbeat('a', 'b', 7));
  await waitFor('heartbeat', () => commits(b, 'a').includes(7));
});

t.test('a snapshot to an unreachable peer fails after its retries', async (t) => {
  const a = await startBoard('a', { limits: { snapshotAckTimeoutMs: 50, snapshotMaxRetries: 2, connectTimeoutMs: 200 } });
  t.teardown(() => a.close());
  a.transport.addPeer('gone', { host: '127.0.0.1', port: 1 });
  const statuses: boolean[] = [];
  a.transport.onSnapshotStatus((_p, ok) => statuses.push(ok));
  a.transport.send(snapshotMessage('a', 'gone', randomBytes(1000)));
  await waitFor('failure status', () => statuses.length === 1);
  t.same(statuses, [false]);
  t.equal(a.transport.stats().get('gone')!.snapshotsFailed, 1);
});
