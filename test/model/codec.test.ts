import t from 'tap';
import { CommandDecodeError, MAX_BATCH_COMMANDS, MAX_COMMAND_BYTES, decodeCommand, encodeCommand } from '../../src/model/index.ts';
import type { CommandEnvelope } from '../../src/model/index.ts';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function decodeError(bytes: Uint8Array): CommandDecodeError {
  try {
    decodeCommand(bytes);
  } catch (e) {
    if (e instanceof CommandDecodeError) return e;
    throw e;
  }
  throw new Error('decoded');
}

t.test('round trip of every command type', async (t) => {
  const envelopes: CommandEnvelope[] = [
    { requestId: 'r1', command: { type: 'create', kind: 'area', id: 'a1', value: { name: 'A', type: 'room' } } },
    { requestId: 'r2', command: { type: 'update', kind: 'zone', id: 'z1', value: { name: 'Z' }, ifRevision: 7 } },
    { requestId: 'r3', command: { type: 'delete', kind: 'scene', id: 's1' } },
    { requestId: 'r4', command: { type: 'create', kind: 'area', id: 'a2', value: { name: 'B', type: 'room' }, ifRevision: 0 } },
    {
      requestId: 'r5',
      command: {
        type: 'batch',
        commands: [
          { type: 'create', kind: 'area', id: 'a3', value: { name: 'C', type: 'room' } },
          { type: 'delete', kind: 'area', id: 'a1', ifRevision: 3 },
        ],
      },
    },
  ];
  for (const e of envelopes) t.same(decodeCommand(encodeCommand(e)), e);
});

t.test('encoding is stable: key order does not matter', async (t) => {
  const a = encodeCommand({ requestId: 'r', command: { type: 'create', kind: 'area', id: 'a', value: { name: 'A', type: 'room' } } });
  const b = encodeCommand({ command: { value: { type: 'room', name: 'A' }, id: 'a', kind: 'area', type: 'create' }, requestId: 'r' } as CommandEnvelope);
  t.same(Buffer.from(a), Buffer.from(b));
  t.equal(new TextDecoder().decode(a), '{"command":{"id":"a","kind":"area","type":"create","value":{"name":"A","type":"room"}},"requestId":"r","v":1}');
});

t.test('strict decode', async (t) => {
  t.match(decodeError(new Uint8Array()).message, /empty/);
  t.match(decodeError(new Uint8Array([0xff, 0xfe, 0x7b])).message, /UTF-8/);
  t.match(decodeError(utf8('{"v":1,')).message, /not valid JSON/);
  t.match(decodeError(utf8('[]')).message, /must be an object/);
  t.match(decodeError(utf8('{"v":2,"requestId":"r","command":{"type":"delete","kind":"area","id":"a"}}')).message, /v: must be 1/);
  t.match(decodeError(utf8('{"v":1,"command":{"type":"delete","kind":"area","id":"a"}}')).message, /requestId/);
  t.match(decodeError(utf8('{"v":1,"requestId":"r","command":{"type":"drop","kind":"area","id":"a"}}')).message, /command.type: must be one of/);
  t.match(decodeError(utf8('{"v":1,"requestId":"r","command":{"type":"delete","kind":"lamp","id":"a"}}')).message, /command.kind/);
  t.match(decodeError(utf8('{"v":1,"requestId":"r","command":{"type":"delete","kind":"area","id":"a/b"}}')).message, /command.id/);
  t.match(decodeError(utf8('{"v":1,"requestId":"r","command":{"type":"delete","kind":"area","id":"a","value":{}}}')).message, /command.value: unknown field/);
  t.match(decodeError(utf8('{"v":1,"requestId":"r","command":{"type":"create","kind":"area","id":"a"}}')).message, /command.value: is required/);
  t.match(decodeError(utf8('{"v":1,"requestId":"r","command":{"type":"create","kind":"area","id":"a","value":[]}}')).message, /command.value: must be an object/);
  t.match(decodeError(utf8('{"v":1,"requestId":"r","command":{"type":"create","kind":"area","id":"a","value":{},"ifRevision":3}}')).message, /only 0/);
  t.match(decodeError(utf8('{"v":1,"requestId":"r","command":{"type":"update","kind":"area","id":"a","value":{},"ifRevision":-1}}')).message, /ifRevision/);
  t.match(decodeError(utf8('{"v":1,"requestId":"r","x":1,"command":{"type":"delete","kind":"area","id":"a"}}')).message, /x: unknown field/);
  t.match(decodeError(utf8('{"v":1,"requestId":"r","command":{"type":"batch","commands":[]}}')).message, /must not be empty/);
  t.match(
    decodeError(utf8('{"v":1,"requestId":"r","command":{"type":"batch","commands":[{"type":"batch","commands":[]}]}}')).message,
    /command.commands\[0\].type: a batch cannot contain a batch/,
  );
  const big = { type: 'delete', kind: 'area', id: 'a' };
  const tooMany = JSON.stringify({ v: 1, requestId: 'r', command: { type: 'batch', commands: Array.from({ length: MAX_BATCH_COMMANDS + 1 }, () => big) } });
  t.match(decodeError(utf8(tooMany)).message, /at most 256 items/);
  t.equal(decodeError(utf8('{"v":1}')).code, 'DECODE_FAILED');
});

t.test('size limit on both sides', async (t) => {
  const huge: CommandEnvelope = { requestId: 'r', command: { type: 'create', kind: 'area', id: 'a', value: { name: 'x'.repeat(MAX_COMMAND_BYTES) } } };
  t.throws(() => encodeCommand(huge), { code: 'TOO_LARGE', name: 'CommandTooLargeError' });
  t.match(decodeError(new Uint8Array(MAX_COMMAND_BYTES + 1)).message, /limit/);
});

t.test('a __proto__ key stays data and is rejected as an unknown field', async (t) => {
  const bytes = utf8('{"v":1,"requestId":"r","command":{"type":"create","kind":"area","id":"a","value":{"__proto__":{"x":1},"name":"A","type":"room"}}}');
  const env = decodeCommand(bytes);
  const again = decodeCommand(encodeCommand(env));
  t.same(Object.keys((again.command as { value: object }).value), ['__proto__', 'name', 'type']);
});
