// The fingerprint a request id is remembered with, taken from the entry's bytes
// as they are in the log, equals the one computed by encoding the command again.
import t from 'tap';
import fc from 'fast-check';
import { decodeCommand, encodeCommand, type CommandEnvelope } from '../../src/model/index.ts';
import { commandFingerprint, entryFingerprint } from '../../src/state/machine.ts';

// Replay a failure with SEED=<n> npx tap test/state/fingerprint.test.ts (a fixed default: runs repeat)
const seed = process.env.SEED !== undefined ? Number(process.env.SEED) : 20261129;
t.comment(`fast-check seed ${seed}`);

const name = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' });
const objectCommand = fc.oneof(
  fc.record({ type: fc.constant('create' as const), kind: fc.constant('area' as const), id: fc.stringMatching(/^[a-z0-9_-]{1,12}$/), value: fc.record({ name, type: fc.constant('room'), parent: fc.constant(null) }) }),
  fc.record({ type: fc.constant('update' as const), kind: fc.constant('scene' as const), id: fc.stringMatching(/^[a-z0-9_-]{1,12}$/), ifRevision: fc.nat(1000), value: fc.record({ levels: fc.array(fc.record({ zone: fc.stringMatching(/^z[0-9]{1,3}$/), level: fc.nat(100) }), { maxLength: 3 }), name, fadeSeconds: fc.nat(10) }) }),
  fc.record({ type: fc.constant('delete' as const), kind: fc.constant('zone' as const), id: fc.stringMatching(/^[a-z0-9_-]{1,12}$/) }),
);
const envelope: fc.Arbitrary<CommandEnvelope> = fc.record({
  requestId: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/),
  command: fc.oneof(objectCommand, fc.array(objectCommand, { minLength: 1, maxLength: 3 }).map((commands) => ({ type: 'batch' as const, commands }))),
});

t.test('canonical bytes: the same fingerprint as encoding again', async (t) => {
  fc.assert(fc.property(envelope, (e) => {
    const bytes = encodeCommand(e);
    const decoded = decodeCommand(bytes);
    return entryFingerprint(bytes, decoded) === commandFingerprint(decoded);
  }), { seed, numRuns: 500 });
  t.pass('500 envelopes');
});

t.test('bytes in another key order fall back to encoding again', async (t) => {
  const text = '{"v":1,"requestId":"r-1","command":{"value":{"parent":null,"type":"room","name":"Hall"},"kind":"area","id":"a1","type":"create"}}';
  const bytes = new TextEncoder().encode(text);
  const decoded = decodeCommand(bytes);
  t.equal(entryFingerprint(bytes, decoded), commandFingerprint(decoded));
  // A view into a larger buffer (how entries arrive from the WAL or the network).
  const canonical = encodeCommand(decoded);
  const framed = new Uint8Array(canonical.length + 7);
  framed.set(canonical, 3);
  t.equal(entryFingerprint(framed.subarray(3, 3 + canonical.length), decoded), commandFingerprint(decoded));
});
