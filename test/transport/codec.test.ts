import t from 'tap';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import type { Entry, Message, Snapshot } from '../../src/raft/types.ts';
import {
  CODEC_VERSION, CodecError, decodeBatch, decodeMessage, defaultCodecLimits, encodeBatch, encodeMessage,
} from '../../src/transport/codec.ts';

// Replay a failure with SEED=<n> npx tap test/transport/codec.test.ts (a fixed default: runs repeat)
const seed = process.env.SEED !== undefined ? Number(process.env.SEED) : 20261129;
t.comment(`fast-check seed ${seed}`);
const runs = { seed, numRuns: 500 };

const id = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,15}$/);
const num = fc.oneof(fc.nat(1000), fc.maxSafeNat());
const bytes = fc.uint8Array({ maxLength: 64 });
const entry: fc.Arbitrary<Entry> = fc.record({
  term: num, index: num, type: fc.constantFrom('normal' as const, 'conf-change' as const), data: bytes,
});
const entries = fc.array(entry, { maxLength: 8 });
const ids = fc.array(id, { maxLength: 5 });
const snapshot: fc.Arbitrary<Snapshot> = fc.record({
  metadata: fc.record({
    index: num,
    term: num,
    confState: fc.record({ voters: ids, learners: ids, votersOutgoing: ids, learnersNext: ids, autoLeave: fc.boolean() }),
  }),
  data: fc.uint8Array({ maxLength: 2048 }),
});
const header = { from: id, to: id, term: num };
const messageArb: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ type: fc.constant('append' as const), ...header, logTerm: num, index: num, entries, commit: num }),
  fc.record({ type: fc.constant('append-response' as const), ...header, index: num, reject: fc.boolean(), rejectHint: num, logTerm: num }),
  fc.record({ type: fc.constantFrom('vote' as const, 'pre-vote' as const), ...header, logTerm: num, index: num, transfer: fc.boolean() }),
  fc.record({ type: fc.constantFrom('vote-response' as const, 'pre-vote-response' as const), ...header, reject: fc.boolean() }),
  fc.record({ type: fc.constant('heartbeat' as const), ...header, commit: num, readRound: num }),
  fc.record({ type: fc.constant('heartbeat-response' as const), ...header, readRound: num }),
  fc.record({ type: fc.constant('snapshot' as const), ...header, snapshot }),
  fc.record({ type: fc.constant('propose' as const), ...header, entries }),
  fc.record({ type: fc.constant('read-index' as const), ...header, context: bytes }),
  fc.record({ type: fc.constant('read-index-response' as const), ...header, index: num, context: bytes }),
  fc.record({ type: fc.constant('timeout-now' as const), ...header }),
  fc.record({ type: fc.constant('transfer-leader' as const), ...header, transferee: id }),
);

/** Compares with Uint8Arrays turned into plain arrays (Buffer vs Uint8Array views). */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

function onlyCodecErrors(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    return err instanceof CodecError && typeof err.code === 'string' && err.code.startsWith('CODEC_');
  }
}

t.test('every message variant round-trips', async (t) => {
  fc.assert(fc.property(messageArb, (msg) => {
    const decoded = decodeMessage(encodeMessage(msg));
    t.same(plain(decoded), plain(msg));
    return true;
  }), runs);
  t.pass('round trips hold');
});

t.test('a batch round-trips its messages', async (t) => {
  fc.assert(fc.property(fc.array(messageArb, { maxLength: 6 }), (msgs) => {
    const payload = encodeBatch(msgs.map((m) => encodeMessage(m)), 1 << 22);
    const back = decodeBatch(payload, 1 << 22).map((f) => decodeMessage(f));
    return isDeepStrictEqual(plain(back), plain(msgs));
  }), runs);
  t.pass('batches hold');
});

