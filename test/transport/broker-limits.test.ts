// The broker's bounds: connections not logged in are capped per address (a flood
// pushes itself out), sessions are capped per class so anonymous floods never
// lock out clients with a token, nothing a client publishes is retained,
// sessions end with their connection, and MQTT 5 refusals carry reason codes.
import t, { type Test } from 'tap';
import { connect as tcpConnect, type Socket } from 'node:net';
import mqtt from 'mqtt';
import { startBroker, type RunningBroker } from '../../src/transport/broker.ts';
import { AccessPolicy } from '../../src/api/access.ts';
import { apiAuthHooks, sessionClassOf } from '../../src/board/api-auth.ts';
import type { BrokerLogEntry } from '../../src/transport/broker.ts';

const TOKEN = 'Token-for-broker-tests-42';

async function broker(t: Test, caps = {}): Promise<{ b: RunningBroker; logs: BrokerLogEntry[] }> {
  const logs: BrokerLogEntry[] = [];
  const access = new AccessPolicy({ writeToken: TOKEN, readToken: undefined, anonymousRead: true, openWrites: false });
  const b = await startBroker({
    host: '127.0.0.1', port: 0, hooks: apiAuthHooks({ cluster: 'c', access }), classify: sessionClassOf, caps, log: (e) => logs.push(e),
  });
  t.teardown(() => b.close());
  return { b, logs };
}

function idle(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ port, host: '127.0.0.1', localAddress }, () => resolve(s));
    s.on('error', reject);
  });
}

function connack(port: number, opts: mqtt.IClientOptions): Promise<{ client: mqtt.MqttClient | null; reasonCode: number | undefined; packet?: mqtt.IConnackPacket }> {
  return new Promise((resolve) => {
    const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 4000, ...opts });
    c.once('connect', (packet) => resolve({ client: c, reasonCode: packet.reasonCode ?? packet.returnCode, packet }));
    c.once('error', (err) => {
      c.end(true);
      resolve({ client: null, reasonCode: (err as Error & { code?: number }).code });
    });
    c.once('close', () => resolve({ client: null, reasonCode: undefined }));
  });
}

t.test('connections that never log in are capped per address; the flood cannot lock out another address', async (t) => {
  const { b, logs } = await broker(t, { pendingPerAddress: 4, pendingTotal: 8 });
  const flood: Socket[] = [];
  for (let i = 0; i < 20; i++) flood.push(await idle(b.port, '127.0.0.2'));
  t.teardown(() => flood.forEach((s) => s.destroy()));
  await new Promise((r) => setTimeout(r, 200));
  const open = flood.filter((s) => !s.destroyed && !s.readableEnded).length;
  t.ok(open <= 4, `at most 4 of the flood's 20 connections stay open (${open})`);
  t.ok(logs.some((l) => l.kind === 'connection-closed' && l.code === 'EVICTED'), 'evictions are logged');
  const ok = await connack(b.port, { protocolVersion: 5, username: 'u', password: TOKEN });
  t.ok(ok.client, 'a client from another address logs in');
  ok.client?.end(true);
});

t.test('anonymous sessions have their own cap; clients with a token still get in, refusals carry 0x97', async (t) => {
  const { b } = await broker(t, { anonymousPerAddress: 3, anonymousTotal: 3 });
  const anonymous: mqtt.MqttClient[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await connack(b.port, { protocolVersion: 5 });
    if (r.client) anonymous.push(r.client);
  }
  t.teardown(() => anonymous.forEach((c) => c.end(true)));
  t.equal(anonymous.length, 3);
  const fourth = await connack(b.port, { protocolVersion: 5 });
  t.equal(fourth.client, null, 'a fourth anonymous session is refused');
  t.equal(fourth.reasonCode, 0x97, 'with "Quota exceeded"');
  const withToken = await connack(b.port, { protocolVersion: 5, username: 'installer', password: TOKEN });
  t.ok(withToken.client, 'a client with a token is not affected');
  withToken.client?.end(true);
  t.equal(b.stats().anonymous, 3);
});

