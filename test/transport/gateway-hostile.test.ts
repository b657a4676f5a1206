// Hostile connections against the embedded broker: garbage, oversized packets, unsupported
// protocols, silence, and random bytes after a valid MQTT 5 CONNECT. Each closes that
// connection only (logged with a stable code); the broker keeps serving everyone else.
import t, { type Test } from 'tap';
import { connect as tcpConnect, type Socket } from 'node:net';
import fc from 'fast-check';
import { connectAsync, type MqttClient } from 'mqtt';
import { generate } from 'mqtt-packet';
import { startBroker, type BrokerLogEntry, type RunningBroker } from '../../src/transport/broker.ts';

const maxPacketSize = 4096;

async function broker(t: Test): Promise<{ broker: RunningBroker; logs: BrokerLogEntry[] }> {
  const logs: BrokerLogEntry[] = [];
  const running = await startBroker({ host: '127.0.0.1', port: 0, maxPacketSize, connectTimeoutMs: 300, log: (e) => logs.push(e) });
  t.teardown(() => running.close());
  return { broker: running, logs };
}

async function mqttClient(t: Test, port: number, protocolVersion: 4 | 5): Promise<MqttClient> {
  const c = await connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion, reconnectPeriod: 0, connectTimeout: 5_000 });
  t.teardown(() => c.endAsync(true));
  return c;
}

/** Sends bytes on a raw socket and resolves with everything received until the broker closes it. */
function rawExchange(port: number, bytes: Buffer[], timeoutMs = 5_000): Promise<{ received: Buffer; closedByBroker: boolean }> {
  return new Promise((resolve) => {
    const socket: Socket = tcpConnect(port, '127.0.0.1');
    const received: Buffer[] = [];
    const timer = setTimeout(() => { socket.destroy(); resolve({ received: Buffer.concat(received), closedByBroker: false }); }, timeoutMs);
    socket.on('connect', () => { for (const b of bytes) socket.write(b); });
    socket.on('data', (d) => received.push(d));
    socket.on('error', () => { /* reset by the broker counts as closed */ });
    socket.on('close', () => { clearTimeout(timer); resolve({ received: Buffer.concat(received), closedByBroker: true }); });
  });
}

/** Both protocol versions can still exchange a message. */
async function stillServes(t: Test, port: number): Promise<void> {
  const v4 = await mqttClient(t, port, 4);
  const v5 = await mqttClient(t, port, 5);
  await v5.subscribeAsync('alive', { qos: 1 });
  const got = new Promise<string>((resolve) => v5.once('message', (_topic, payload: Buffer) => resolve(payload.toString())));
  await v4.publishAsync('alive', 'yes', { qos: 1 });
  t.equal(await got, 'yes', 'the broker still serves 3.1.1 and 5 clients');
}

const connectV4 = generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'raw4', clean: true, keepalive: 30 });
const connectV5 = generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'raw5', clean: true, keepalive: 30 }, { protocolVersion: 5 });

t.test('garbage, oversized and unsupported first packets close that connection only', async (t) => {
  const { broker: b, logs } = await broker(t);
  const bystander = await mqttClient(t, b.port, 5);

  const http = await rawExchange(b.port, [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]);
  t.ok(http.closedByBroker, 'an HTTP request is refused at once');
  const badConnect = await rawExchange(b.port, [Buffer.from([0x10, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff])]);
  t.ok(badConnect.closedByBroker, 'a CONNECT with a garbage protocol name is refused');
  const huge = Buffer.alloc(maxPacketSize + 100, 0x41);
  const hugeConnect = await rawExchange(b.port, [Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]), huge]);
  t.ok(hugeConnect.closedByBroker, 'a CONNECT announcing 256 MB is refused before its body arrives');
  const level6 = Buffer.from(connectV4);
  level6[8] = 6;
  const v6 = await rawExchange(b.port, [level6]);
  t.ok(v6.closedByBroker);
  t.same([...v6.received], [0x20, 0x02, 0x00, 0x01], 'an unknown protocol level gets CONNACK 1 (unacceptable version)');
  const silent = await rawExchange(b.port, []);
  t.ok(silent.closedByBroker, 'a silent connection is closed after the connect timeout');

  const codes = logs.filter((l) => l.kind === 'connection-closed').map((l) => l.kind === 'connection-closed' && l.code);
  t.same(codes, ['NOT_CONNECT', 'MALFORMED_PACKET', 'PACKET_TOO_LARGE', 'UNSUPPORTED_PROTOCOL', 'CONNECT_TIMEOUT']);
  t.equal(bystander.connected, true, 'a connected client is untouched');
  await stillServes(t, b.port);
});

t.test('an oversized packet after CONNECT closes a 3.1.1 or 5 connection; v5 gets DISCONNECT 0x95', async (t) => {
  const { broker: b, logs } = await broker(t);
  const bystander = await mqttClient(t, b.port, 4);
  const bigPayload = Buffer.alloc(maxPacketSize, 0x42);

  const v4 = await mqttClient(t, b.port, 4);
  const v4closed = new Promise<void>((resolve) => v4.once('close', () => resolve()));
  v4.publish('big', bigPayload);
  await v4closed;
  t.pass('3.1.1 client disconnected');

  const v5 = await connectAsync(`mqtt://127.0.0.1:${b.port}`, { protocolVersion: 5, reconnectPeriod: 0 });
  t.teardown(() => v5.endAsync(true));
  const disconnect = new Promise<number | undefined>((resolve) => v5.once('disconnect', (packet) => resolve(packet.reasonCode)));
  // mqtt.js honours the CONNACK's Maximum Packet Size, so bypass it the way a hostile client would.
  const stream = (v5 as unknown as { stream: Socket }).stream;
  stream.write(generate({ cmd: 'publish', topic: 'big', payload: bigPayload, qos: 0, retain: false, dup: false }, { protocolVersion: 5 }));
  t.equal(await disconnect, 0x95, 'MQTT 5 client is told: packet too large');

  t.same(logs.filter((l) => l.kind === 'connection-closed').map((l) => l.kind === 'connection-closed' && [l.code, l.protocol]),
    [['PACKET_TOO_LARGE', 4], ['PACKET_TOO_LARGE', 5]]);
  t.equal(bystander.connected, true);
  await stillServes(t, b.port);
});

t.test('random bytes after a valid CONNECT never take the broker down', async (t) => {
  const { broker: b } = await broker(t);
  const seed = Number(process.env.FUZZ_SEED ?? 20261129);
  t.comment(`fuzz seed ${seed} (replay with FUZZ_SEED=${seed})`);
  await fc.assert(
    fc.asyncProperty(fc.boolean(), fc.uint8Array({ minLength: 1, maxLength: 300 }), async (v5, garbage) => {
      const result = await rawExchange(b.port, [v5 ? connectV5 : connectV4, Buffer.from(garbage)], 400);
      // Either the broker closed the connection or it is still waiting for the rest of a packet.
      return result.received.length === 0 || result.received[0] === 0x20;
    }),
    { seed, numRuns: 40 },
  );
  await stillServes(t, b.port);
});
