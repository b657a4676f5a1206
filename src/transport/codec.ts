// Compact binary codec for Raft messages on the wire.
//
// Layout of one message: [version u8][type u8][from str][to str][term varint] then the
// type's fields. Numbers are unsigned LEB128 varints (at most 2^53-1), strings and byte
// fields are varint-length-prefixed, booleans are one byte (0 or 1).
// Decoding is strict: every length is checked against the bytes that remain and against
// the limits before anything is allocated; any defect is a CodecError with a stable code.
import type { ConfState, Entry, EntryType, Message, MessageType, NodeId, Snapshot } from '../raft/types.ts';

// Version 2: heartbeats carry a ReadIndex round instead of a context.
export const CODEC_VERSION = 2;

export type CodecErrorCode =
  | 'CODEC_TRUNCATED'
  | 'CODEC_UNKNOWN_VERSION'
  | 'CODEC_UNKNOWN_TYPE'
  | 'CODEC_TOO_LARGE'
  | 'CODEC_INVALID_FIELD'
  | 'CODEC_INVALID_ID'
  | 'CODEC_TRAILING_BYTES'
  | 'CODEC_MALFORMED';

export class CodecError extends Error {
  constructor(readonly code: CodecErrorCode, message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

export interface CodecLimits {
  /** Largest encoded message accepted or produced, in bytes. */
  readonly maxMessageBytes: number;
  /** Most entries in one append/propose message. */
  readonly maxEntries: number;
  /** Longest board id, in UTF-8 bytes. */
  readonly maxIdLength: number;
  /** Most ids in one list of a ConfState. */
  readonly maxMembers: number;
}

/** Limits for ordinary messages; Raft's max-bytes-per-message must stay below maxMessageBytes. */
export const defaultCodecLimits: CodecLimits = Object.freeze({
  maxMessageBytes: 4 * 1024 * 1024,
  maxEntries: 10_000,
  maxIdLength: 64,
  maxMembers: 1024,
});

const TYPE_TAGS: Readonly<Record<MessageType, number>> = {
  'append': 1,
  'append-response': 2,
  'vote': 3,
  'pre-vote': 4,
  'vote-response': 5,
  'pre-vote-response': 6,
  'heartbeat': 7,
  'heartbeat-response': 8,
  'snapshot': 9,
  'propose': 10,
  'read-index': 11,
  'read-index-response': 12,
  'timeout-now': 13,
  'transfer-leader': 14,
};
const TAG_TYPES: ReadonlyMap<number, MessageType> = new Map(
  Object.entries(TYPE_TAGS).map(([type, tag]) => [tag, type as MessageType]),
);

/** Characters a board id may not contain: MQTT separators and wildcards, and NUL. */
const FORBIDDEN_ID_CHARS = /[/+#\u0000]/;

export function validateNodeId(id: string, limits: CodecLimits = defaultCodecLimits): void {
  if (id.length === 0 || FORBIDDEN_ID_CHARS.test(id) || Buffer.byteLength(id) > limits.maxIdLength) {
    throw new CodecError('CODEC_INVALID_ID', `invalid board id ${JSON.stringify(id.slice(0, 80))}`);
  }
}

// ---- Primitive writer and reader (also used by the snapshot chunk frames). ----

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Growable output buffer that refuses to grow past maxBytes. */
export class ByteWriter {
  private buf: Uint8Array;
  private len = 0;
  constructor(private readonly maxBytes: number, initial = 64) {
    this.buf = new Uint8Array(Math.min(initial, maxBytes));
  }
  private reserve(n: number): void {
    const need = this.len + n;
    if (need > this.maxBytes) {
      throw new CodecError('CODEC_TOO_LARGE', `encoded message exceeds ${this.maxBytes} bytes`);
    }
    if (need <= this.buf.length) return;
    const grown = new Uint8Array(Math.min(this.maxBytes, Math.max(need, this.buf.length * 2)));
    grown.set(this.buf.subarray(0, this.len));
    this.buf = grown;
  }
  u8(v: number): void {
    this.reserve(1);
    this.buf[this.len++] = v;
  }
  varint(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new CodecError('CODEC_INVALID_FIELD', `not a non-negative safe integer: ${v}`);
    }
    this.reserve(varintLength(v));
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }
  bool(v: boolean): void {
    this.u8(v ? 1 : 0);
  }
  bytes(v: Uint8Array): void {
    this.varint(v.byteLength);
    this.reserve(v.byteLength);
    this.buf.set(v, this.len);
    this.len += v.byteLength;
  }
  string(v: string): void {
    this.bytes(utf8.encode(v));
  }
  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

export class ByteReader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  get remaining(): number {
    return this.buf.byteLength - this.pos;
  }
  u8(): number {
    if (this.pos >= this.buf.byteLength) throw truncated();
    return this.buf[this.pos++]!;
  }
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(result)) break;
        return result;
      }
      scale *= 0x80;
    }
    throw new CodecError('CODEC_INVALID_FIELD', 'varint exceeds 2^53-1');
  }
  bool(): boolean {
    const b = this.u8();
    if (b > 1) throw new CodecError('CODEC_INVALID_FIELD', `boolean byte ${b}`);
    return b === 1;
  }
  /** A length-prefixed view; `copy` detaches it from the input buffer. */
  bytes(maxLength: number, copy: boolean): Uint8Array {
    const n = this.varint();
    if (n > this.remaining) throw truncated();
    if (n > maxLength) throw new CodecError('CODEC_TOO_LARGE', `field of ${n} bytes exceeds ${maxLength}`);
    const view = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return copy ? view.slice() : view;
  }
  string(maxLength: number): string {
    const raw = this.bytes(maxLength, false);
    try {
      return utf8Strict.decode(raw);
    } catch {
      throw new CodecError('CODEC_INVALID_FIELD', 'string is not valid UTF-8');
    }
  }
  /** A count that is checked against a limit and against the minimum bytes each item needs. */
  count(max: number, minItemBytes: number, what: string): number {
    const n = this.varint();
    if (n > max) throw new CodecError('CODEC_TOO_LARGE', `${n} ${what} exceed the limit of ${max}`);
    if (n * minItemBytes > this.remaining) throw truncated();
    return n;
  }
  end(): void {
    if (this.remaining !== 0) throw new CodecError('CODEC_TRAILING_BYTES', `${this.remaining} bytes after the message`);
  }
}