t.test('random bytes never throw anything but CodecError', async (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (buf) =>
    onlyCodecErrors(() => decodeMessage(buf)) && onlyCodecErrors(() => decodeBatch(buf, 1 << 20))), { ...runs, numRuns: 3000 });
  // Random bytes behind a valid version and type tag reach deeper into the decoder.
  fc.assert(fc.property(fc.integer({ min: 1, max: 14 }), fc.uint8Array({ maxLength: 300 }), (tag, rest) =>
    onlyCodecErrors(() => decodeMessage(Uint8Array.from([1, tag, ...rest])))), { ...runs, numRuns: 3000 });
  t.pass('only CodecError');
});

t.test('truncations and bit flips of valid messages never throw anything but CodecError', async (t) => {
  fc.assert(fc.property(messageArb, fc.nat(), fc.nat(), (msg, cut, flip) => {
    const buf = encodeMessage(msg);
    const truncated = buf.subarray(0, cut % buf.byteLength);
    let truncatedFails = false;
    try {
      decodeMessage(truncated);
    } catch (err) {
      truncatedFails = err instanceof CodecError;
    }
    const flipped = buf.slice();
    flipped[flip % flipped.length]! ^= 1 << (flip % 8);
    return truncatedFails && onlyCodecErrors(() => decodeMessage(flipped));
  }), { ...runs, numRuns: 2000 });
  t.pass('truncations fail cleanly');
});

t.test('stable error codes', async (t) => {
  const hb: Message = { type: 'heartbeat', from: 'a', to: 'b', term: 1, commit: 2, readRound: 0 };
  const good = encodeMessage(hb);
  const code = (buf: Uint8Array, limits = defaultCodecLimits): string => {
    try {
      decodeMessage(buf, limits);
      return 'none';
    } catch (err) {
      return err instanceof CodecError ? err.code : 'other';
    }
  };
  t.equal(code(new Uint8Array()), 'CODEC_TRUNCATED');
  t.equal(code(Uint8Array.from([9, 7])), 'CODEC_UNKNOWN_VERSION');
  t.equal(code(Uint8Array.from([CODEC_VERSION, 99])), 'CODEC_UNKNOWN_TYPE');
  t.equal(code(good.subarray(0, good.length - 1)), 'CODEC_TRUNCATED');
  t.equal(code(Uint8Array.from([...good, 0])), 'CODEC_TRAILING_BYTES');
  t.equal(code(good, { ...defaultCodecLimits, maxMessageBytes: 4 }), 'CODEC_TOO_LARGE');
  // A claimed length of 2^40 bytes: refused without allocating it.
  t.equal(code(Uint8Array.from([CODEC_VERSION, 11, 1, 97, 1, 98, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20])), 'CODEC_TRUNCATED');
  // A claimed count of a million entries in a tiny buffer.
  t.equal(code(Uint8Array.from([CODEC_VERSION, 10, 1, 97, 1, 98, 1, 0xc0, 0x84, 0x3d])), 'CODEC_TOO_LARGE');
  t.equal(code(Uint8Array.from([CODEC_VERSION, 10, 1, 97, 1, 98, 1, 100, 0])), 'CODEC_TRUNCATED');
  // Ids that would break a topic.
  t.equal(code(Uint8Array.from([CODEC_VERSION, 13, 1, 0x2f, 1, 98, 1])), 'CODEC_INVALID_ID');
  t.equal(code(Uint8Array.from([CODEC_VERSION, 13, 2, 0xc3, 0x28, 1, 98, 1])), 'CODEC_INVALID_FIELD');
  t.throws(() => encodeMessage({ ...hb, to: 'x/y' }), { code: 'CODEC_INVALID_ID' });
  t.throws(() => encodeMessage({ ...hb, term: -1 }), { code: 'CODEC_INVALID_FIELD' });
  t.throws(() => encodeMessage({ type: 'read-index', from: 'a', to: 'b', term: 0, context: new Uint8Array(100) }, { ...defaultCodecLimits, maxMessageBytes: 50 }), { code: 'CODEC_TOO_LARGE' });
});

t.test('encoding is compact', async (t) => {
  const hb: Message = { type: 'heartbeat', from: 'b01', to: 'b02', term: 7, commit: 1234, readRound: 0 };
  t.ok(encodeMessage(hb).byteLength <= 16, `heartbeat takes ${encodeMessage(hb).byteLength} bytes`);
});
