// Envelope <-> bytes. JSON with a fixed key order (object keys sorted), so the
// same envelope always gives the same bytes. Decoding is strict: size limit,
// valid UTF-8, no unknown fields, every field of the right type.
import { CommandDecodeError, CommandTooLargeError } from './errors.ts';
import type { FieldError } from './errors.ts';
import { FieldReader, isPlainObject, joinPath } from './field-reader.ts';
import { isObjectId, isRequestId } from './ids.ts';
import { OBJECT_KINDS } from './kinds.ts';
import { MAX_BATCH_COMMANDS, MAX_COMMAND_BYTES } from './commands.ts';
import type { Command, CommandEnvelope, ObjectCommand } from './commands.ts';
import { BOARD_ID_PATTERN, DIGEST_PATTERN, MAX_JOIN_TOKEN_TTL_MS, type AccessCommand } from './access-commands.ts';

export const ENCODING_VERSION = 1;

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const utf8Encoder = new TextEncoder();

export function encodeCommand(envelope: CommandEnvelope, maxBytes = MAX_COMMAND_BYTES): Uint8Array {
  const bytes = utf8Encoder.encode(JSON.stringify(canonical({ v: ENCODING_VERSION, requestId: envelope.requestId, command: envelope.command })));
  if (bytes.length > maxBytes) throw new CommandTooLargeError(bytes.length, maxBytes);
  return bytes;
}

export function decodeCommand(bytes: Uint8Array): CommandEnvelope {
  if (bytes.length === 0) throw new CommandDecodeError('empty command');
  if (bytes.length > MAX_COMMAND_BYTES) {
    throw new CommandDecodeError(`command is ${bytes.length} bytes, more than the limit of ${MAX_COMMAND_BYTES}`);
  }
  let text: string;
  try {
    text = utf8Decoder.decode(bytes);
  } catch {
    throw new CommandDecodeError('command is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new CommandDecodeError(`command is not valid JSON (${(e as Error).message})`);
  }
  const errors: FieldError[] = [];
  const r = new FieldReader(parsed, '', errors, ['v', 'requestId', 'command']);
  if (r.valid && r.raw('v') !== ENCODING_VERSION) r.fail('v', `must be ${ENCODING_VERSION}`);
  const requestId = r.raw('requestId');
  if (!isRequestId(requestId)) r.fail('requestId', 'must be a request id ([A-Za-z0-9_.:-], 1..64 characters)');
  const command = readCommand(r.raw('command'), 'command', errors, true);
  if (errors.length > 0 || command === null || !isRequestId(requestId)) {
    throw new CommandDecodeError('malformed command', errors);
  }
  return { requestId, command };
}

function readCommand(input: unknown, path: string, errors: FieldError[], allowBatch: boolean): Command | null {
  if (!isPlainObject(input)) {
    errors.push({ path, message: 'must be an object' });
    return null;
  }
  const type = input['type'];
  if (type === 'batch') {
    if (!allowBatch) {
      errors.push({ path: joinPath(path, 'type'), message: 'a batch cannot contain a batch' });
      return null;
    }
    const r = new FieldReader(input, path, errors, ['type', 'commands']);
    const items = r.array('commands', MAX_BATCH_COMMANDS);
    if (r.has('commands') && Array.isArray(input['commands']) && items.length === 0) r.fail('commands', 'must not be empty');
    const commands: ObjectCommand[] = [];
    items.forEach((item, i) => {
      const c = readCommand(item, joinPath(joinPath(path, 'commands'), i), errors, false);
      if (c !== null && c.type !== 'batch' && c.type !== 'issue-join-token' && c.type !== 'join') commands.push(c);
    });
    return { type: 'batch', commands };
  }
  if ((type === 'issue-join-token' || type === 'join') && allowBatch) return readAccessCommand(input, path, errors);
  if (type !== 'create' && type !== 'update' && type !== 'delete') {
    errors.push({ path: joinPath(path, 'type'), message: 'must be one of create, update, delete, batch' });
    return null;
  }
  const allowed = type === 'delete' ? ['type', 'kind', 'id', 'ifRevision'] : ['type', 'kind', 'id', 'value', 'ifRevision'];
  const r = new FieldReader(input, path, errors, allowed);
  const kind = r.oneOf('kind', OBJECT_KINDS);
  const id = r.raw('id');
  if (!isObjectId(id)) r.fail('id', 'must be an object id ([A-Za-z0-9_-], 1..64 characters)');
  let ifRevision: number | undefined;
  if (r.has('ifRevision')) {
    ifRevision = r.integer('ifRevision', 0, Number.MAX_SAFE_INTEGER);
    if (type === 'create' && ifRevision !== 0) r.fail('ifRevision', 'on create only 0 ("must not exist") is allowed');
  }
  const base = { kind, id: typeof id === 'string' ? id : '', ...(ifRevision === undefined ? {} : { ifRevision }) };
  if (type === 'delete') return { type, ...base };
  const value = r.raw('value');
  if (!isPlainObject(value)) r.fail('value', r.has('value') ? 'must be an object' : 'is required');
  return { type, ...base, value };
}

/** Milliseconds since the epoch, as a proposer's clock gives them. */
const MAX_TIME_MS = 2 ** 48;

function readAccessCommand(input: Record<string, unknown>, path: string, errors: FieldError[]): AccessCommand | null {
  const digest = (r: FieldReader, key: string): string => {
    const v = r.raw(key);
    if (typeof v === 'string' && DIGEST_PATTERN.test(v)) return v;
    r.fail(key, 'must be a SHA-256 digest (64 lower-case hex digits)');
    return '';
  };
  if (input['type'] === 'issue-join-token') {
    const r = new FieldReader(input, path, errors, ['type', 'tokenDigest', 'expiresAtMs', 'nowMs']);
    const tokenDigest = digest(r, 'tokenDigest');
    const nowMs = r.integer('nowMs', 0, MAX_TIME_MS);
    const expiresAtMs = r.integer('expiresAtMs', 0, MAX_TIME_MS);
    if (expiresAtMs <= nowMs || expiresAtMs - nowMs > MAX_JOIN_TOKEN_TTL_MS) r.fail('expiresAtMs', `must be after nowMs, by at most ${MAX_JOIN_TOKEN_TTL_MS} ms`);
    return { type: 'issue-join-token', tokenDigest, expiresAtMs, nowMs };
  }
  const r = new FieldReader(input, path, errors, ['type', 'board', 'verifier', 'tokenDigest', 'nowMs']);
  const board = r.raw('board');
  if (typeof board !== 'string' || !BOARD_ID_PATTERN.test(board)) r.fail('board', `must match ${BOARD_ID_PATTERN}`);
  const verifier = digest(r, 'verifier');
  const tokenDigest = digest(r, 'tokenDigest');
  const nowMs = r.integer('nowMs', 0, MAX_TIME_MS);
  return { type: 'join', board: typeof board === 'string' ? board : '', verifier, tokenDigest, nowMs };
}

/** A copy with object keys in sorted order (drops undefined, like JSON). */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (isPlainObject(v)) {
    // Null prototype: a client key named "__proto__" stays a plain key.
    const out = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(v).sort()) {
      if (v[key] !== undefined) out[key] = canonical(v[key]);
    }
    return out;
  }
  return v;
}
