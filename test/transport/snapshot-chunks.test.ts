import t from 'tap';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { CodecError } from '../../src/transport/codec.ts';
import { decodeChunkFrame, encodeChunkFrame, type ChunkFrame } from '../../src/transport/peer-chunk-frames.ts';
import { SnapshotReceiver } from '../../src/transport/peer-snapshot-receiver.ts';
import { SnapshotSendSession } from '../../src/transport/peer-snapshot-sender.ts';

const seed = process.env.SEED !== undefined ? Number(process.env.SEED) : 20261129;
t.comment(`seed ${seed} (replay with SEED=${seed})`);

/** A tiny deterministic PRNG for the lossy channel. */
function prng(s: number): () => number {
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

const CHUNK = 1024;

/** Sender and receiver joined by an asynchronous channel that loses a share of the frames. */
function run(data: Uint8Array, loss: number, random: () => number, receiverCap = 1 << 20): Promise<{ ok: boolean; why: string; got: Uint8Array | undefined; reserved: () => number }> {
  return new Promise((resolve) => {
    let got: Uint8Array | undefined;
    let session: SnapshotSendSession | undefined = undefined;
    const wire = (frame: ChunkFrame, to: 'receiver' | 'sender'): void => {
      // Frames really cross the codec.
      const bytes = encodeChunkFrame(frame, CHUNK);
      if (random() < loss) return;
      setImmediate(() => {
        const f = decodeChunkFrame(bytes, CHUNK);
        if (to === 'receiver') {
          if (f.kind === 'data') receiver.onData('s', f);
          else if (f.kind === 'abort') receiver.onAbort('s', f.transfer);
        } else if (f.kind === 'ack') session!.onAck(f.next);
        else if (f.kind === 'abort') session!.onAbort(f.reason);
      });
    };
    const receiver = new SnapshotReceiver({ maxSnapshotBytes: receiverCap, maxReassemblyBytes: receiverCap, idleMs: 5000 }, {
      reply: (_peer, frame) => wire(frame, 'sender'),
      deliver: (_peer, encoded) => { got = encoded.slice(); return true; },
      log: () => {},
    });
    session = new SnapshotSendSession(42, data, { chunkBytes: CHUNK, window: 4, ackTimeoutMs: 20, maxRetries: 50 }, {
      trySend: (frame) => { wire(frame, 'receiver'); return true; },
      finished: (ok, why) => { receiver.close(); resolve({ ok, why, got, reserved: () => receiver.reservedBytes }); },
    });
    session.pump();
  });
}

t.test('a snapshot crosses a lossy channel intact (go-back-N)', async (t) => {
  const random = prng(seed);
  for (const loss of [0, 0.1, 0.3]) {
    const data = randomBytes(50 * CHUNK + 17);
    const r = await run(data, loss, random);
    t.ok(r.ok, `loss ${loss}: ${r.why}`);
    t.ok(r.got && Buffer.compare(Buffer.from(r.got), data) === 0, `loss ${loss}: data intact`);
    t.equal(r.reserved(), 0, 'reassembly memory released');
  }
});

t.test('a snapshot over the receiver cap is refused and reported failed', async (t) => {
  const r = await run(randomBytes(10 * CHUNK), 0, prng(seed), 4 * CHUNK);
  t.notOk(r.ok);
  t.match(r.why, /too-large/);
  t.equal(r.got, undefined);
});

t.test('a dead channel fails after the retries', async (t) => {
  const r = await run(randomBytes(3 * CHUNK), 1, prng(seed));
  t.notOk(r.ok);
  t.match(r.why, /no acknowledgement/);
});

t.test('chunk frames round-trip and garbage only raises CodecError', async (t) => {
  const frame = fc.oneof(
    fc.record({ kind: fc.constant('data' as const), transfer: fc.nat(), seq: fc.nat(), totalBytes: fc.nat(), chunk: fc.uint8Array({ maxLength: CHUNK }) }),
    fc.record({ kind: fc.constant('ack' as const), transfer: fc.nat(), next: fc.nat() }),
    fc.record({ kind: fc.constant('abort' as const), transfer: fc.nat(), reason: fc.constantFrom('too-large' as const, 'busy' as const, 'unknown-transfer' as const, 'invalid' as const, 'cancelled' as const) }),
  );
  fc.assert(fc.property(frame, (f) => {
    const back = decodeChunkFrame(encodeChunkFrame(f, CHUNK), CHUNK);
    return JSON.stringify({ ...back, chunk: 'chunk' in back ? [...back.chunk] : 0 }) === JSON.stringify({ ...f, chunk: 'chunk' in f ? [...f.chunk] : 0 });
  }), { seed, numRuns: 300 });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (buf) => {
    try {
      decodeChunkFrame(buf, CHUNK);
      return true;
    } catch (err) {
      return err instanceof CodecError;
    }
  }), { seed, numRuns: 2000 });
  t.pass('chunk frames hold');
});

t.test('the receiver ignores chunks of unknown transfers and bounds the total it reserves', async (t) => {
  const replies: ChunkFrame[] = [];
  const receiver = new SnapshotReceiver({ maxSnapshotBytes: 1000, maxReassemblyBytes: 1500, idleMs: 50 }, {
    reply: (_p, f) => replies.push(f), deliver: () => true, log: () => {},
  });
  receiver.onData('p', { kind: 'data', transfer: 1, seq: 3, totalBytes: 500, chunk: new Uint8Array(10) });
  t.same(replies.pop(), { kind: 'ack', transfer: 1, next: 0 }, 'asks for chunk 0');
  t.equal(receiver.reservedBytes, 0);
  receiver.onData('p', { kind: 'data', transfer: 2, seq: 0, totalBytes: 1000, chunk: new Uint8Array(10) });
  receiver.onData('q', { kind: 'data', transfer: 3, seq: 0, totalBytes: 1000, chunk: new Uint8Array(10) });
  t.same(replies.pop(), { kind: 'abort', transfer: 3, reason: 'busy' });
  t.equal(receiver.reservedBytes, 1000);
  receiver.onData('p', { kind: 'data', transfer: 2, seq: 1, totalBytes: 1000, chunk: new Uint8Array(5000) });
  t.same(replies.pop(), { kind: 'abort', transfer: 2, reason: 'invalid' });
  t.equal(receiver.reservedBytes, 0, 'an overflowing chunk frees the reservation');
  receiver.onData('q', { kind: 'data', transfer: 4, seq: 0, totalBytes: 1000, chunk: new Uint8Array(10) });
  await new Promise((r) => setTimeout(r, 120));
  t.equal(receiver.reservedBytes, 0, 'an idle transfer is discarded');
  receiver.close();
});
