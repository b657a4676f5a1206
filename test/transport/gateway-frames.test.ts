// The pieces under the broker front end: FrameGuard finds packet boundaries in any chunking and
// refuses oversized packets from their header; PropertyEnvelope round-trips v5 properties and
// leaves foreign payloads alone.
import t from 'tap';
import fc from 'fast-check';
import { generate, type Packet } from 'mqtt-packet';
import { FrameGuard, readConnectVersion } from '../../src/transport/mqtt5/frame-guard.ts';
import { PropertyEnvelope } from '../../src/transport/mqtt5/property-envelope.ts';

const seed = Number(process.env.FUZZ_SEED ?? 20261129);
t.comment(`fuzz seed ${seed} (replay with FUZZ_SEED=${seed})`);

const packetArb: fc.Arbitrary<Packet> = fc.oneof(
  fc.record({ topic: fc.string({ minLength: 1, maxLength: 40 }), payload: fc.uint8Array({ maxLength: 3000 }) })
    .map(({ topic, payload }): Packet => ({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain: false, dup: false })),
  fc.constant<Packet>({ cmd: 'pingreq' }),
  fc.integer({ min: 1, max: 65535 }).map((messageId): Packet => ({ cmd: 'puback', messageId })),
);

t.test('FrameGuard counts packets the same however the stream is cut', async (t) => {
  fc.assert(fc.property(fc.array(packetArb, { minLength: 1, maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (packets, cuts) => {
    const bytes = Buffer.concat(packets.map((p) => generate(p)));
    const points = [...new Set(cuts.map((c) => c % bytes.length))].sort((a, b) => a - b);
    const guard = new FrameGuard(1 << 20);
    let previous = 0;
    let firstEnd = -1;
    for (const point of [...points, bytes.length]) {
      const end = guard.check(bytes.subarray(previous, point));
      if (firstEnd < 0 && end >= 0) firstEnd = previous + end;
      previous = point;
    }
    return guard.completedPackets === packets.length && firstEnd === generate(packets[0]!).length;
  }), { seed, numRuns: 200 });
  t.pass('boundaries found in every chunking');
});

t.test('FrameGuard refuses a packet bigger than the cap from its header alone', async (t) => {
  const guard = new FrameGuard(100);
  const big = generate({ cmd: 'publish', topic: 'x', payload: Buffer.alloc(200), qos: 0, retain: false, dup: false });
  t.throws(() => guard.check(big.subarray(0, 3)), { code: 'PACKET_TOO_LARGE' });
  t.throws(() => new FrameGuard(100).check(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])), { code: 'MALFORMED_PACKET' }, '5-byte length');
  t.throws(() => new FrameGuard(100).check(Buffer.from([0x00, 0x00])), { code: 'MALFORMED_PACKET' }, 'type 0');
});

t.test('readConnectVersion reads 3, 4 and 5 and refuses the rest', async (t) => {
  const connect = (protocolVersion: 3 | 4 | 5): Buffer => generate({
    cmd: 'connect', protocolId: protocolVersion === 3 ? 'MQIsdp' : 'MQTT', protocolVersion, clientId: 'c', clean: true, keepalive: 0,
  }, { protocolVersion });
  t.equal(readConnectVersion(connect(3)), 3);
  t.equal(readConnectVersion(connect(4)), 4);
  t.equal(readConnectVersion(connect(5)), 5);
  t.throws(() => readConnectVersion(generate({ cmd: 'pingreq' })), { code: 'NOT_CONNECT' });
  const odd = Buffer.from(connect(4));
  odd[8] = 9;
  t.throws(() => readConnectVersion(odd), { code: 'UNSUPPORTED_PROTOCOL' });
});

t.test('PropertyEnvelope round-trips properties and ignores payloads it did not wrap', async (t) => {
  const envelope = new PropertyEnvelope();
  const properties = {
    responseTopic: 'r/t', correlationData: Buffer.from([0, 255, 7]), contentType: 'application/json',
    payloadFormatIndicator: true, messageExpiryInterval: 60, userProperties: { a: 'b', list: ['1', '2'] },
  };
  const wrapped = envelope.wrap(Buffer.from('payload'), properties);
  const back = envelope.unwrap(wrapped);
  t.equal(back.payload.toString(), 'payload');
  t.same(back.properties, properties);
  t.equal(envelope.wrap(Buffer.from('plain'), undefined).toString(), 'plain', 'no properties, no envelope');
  const other = new PropertyEnvelope().wrap(Buffer.from('x'), properties);
  t.same(envelope.unwrap(other), { payload: other, properties: undefined }, 'another broker\'s marker is not ours');
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
    const payload = Buffer.from(bytes);
    return envelope.unwrap(payload).payload.equals(payload);
  }), { seed, numRuns: 200 });
});
