// MQTT.js clients speaking 3.1.1 and 5 against the embedded broker: they exchange messages,
// v5 properties survive between v5 clients, the aedes hooks apply to v5 clients, and requests
// on the cmd prefix are answered with matching correlation data (and by the 3.1.1 fallback).
import t, { type Test } from 'tap';
import { connect, connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import type { IConnackPacket, IPublishPacket } from 'mqtt-packet';
import { startBroker, type BrokerLogEntry, type BrokerOptions, type RunningBroker } from '../../src/transport/broker.ts';

interface Received { topic: string; payload: string; packet: IPublishPacket }

async function broker(t: Test, extra: Partial<BrokerOptions> = {}): Promise<{ broker: RunningBroker; logs: BrokerLogEntry[] }> {
  const logs: BrokerLogEntry[] = [];
  const running = await startBroker({ host: '127.0.0.1', port: 0, log: (e) => logs.push(e), ...extra });
  t.teardown(() => running.close());
  return { broker: running, logs };
}

async function client(t: Test, port: number, options: IClientOptions): Promise<MqttClient> {
  const c = await connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 5_000, ...options });
  t.teardown(() => c.endAsync(true));
  return c;
}

/** Resolves with the next `count` messages the client receives. */
function nextMessages(c: MqttClient, count: number): Promise<Received[]> {
  return new Promise((resolve) => {
    const got: Received[] = [];
    const on = (topic: string, payload: Buffer, packet: IPublishPacket): void => {
      got.push({ topic, payload: payload.toString(), packet });
      if (got.length === count) {
        c.removeListener('message', on);
        resolve(got);
      }
    };
    c.on('message', on);
  });
}

t.test('3.1.1 and 5 clients publish and subscribe to each other, QoS 0, 1 and 2', async (t) => {
  const { broker: b } = await broker(t);
  const v4 = await client(t, b.port, { protocolVersion: 4, clientId: 'v4-client' });
  const v5 = await client(t, b.port, { protocolVersion: 5, clientId: 'v5-client' });
  await v4.subscribeAsync('to-v4/#', { qos: 1 });
  const granted = await v5.subscribeAsync('to-v5/#', { qos: 2 });
  t.equal(granted[0]?.qos, 2, 'v5 SUBACK grants QoS 2');

  const atV4 = nextMessages(v4, 3);
  const atV5 = nextMessages(v5, 3);
  for (const qos of [0, 1, 2] as const) {
    await v5.publishAsync(`to-v4/q${qos}`, `from v5 q${qos}`, { qos });
    await v4.publishAsync(`to-v5/q${qos}`, `from v4 q${qos}`, { qos });
  }
  const v4got = (await atV4).map((m) => `${m.topic}=${m.payload}`).sort();
  const v5got = (await atV5).map((m) => `${m.topic}=${m.payload}`).sort();
  t.same(v4got, ['to-v4/q0=from v5 q0', 'to-v4/q1=from v5 q1', 'to-v4/q2=from v5 q2']);
  t.same(v5got, ['to-v5/q0=from v4 q0', 'to-v5/q1=from v4 q1', 'to-v5/q2=from v4 q2']);

  await v5.unsubscribeAsync('to-v5/#');
  const after = nextMessages(v5, 1);
  await v5.subscribeAsync('marker', { qos: 0 });
  await v4.publishAsync('to-v5/q0', 'after unsubscribe');
  await v4.publishAsync('marker', 'marker');
  t.equal((await after)[0]?.topic, 'marker', 'nothing arrives on an unsubscribed topic');
});

