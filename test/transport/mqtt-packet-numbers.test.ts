// The broker turns off mqtt-packet's 65,536-Buffer number cache; packets
// still carry their packet ids and lengths correctly.
import t from 'tap';
import { Writable } from 'node:stream';
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