t.test('clients never retain; MQTT 5 refusals carry their reason code and keep the connection', async (t) => {
  const { b } = await broker(t);
  const r = await connack(b.port, { protocolVersion: 5, username: 'u', password: TOKEN });
  const c = r.client!;
  t.teardown(() => c.end(true));
  t.equal(r.packet?.properties?.retainAvailable, false, 'CONNACK says retain is not available');
  const refused = await new Promise<number | undefined>((resolve) => {
    c.publish('raftlight/c/state/area/x', 'x', { qos: 1 }, (_err, packet) => resolve((packet as { reasonCode?: number } | undefined)?.reasonCode));
  });
  t.equal(refused, 0x87, 'a publish to a board-only topic gets PUBACK "Not authorized"');
  t.ok(c.connected, 'and the connection stays up');
  await c.publishAsync('free/topic', 'x', { qos: 1 });
  t.pass('an allowed publish still goes through');
  const v4 = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.port}`, { protocolVersion: 4, reconnectPeriod: 0 });
  const closed = new Promise<void>((res) => v4.once('close', () => res()));
  v4.publish('junk/1', Buffer.alloc(1000), { qos: 1, retain: true });
  await closed;
  t.pass('an MQTT 3.1.1 client\'s retained publish closes its connection');
  const retained: string[] = [];
  const persistence = (b.aedes as unknown as { persistence: { createRetainedStreamCombi(p: string[]): AsyncIterable<unknown> } }).persistence;
  const stream = persistence.createRetainedStreamCombi(['#']);
  for await (const p of stream) retained.push((p as { topic: string }).topic);
  t.same(retained, [], 'nothing was retained');
});

t.test('sessions end with their connection; wills are small', async (t) => {
  const { b } = await broker(t);
  const r = await connack(b.port, { protocolVersion: 5, clean: false, clientId: 'keeper', properties: { sessionExpiryInterval: 3600 } });
  t.equal(r.packet?.properties?.sessionExpiryInterval, 0, 'an MQTT 5 client asking for a session expiry is told 0');
  await r.client?.subscribeAsync('a/#', { qos: 1 });
  r.client?.end(true);
  const v4 = await connack(b.port, { protocolVersion: 4, clean: false, clientId: 'keeper-4' });
  await v4.client?.subscribeAsync('a/#', { qos: 1 });
  v4.client?.end(true);
  await new Promise((res) => setTimeout(res, 100));
  const again = await connack(b.port, { protocolVersion: 4, clean: false, clientId: 'keeper-4' });
  t.equal(again.packet?.sessionPresent, false, 'a 3.1.1 client asking for a persistent session gets none back');
  again.client?.end(true);
  const big = await connack(b.port, { protocolVersion: 4, will: { topic: 'w', payload: Buffer.alloc(8 * 1024), qos: 0, retain: false } });
  t.equal(big.client, null, 'a will of 8 KiB is refused');
});

t.test('packet sizes follow the login: small before it and for anonymous clients', async (t) => {
  const { b } = await broker(t);
  const anon = await connack(b.port, { protocolVersion: 5 });
  t.equal(anon.packet?.properties?.maximumPacketSize, 64 * 1024, 'an anonymous client is told 64 KiB');
  const closed = new Promise<number | undefined>((resolve) => anon.client!.once('disconnect', (p) => resolve(p.reasonCode)));
  anon.client!.publish('free/big', Buffer.alloc(100 * 1024), { qos: 0 });
  t.equal(await closed, 0x95, 'a bigger packet ends its connection with "Packet too large"');
  const withToken = await connack(b.port, { protocolVersion: 5, username: 'u', password: TOKEN });
  t.equal(withToken.packet?.properties?.maximumPacketSize, 256 * 1024, 'a client with a token may send 256 KiB');
  await withToken.client!.publishAsync('free/big', Buffer.alloc(200 * 1024), { qos: 1 });
  t.pass('and does');
  withToken.client!.end(true);
});