function varintLength(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

function truncated(): CodecError {
  return new CodecError('CODEC_TRUNCATED', 'input ends inside a field');
}

/** Runs a decoder and turns anything unexpected into a CodecError, so callers catch one class. */
export function guardDecode<T>(decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof CodecError) throw err;
    throw new CodecError('CODEC_MALFORMED', `malformed input: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// ---- Messages ----

export function encodeMessage(msg: Message, limits: CodecLimits = defaultCodecLimits): Uint8Array {
  const w = new ByteWriter(limits.maxMessageBytes, msg.type === 'snapshot' ? msg.snapshot.data.byteLength + 256 : 64);
  const tag = TYPE_TAGS[msg.type];
  if (tag === undefined) throw new CodecError('CODEC_UNKNOWN_TYPE', `unknown message type ${String(msg.type)}`);
  w.u8(CODEC_VERSION);
  w.u8(tag);
  writeId(w, msg.from, limits);
  writeId(w, msg.to, limits);
  w.varint(msg.term);
  switch (msg.type) {
    case 'append':
      w.varint(msg.logTerm);
      w.varint(msg.index);
      w.varint(msg.commit);
      writeEntries(w, msg.entries, limits);
      break;
    case 'append-response':
      w.varint(msg.index);
      w.bool(msg.reject);
      w.varint(msg.rejectHint);
      w.varint(msg.logTerm);
      break;
    case 'vote':
    case 'pre-vote':
      w.varint(msg.logTerm);
      w.varint(msg.index);
      w.bool(msg.transfer);
      break;
    case 'vote-response':
    case 'pre-vote-response':
      w.bool(msg.reject);
      break;
    case 'heartbeat':
      w.varint(msg.commit);
      w.varint(msg.readRound);
      break;
    case 'heartbeat-response':
      w.varint(msg.readRound);
      break;
    case 'snapshot':
      writeSnapshot(w, msg.snapshot, limits);
      break;
    case 'propose':
      writeEntries(w, msg.entries, limits);
      break;
    case 'read-index':
      w.bytes(msg.context);
      break;
    case 'read-index-response':
      w.varint(msg.index);
      w.bytes(msg.context);
      break;
    case 'timeout-now':
      break;
    case 'transfer-leader':
      writeId(w, msg.transferee, limits);
      break;
  }
  return w.finish();
}

export function decodeMessage(input: Uint8Array, limits: CodecLimits = defaultCodecLimits): Message {
  return guardDecode(() => {
    if (input.byteLength > limits.maxMessageBytes) {
      throw new CodecError('CODEC_TOO_LARGE', `message of ${input.byteLength} bytes exceeds ${limits.maxMessageBytes}`);
    }
    const r = new ByteReader(input);
    const version = r.u8();
    if (version !== CODEC_VERSION) throw new CodecError('CODEC_UNKNOWN_VERSION', `codec version ${version}`);
    const tag = r.u8();
    const type = TAG_TYPES.get(tag);
    if (type === undefined) throw new CodecError('CODEC_UNKNOWN_TYPE', `message type tag ${tag}`);
    const from = readId(r, limits);
    const to = readId(r, limits);
    const term = r.varint();
    const msg = readBody(r, type, { from, to, term }, limits);
    r.end();
    return msg;
  });
}

interface HeaderFields { from: NodeId; to: NodeId; term: number }

function readBody(r: ByteReader, type: MessageType, h: HeaderFields, limits: CodecLimits): Message {
  const maxBytes = limits.maxMessageBytes;
  switch (type) {
    case 'append': {
      const logTerm = r.varint();
      const index = r.varint();
      const commit = r.varint();
      return { type, ...h, logTerm, index, commit, entries: readEntries(r, limits) };
    }
    case 'append-response': {
      const index = r.varint();
      const reject = r.bool();
      const rejectHint = r.varint();
      return { type, ...h, index, reject, rejectHint, logTerm: r.varint() };
    }
    case 'vote':
    case 'pre-vote': {
      const logTerm = r.varint();
      const index = r.varint();
      return { type, ...h, logTerm, index, transfer: r.bool() };
    }
    case 'vote-response':
    case 'pre-vote-response':
      return { type, ...h, reject: r.bool() };
    case 'heartbeat': {
      const commit = r.varint();
      return { type, ...h, commit, readRound: r.varint() };
    }
    case 'heartbeat-response':
      return { type, ...h, readRound: r.varint() };
    case 'snapshot':
      return { type, ...h, snapshot: readSnapshot(r, limits) };
    case 'propose':
      return { type, ...h, entries: readEntries(r, limits) };
    case 'read-index':
      return { type, ...h, context: r.bytes(maxBytes, true) };
    case 'read-index-response': {
      const index = r.varint();
      return { type, ...h, index, context: r.bytes(maxBytes, true) };
    }
    case 'timeout-now':
      return { type, ...h };
    case 'transfer-leader':
      return { type, ...h, transferee: readId(r, limits) };
  }
}

function writeId(w: ByteWriter, id: NodeId, limits: CodecLimits): void {
  validateNodeId(id, limits);
  w.string(id);
}

function readId(r: ByteReader, limits: CodecLimits): NodeId {
  const id = r.string(limits.maxIdLength);
  validateNodeId(id, limits);
  return id;
}

const ENTRY_TYPES: readonly EntryType[] = ['normal', 'conf-change'];

function writeEntries(w: ByteWriter, entries: readonly Entry[], limits: CodecLimits): void {
  if (entries.length > limits.maxEntries) {
    throw new CodecError('CODEC_TOO_LARGE', `${entries.length} entries exceed the limit of ${limits.maxEntries}`);
  }
  w.varint(entries.length);
  for (const e of entries) {
    w.varint(e.term);
    w.varint(e.index);
    const typeCode = ENTRY_TYPES.indexOf(e.type);
    if (typeCode < 0) throw new CodecError('CODEC_INVALID_FIELD', `unknown entry type ${String(e.type)}`);
    w.u8(typeCode);
    w.bytes(e.data);
  }
}

/** An entry takes at least 4 bytes: term, index, type, data length. */
const MIN_ENTRY_BYTES = 4;

function readEntries(r: ByteReader, limits: CodecLimits): Entry[] {
  const n = r.count(limits.maxEntries, MIN_ENTRY_BYTES, 'entries');
  const entries: Entry[] = [];
  for (let i = 0; i < n; i++) {
    const term = r.varint();
    const index = r.varint();
    const type = ENTRY_TYPES[r.u8()];
    if (type === undefined) throw new CodecError('CODEC_INVALID_FIELD', 'unknown entry type');
    entries.push({ term, index, type, data: r.bytes(limits.maxMessageBytes, true) });
  }
  return entries;
}

function writeIdList(w: ByteWriter, ids: readonly NodeId[], limits: CodecLimits): void {
  if (ids.length > limits.maxMembers) {
    throw new CodecError('CODEC_TOO_LARGE', `${ids.length} members exceed the limit of ${limits.maxMembers}`);
  }
  w.varint(ids.length);
  for (const id of ids) writeId(w, id, limits);
}

function readIdList(r: ByteReader, limits: CodecLimits): NodeId[] {
  const n = r.count(limits.maxMembers, 2, 'members');
  const ids: NodeId[] = [];
  for (let i = 0; i < n; i++) ids.push(readId(r, limits));
  return ids;
}

function writeSnapshot(w: ByteWriter, s: Snapshot, limits: CodecLimits): void {
  w.varint(s.metadata.index);
  w.varint(s.metadata.term);
  const c = s.metadata.confState;
  writeIdList(w, c.voters, limits);
  writeIdList(w, c.learners, limits);
  writeIdList(w, c.votersOutgoing, limits);
  writeIdList(w, c.learnersNext, limits);
  w.bool(c.autoLeave);
  w.bytes(s.data);
}

function readSnapshot(r: ByteReader, limits: CodecLimits): Snapshot {
  const index = r.varint();
  const term = r.varint();
  const confState: ConfState = {
    voters: readIdList(r, limits),
    learners: readIdList(r, limits),
    votersOutgoing: readIdList(r, limits),
    learnersNext: readIdList(r, limits),
    autoLeave: r.bool(),
  };
  // The image is the bulk of the buffer: keep a view instead of a second copy.
  const data = r.bytes(limits.maxMessageBytes, false);
  return { metadata: { index, term, confState }, data };
}

// ---- Batches: several encoded messages in one MQTT payload. ----

const BATCH_TAG = 0x80;

/** Most messages in one batch payload. */
export const MAX_BATCH_MESSAGES = 4096;

/** Frames already-encoded messages into one payload: [version][0x80][count]([len][message])*. */
export function encodeBatch(encoded: readonly Uint8Array[], maxBytes: number): Uint8Array {
  let size = 2 + 8;
  for (const m of encoded) size += m.byteLength + 8;
  const w = new ByteWriter(maxBytes, Math.min(size, maxBytes));
  w.u8(CODEC_VERSION);
  w.u8(BATCH_TAG);
  if (encoded.length > MAX_BATCH_MESSAGES) throw new CodecError('CODEC_TOO_LARGE', 'too many messages in one batch');
  w.varint(encoded.length);
  for (const m of encoded) w.bytes(m);
  return w.finish();
}

/** Splits a batch payload into message views (decode each with decodeMessage). */
export function decodeBatch(input: Uint8Array, maxBytes: number): Uint8Array[] {
  return guardDecode(() => {
    if (input.byteLength > maxBytes) throw new CodecError('CODEC_TOO_LARGE', `payload of ${input.byteLength} bytes exceeds ${maxBytes}`);
    const r = new ByteReader(input);
    const version = r.u8();
    if (version !== CODEC_VERSION) throw new CodecError('CODEC_UNKNOWN_VERSION', `codec version ${version}`);
    const tag = r.u8();
    if (tag !== BATCH_TAG) throw new CodecError('CODEC_UNKNOWN_TYPE', `expected a batch, got tag ${tag}`);
    const n = r.count(MAX_BATCH_MESSAGES, 1, 'messages');
    const out: Uint8Array[] = [];
    for (let i = 0; i < n; i++) out.push(r.bytes(maxBytes, false));
    r.end();
    return out;
  });
}

/** Bytes a batch adds around its messages (upper bound), for size accounting. */
export function batchOverhead(messages: number): number {
  return 2 + 8 + messages * 8;
}