t.test('v5 publish properties reach v5 subscribers through aedes; v3.1.1 subscribers get the bare payload', async (t) => {
  const { broker: b } = await broker(t);
  const sender = await client(t, b.port, { protocolVersion: 5 });
  const v5 = await client(t, b.port, { protocolVersion: 5 });
  const v4 = await client(t, b.port, { protocolVersion: 4 });
  await v5.subscribeAsync('props/#', { qos: 1 });
  await v4.subscribeAsync('props/#', { qos: 1 });
  const atV5 = nextMessages(v5, 1);
  const atV4 = nextMessages(v4, 1);
  await sender.publishAsync('props/a', 'body', {
    qos: 1,
    properties: {
      responseTopic: 'reply/here', correlationData: Buffer.from([1, 2, 3]), contentType: 'text/plain',
      userProperties: { board: 'b1' }, payloadFormatIndicator: true,
    },
  });
  const [m5] = await atV5;
  const [m4] = await atV4;
  t.equal(m5?.payload, 'body');
  t.equal(m5?.packet.properties?.responseTopic, 'reply/here');
  t.same(m5?.packet.properties?.correlationData, Buffer.from([1, 2, 3]));
  t.equal(m5?.packet.properties?.contentType, 'text/plain');
  t.same(m5?.packet.properties?.userProperties, { board: 'b1' });
  t.equal(m4?.payload, 'body', 'the 3.1.1 subscriber sees the payload without any envelope');
});

t.test('the board\'s retained messages reach v5 subscribers; empty client id gets an assigned one', async (t) => {
  const { broker: b } = await broker(t);
  await new Promise<void>((r) => b.aedes.publish({ cmd: 'publish', topic: 'state/scene/1', payload: Buffer.from('{"name":"evening"}'), qos: 1, retain: true, dup: false }, () => r()));
  const v5 = connect(`mqtt://127.0.0.1:${b.port}`, { protocolVersion: 5, clientId: '', reconnectPeriod: 0 });
  t.teardown(() => v5.endAsync(true));
  const connack = await new Promise<IConnackPacket>((resolve) => v5.once('connect', resolve));
  t.match(connack.properties?.assignedClientIdentifier ?? '', /^v5-/, 'the broker assigned a client id');
  t.equal(connack.properties?.maximumPacketSize, 1024 * 1024, 'the CONNACK advertises the packet size cap');
  const got = nextMessages(v5, 1);
  await v5.subscribeAsync('state/#', { qos: 1 });
  const [m] = await got;
  t.equal(m?.payload, '{"name":"evening"}');
  t.equal(m?.packet.retain, true);
});

t.test('authentication and authorization hooks apply to v5 clients', async (t) => {
  const { broker: b } = await broker(t, {
    hooks: {
      authenticate(_client, username, password, done) {
        const ok = username === 'installer' && password?.toString() === 'secret';
        if (ok) return done(null, true);
        return done(Object.assign(new Error('bad credentials'), { returnCode: 4 }), false);
      },
      authorizePublish(_client, packet, done) {
        done(packet.topic.startsWith('private/') ? new Error('not allowed') : null);
      },
      authorizeSubscribe(_client, sub, done) {
        done(null, sub.topic.startsWith('secret/') ? null : sub);
      },
    },
  });
  await t.rejects(connectAsync(`mqtt://127.0.0.1:${b.port}`, { protocolVersion: 5, reconnectPeriod: 0, username: 'installer', password: 'wrong' }),
    { message: /Bad User Name or Password/i }, 'v5 CONNACK carries reason 0x86');
  await t.rejects(connectAsync(`mqtt://127.0.0.1:${b.port}`, { protocolVersion: 5, reconnectPeriod: 0 }),
    /Bad User Name or Password/i, 'no credentials, refused too');
  const v5 = await client(t, b.port, { protocolVersion: 5, username: 'installer', password: 'secret' });
  await t.rejects(v5.subscribeAsync('secret/x', { qos: 1 }), { message: /Not authorized/ }, 'refused subscription gets reason 0x87 (not authorized)');
  const granted = await v5.subscribeAsync('open/x', { qos: 1 });
  t.equal(granted[0]?.qos, 1, 'an allowed subscription is granted');

  const closed = new Promise<void>((resolve) => v5.once('close', () => resolve()));
  v5.publish('private/x', 'nope', { qos: 0 });
  await closed;
  t.pass('an unauthorized publish closes the v5 connection, as it does for 3.1.1 in aedes');
});

