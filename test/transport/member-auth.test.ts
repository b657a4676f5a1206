import t from 'tap';
import { connectAsync, type MqttClient } from 'mqtt';
import { encodeBatch, encodeMessage } from '../../src/transport/codec.ts';
import { filterTouchesRaft } from '../../src/transport/peer-topics.ts';
import type { MemberAuthOptions } from '../../src/transport/member-auth.ts';
import { CLUSTER, connectAll, heartbeat, secretOf, startBoard, waitFor, type TestBoard } from './mqtt-helpers.ts';

/** Non-member logins: anonymous allowed, anything outside the raft tree allowed (an API-like fallback). */
const openFallback: MemberAuthOptions['fallback'] = {
  authenticate: (_client, _username, _password, done) => done(null, true),
  authorizePublish: (_client, _packet, callback) => callback(null),
  authorizeSubscribe: (_client, sub, callback) => callback(null, sub),
};

/** The QoS the broker granted, 128 when it refused. */
function grantedQos(c: MqttClient, topic: string): Promise<number> {
  return new Promise((resolve, reject) => {
    c.subscribe(topic, { qos: 0 }, (err, _subs, suback) => {
      // mqtt.js reports a refused subscription as an error, with the SUBACK alongside.
      const code = suback?.granted[0];
      if (typeof code === 'number') return resolve(code);
      reject(err ?? new Error('no SUBACK'));
    });
  });
}

async function client(board: TestBoard, opts: { clientId?: string; username?: string; password?: string } = {}): Promise<MqttClient> {
  return connectAsync({
    host: '127.0.0.1', port: board.broker.port, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 2000,
    clientId: opts.clientId ?? `probe-${Math.random().toString(16).slice(2)}`,
    ...(opts.username !== undefined ? { username: opts.username } : {}),
    ...(opts.password !== undefined ? { password: opts.password } : {}),
  });
}

function closedWithin(c: MqttClient, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (!c.connected) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    c.once('close', () => { clearTimeout(timer); resolve(true); });
  });
}

t.test('subscription filters that reach the raft tree', async (t) => {
  for (const f of ['#', 'raftlight/#', 'raftlight/c1/#', '+/c1/raft/x', 'raftlight/+/raft', 'raftlight/c1/raft/a/snap', '$share/g/raftlight/#']) {
    t.ok(filterTouchesRaft('c1', f), f);
  }
  for (const f of ['raftlight/c1/state/#', 'raftlight/c2/raft/#', 'other/#', 'raftlight/c1', '+/+/state/#', '$SYS/#']) {
    t.notOk(filterTouchesRaft('c1', f), f);
  }
});

t.test('an unauthenticated client cannot subscribe to or publish on raft topics', async (t) => {
  const a = await startBoard('a', { fallback: openFallback });
  const b = await startBoard('b', { fallback: openFallback });
  t.teardown(async () => { await a.close(); await b.close(); });
  connectAll([a, b]);
  // a dials b: a's raft topic on b's broker now carries traffic worth stealing.
  a.transport.send(heartbeat('a', 'b', 1));
  await waitFor('link up', () => b.received.length === 1);

  const anon = await client(b);
  t.teardown(() => anon.endAsync(true));
  for (const topic of [`raftlight/${CLUSTER}/raft/a`, `raftlight/${CLUSTER}/raft/#`, `raftlight/+/raft/#`, `raftlight/${CLUSTER}/raft/b/snap`]) {
    t.equal(await grantedQos(anon, topic), 128, `subscribe ${topic} refused`);
  }
  // Broad filters are granted (installers watch everything), but raft traffic is not forwarded.
  for (const topic of ['#', 'raftlight/#', `raftlight/${CLUSTER}/#`]) {
    t.equal(await grantedQos(anon, topic), 0, `subscribe ${topic} granted without raft traffic`);
  }
  t.equal(await grantedQos(anon, `raftlight/${CLUSTER}/state/#`), 0, 'state topics go to the fallback');
  const stolen: string[] = [];
  anon.on('message', (topic) => stolen.push(topic));
  b.transport.send(heartbeat('b', 'a', 2));
  await waitFor('reply', () => a.received.length === 1);

  // Publishing a well-formed message as if from a: refused, connection closed.
  const forged = encodeBatch([encodeMessage(heartbeat('a', 'b', 666))], 1 << 20);
  anon.publish(`raftlight/${CLUSTER}/raft/b`, Buffer.from(forged));
  t.ok(await closedWithin(anon, 2000), 'publisher disconnected');
  t.equal(b.auth.counters.publishRefused, 1);
  t.ok(b.auth.counters.subscribeRefused >= 4);
  await new Promise((r) => setTimeout(r, 100));
  t.notOk(b.received.some((m) => m.type === 'heartbeat' && m.commit === 666), 'forged message not delivered');
  t.same(stolen, [], 'nothing from the raft tree reached the anonymous client');
  a.transport.send(heartbeat('a', 'b', 3));
  await waitFor('still working', () => b.received.some((m) => m.type === 'heartbeat' && m.commit === 3));
});

