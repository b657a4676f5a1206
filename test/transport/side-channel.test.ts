// Side messages (board telemetry) ride the members' peer connections in both directions,
// are attributed to the connection's member, never dial, and are dropped when too large.
import t from 'tap';
import { decodeChunkFrame, encodeChunkFrame } from '../../src/transport/peer-chunk-frames.ts';
import { CodecError } from '../../src/transport/codec.ts';
import { MAX_SIDE_PAYLOAD_BYTES } from '../../src/transport/side-channel.ts';
import { connectAll, heartbeat, startBoard, waitFor } from './mqtt-helpers.ts';

t.test('side frames round-trip and a truncated one raises CodecError', async (t) => {
  const payload = new Uint8Array([1, 2, 3, 250]);
  const bytes = encodeChunkFrame({ kind: 'side', payload }, 64 * 1024);
  const back = decodeChunkFrame(bytes, 64 * 1024);
  t.equal(back.kind, 'side');
  t.same(back.kind === 'side' ? [...back.payload] : [], [...payload]);
  for (let cut = 1; cut < bytes.byteLength; cut++) {
    t.throws(() => decodeChunkFrame(bytes.subarray(0, cut), 64 * 1024), CodecError, `cut at ${cut}`);
  }
});

t.test('side payloads travel both ways over one connection, from the connection\'s member', async (t) => {
  const [a, b] = await Promise.all([startBoard('a'), startBoard('b')]);
  t.teardown(async () => { await a.close(); await b.close(); });
  const gotA: Array<[string, number[]]> = [];
  const gotB: Array<[string, number[]]> = [];
  a.transport.onSide((from, p) => gotA.push([from, [...p]]));
  b.transport.onSide((from, p) => gotB.push([from, [...p]]));
  connectAll([a, b]);
  t.equal(a.transport.sendSide('b', new Uint8Array([7])), false, 'no connection yet: dropped, not dialed');
  t.equal(a.broker.aedes.connectedClients + b.broker.aedes.connectedClients, 0, 'nothing dialed for it');
  a.transport.send(heartbeat('a', 'b', 1));
  await waitFor('raft connection', () => b.received.length === 1 && b.transport.stats().get('a')?.connected === true);
  t.ok(a.transport.sendSide('b', new Uint8Array([1, 2])), 'sent on the dialer\'s connection');
  t.ok(b.transport.sendSide('a', new Uint8Array([3])), 'sent back on the same connection');
  await waitFor('both side payloads', () => gotA.length === 1 && gotB.length === 1);
  t.same(gotB, [['a', [1, 2]]]);
  t.same(gotA, [['b', [3]]]);
  t.equal(a.transport.sendSide('b', new Uint8Array(MAX_SIDE_PAYLOAD_BYTES + 1)), false, 'an oversized payload is dropped');
  t.same(a.transport.sideCounters, { sent: 1, dropped: 2, received: 1 });
  t.equal(b.received.length, 1, 'side payloads never reach the Raft handler');
});
