// The broker turns off mqtt-packet's 65,536-Buffer number cache; packets
// still carry their packet ids and lengths correctly.
import t from 'tap';
import { Writable } from 'node:stream';
import '../../src/transport/mqtt-packet-varbyteint.ts'; // before mqtt-packet, as main.ts does
import mqttPacket from 'mqtt-packet';
import '../../src/transport/broker.ts';
import { numberCacheDisabled } from '../../src/transport/mqtt-packet-numbers.ts';

t.test('loading the broker disables the number cache', async (t) => {
  t.ok(numberCacheDisabled());
  t.equal(mqttPacket.writeToStream.cacheNumbers, false);
});

t.test('packets written without the cache parse back the same', async (t) => {
  const chunks: Buffer[] = [];
  const sink = new Writable({ write(c: Buffer, _e, cb) { chunks.push(c); cb(); } });
  const packets = [
    { cmd: 'publish', topic: 'raftlight/x/state/area/a', payload: Buffer.from('{"v":1}'), qos: 1, messageId: 300, retain: true, dup: false },
    { cmd: 'puback', messageId: 65535 },
    { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'raftlight/#', qos: 0 }] },
  ] as const;
  for (const p of packets) mqttPacket.writeToStream(p as unknown as mqttPacket.Packet, sink);
  await new Promise((r) => setImmediate(r)); // writeToStream corks and uncorks on the next tick
  const parsed: mqttPacket.Packet[] = [];
  const parser = mqttPacket.parser();
  parser.on('packet', (p) => parsed.push(p));
  parser.parse(Buffer.concat(chunks));
  t.equal(parsed.length, 3);
  t.match(parsed[0], { cmd: 'publish', topic: 'raftlight/x/state/area/a', messageId: 300, qos: 1 });
  t.equal((parsed[0] as mqttPacket.IPublishPacket).payload.toString(), '{"v":1}');
  t.match(parsed[1], { cmd: 'puback', messageId: 65535 });
  t.match(parsed[2], { cmd: 'subscribe', messageId: 1 });
});

t.test('remaining lengths below 16,384 come from one small bounded store, not from pool slices', async (t) => {
  const { CACHED_LENGTHS, encodeVarByteInt, isOwnEncoding } = await import('../../src/transport/mqtt-packet-varbyteint.ts');
  const { verifyVarByteIntEncoder } = await import('../../src/transport/mqtt-packet-numbers.ts');
  verifyVarByteIntEncoder();
  const chunks: Buffer[] = [];
  const sink = new Writable({ write(c: Buffer, _e, cb) { chunks.push(c); cb(); } });
  const lengths = [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152];
  for (const n of lengths) {
    const out = Buffer.alloc(4);
    const bytes = out.subarray(0, encodeVarByteInt(n, out));
    // The MQTT spec's examples: 127 -> 7F, 128 -> 80 01, 16383 -> FF 7F, 16384 -> 80 80 01.
    if (n === 128) t.same([...bytes], [0x80, 0x01]);
    if (n === 16_384) t.same([...bytes], [0x80, 0x80, 0x01]);
  }
  const seen = new Set<ArrayBufferLike>();
  for (const size of [5, 300, 5_000, 20_000]) {
    chunks.length = 0;
    mqttPacket.writeToStream({ cmd: 'publish', topic: 'raft/x', payload: Buffer.alloc(size), qos: 0, retain: false, dup: false } as mqttPacket.Packet, sink);
    await new Promise((r) => setImmediate(r));
    const own = chunks.filter((c) => isOwnEncoding(c));
    if (size + 8 < CACHED_LENGTHS) {
      t.equal(own.length, 1, `length of a ${size}-byte publish from the bounded store`);
      seen.add(own[0]!.buffer);
    } else t.equal(own.length, 0, 'longer lengths are not kept');
    const parser = mqttPacket.parser();
    let payloadLength = -1;
    parser.on('packet', (p) => (payloadLength = (p as mqttPacket.IPublishPacket).payload.length));
    parser.parse(Buffer.concat(chunks));
    t.equal(payloadLength, size, 'parses back');
  }
  t.equal(seen.size, 1, 'all in one slab');
});

t.test('loading mqtt-packet before the encoder is replaced is caught', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const numbersModule = new URL('../../src/transport/mqtt-packet-numbers.ts', import.meta.url).href;
  const code = `import 'mqtt-packet'; const { verifyVarByteIntEncoder } = await import(${JSON.stringify(numbersModule)}); verifyVarByteIntEncoder();`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', cwd: new URL('../..', import.meta.url).pathname });
  t.not(r.status, 0);
  t.match(r.stderr, /mqtt-packet was loaded before its length encoder was replaced/);
});