t.test('member credentials are checked, and member client ids are reserved', async (t) => {
  const b = await startBoard('b', { fallback: openFallback });
  t.teardown(() => b.close());
  await t.rejects(client(b, { clientId: `raftlight-${CLUSTER}-x`, username: 'x', password: 'wrong' }), 'wrong secret refused');
  await t.rejects(client(b, { clientId: `raftlight-${CLUSTER}-x` }), 'member client id without credentials refused');
  await t.rejects(client(b, { clientId: 'someone', username: 'x', password: secretOf('x') }), 'member login with another client id refused');
  await t.rejects(client(b, { clientId: `raftlight-${CLUSTER}-y`, username: 'y', password: secretOf('x') }), 'one board\'s secret does not log in as another board');
  t.equal(b.auth.counters.authRefused, 4);
  // A genuine member may only subscribe to its own topics.
  const member = await client(b, { clientId: `raftlight-${CLUSTER}-x`, username: 'x', password: secretOf('x') });
  t.teardown(() => member.endAsync(true));
  t.equal(await grantedQos(member, `raftlight/${CLUSTER}/raft/x`), 0);
  t.equal(await grantedQos(member, `raftlight/${CLUSTER}/raft/a`), 128);
  t.equal(await grantedQos(member, `raftlight/${CLUSTER}/raft/#`), 128);
});

t.test('without a fallback, non-members cannot even connect', async (t) => {
  const b = await startBoard('b');
  t.teardown(() => b.close());
  await t.rejects(client(b), 'anonymous refused');
});

t.test('garbage and oversized payloads from an authenticated member are dropped; the transport keeps working', async (t) => {
  const a = await startBoard('a');
  const b = await startBoard('b', { maxRaftPayloadBytes: 256 * 1024 });
  t.teardown(async () => { await a.close(); await b.close(); });
  connectAll([a, b]);
  const evil = await client(b, { clientId: `raftlight-${CLUSTER}-evil`, username: 'evil', password: secretOf('evil') });
  t.teardown(() => evil.endAsync(true));
  const topic = `raftlight/${CLUSTER}/raft/b`;
  const garbage = [
    Buffer.alloc(0),
    Buffer.from('not raft at all'),
    Buffer.from([1, 0x80, 0xff, 0xff, 0xff, 0xff, 0x0f]),
    Buffer.from(encodeBatch([Uint8Array.from([1, 7, 0xff])], 1 << 20)),
    // Well-formed, but claims to come from a: the connection says evil.
    Buffer.from(encodeBatch([encodeMessage(heartbeat('a', 'b', 666))], 1 << 20)),
    // Well-formed, addressed to someone else.
    Buffer.from(encodeBatch([encodeMessage(heartbeat('evil', 'c', 667))], 1 << 20)),
  ];
  for (const g of garbage) evil.publish(topic, g);
  for (const g of [Buffer.from('junk'), Buffer.from([1, 1, 5, 0x80])]) evil.publish(`${topic}/snap`, g);
  await waitFor('garbage rejected', () => b.transport.garbage.rejected >= 7);
  t.equal(b.received.length, 0, 'nothing delivered');
  t.ok(evil.connected, 'garbage within limits does not cost the member its connection');
  // A valid message from evil is delivered: it is a member.
  evil.publish(topic, Buffer.from(encodeBatch([encodeMessage(heartbeat('evil', 'b', 5))], 1 << 20)));
  await waitFor('valid message from evil', () => b.received.length === 1);

  // Above this board's raft payload cap, below the broker's packet cap.
  evil.publish(topic, Buffer.alloc(512 * 1024, 1));
  t.ok(await closedWithin(evil, 2000), 'oversized payload closes the publisher');
  t.equal(b.auth.counters.oversizedRefused, 1);
  t.ok(b.transport.stats().get('evil')!.rejected >= 7);

  a.transport.send(heartbeat('a', 'b', 9));
  b.transport.send(heartbeat('b', 'a', 10));
  await waitFor('normal traffic', () => b.received.some((m) => m.from === 'a') && a.received.some((m) => m.from === 'b'));
});