t.test('requests: v5 response topic + correlation data, 3.1.1 JSON fallback, errors', async (t) => {
  const seen: Array<{ topic: string; username: string | undefined }> = [];
  const { broker: b, logs } = await broker(t, {
    hooks: {
      authenticate: (_c, _u, _p, done) => done(null, true),
      authorizePublish: (_c, packet, done) => done(packet.topic.startsWith('forbidden/') ? new Error('no') : null),
    },
    requests: {
      prefix: 'raftlight/main/cmd/',
      async onRequest(topic, payload, context) {
        seen.push({ topic, username: context.username });
        if (topic.endsWith('/fail')) throw Object.assign(new Error('scene not found'), { code: 'NOT_FOUND' });
        return Buffer.from(JSON.stringify({ ok: true, echo: payload.toString() }));
      },
    },
  });
  const v5 = await client(t, b.port, { protocolVersion: 5, username: 'writer', password: 'x' });
  await v5.subscribeAsync('replies/v5', { qos: 1 });
  const answers = nextMessages(v5, 2);
  await v5.publishAsync('raftlight/main/cmd/scenes/put', 'hello', {
    qos: 1, properties: { responseTopic: 'replies/v5', correlationData: Buffer.from('corr-1') },
  });
  await v5.publishAsync('raftlight/main/cmd/scenes/fail', 'x', {
    qos: 0, properties: { responseTopic: 'replies/v5', correlationData: Buffer.from('corr-2') },
  });
  const byCorrelation = new Map((await answers).map((m) => [m.packet.properties?.correlationData?.toString(), m.payload]));
  t.same(JSON.parse(byCorrelation.get('corr-1') ?? 'null'), { ok: true, echo: 'hello' });
  t.same(JSON.parse(byCorrelation.get('corr-2') ?? 'null'), { error: { code: 'NOT_FOUND', message: 'scene not found' } });
  t.equal(seen[0]?.username, 'writer', 'the handler learns who asked');

  const v4 = await client(t, b.port, { protocolVersion: 4, username: 'old', password: 'x' });
  await v4.subscribeAsync('replies/v4', { qos: 1 });
  const fallback = nextMessages(v4, 1);
  await v4.publishAsync('raftlight/main/cmd/scenes/put', JSON.stringify({ responseTopic: 'replies/v4', correlationId: 7, scene: 's' }), { qos: 1 });
  const [answer] = await fallback;
  const body = JSON.parse(answer?.payload ?? 'null') as { correlationId: number; response: { ok: boolean; echo: string } };
  t.equal(body.correlationId, 7);
  t.equal(body.response.ok, true);
  t.match(body.response.echo, /"scene":"s"/);

  // A response topic the requester may not publish to gets no answer, and is logged.
  const handled = seen.length;
  await v5.publishAsync('raftlight/main/cmd/scenes/put', 'x', { qos: 1, properties: { responseTopic: 'forbidden/x', correlationData: Buffer.from('c') } });
  await v5.publishAsync('raftlight/main/cmd/scenes/put', 'x', { qos: 1, properties: { responseTopic: 'raftlight/main/cmd/loop' } });
  await waitFor(() => logs.filter((l) => l.kind === 'request-failed').length >= 3);
  t.equal(seen.length, handled, 'refused requests never reach the handler');
  t.same(logs.filter((l) => l.kind === 'request-failed').map((l) => l.kind === 'request-failed' && l.code).sort(),
    ['BAD_RESPONSE_TOPIC', 'HANDLER_FAILED', 'RESPONSE_NOT_AUTHORIZED']);
});

t.test('requests beyond the per-client cap are answered BUSY', async (t) => {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => { release = r; });
  const { broker: b } = await broker(t, {
    requests: {
      prefix: 'raftlight/main/cmd/', maxPerClient: 2,
      async onRequest() { await gate; return Buffer.from('"done"'); },
    },
  });
  const v5 = await client(t, b.port, { protocolVersion: 5 });
  await v5.subscribeAsync('r', { qos: 0 });
  const answers = nextMessages(v5, 3);
  for (let i = 0; i < 3; i++) {
    await v5.publishAsync('raftlight/main/cmd/slow', '', { qos: 1, properties: { responseTopic: 'r', correlationData: Buffer.from(`${i}`) } });
  }
  setTimeout(release, 50);
  const got = await answers;
  const busy = got.filter((m) => m.payload.includes('BUSY'));
  t.equal(busy.length, 1, 'the third concurrent request is refused');
  t.equal(busy[0]?.packet.properties?.correlationData?.toString(), '2');
  t.equal(got.filter((m) => m.payload === '"done"').length, 2);
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
