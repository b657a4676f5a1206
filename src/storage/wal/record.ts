// WAL record framing and payloads.
//
// Frame: [len u32][~len u32][crc u32][type u8][payload]   (little endian)
//   len = 1 + payload length; ~len guards the length itself (a flipped length
//   bit is caught before it sends the reader astray); crc = CRC-32 of type+payload.
import { crc32 } from '../crc32.ts';
import { StorageError } from '../errors.ts';
import type { Entry, HardState } from '../../raft/types.ts';

export const FRAME_HEADER_BYTES = 12;
/** Cap on one record (an entry's data plus framing): larger entries are refused, not written. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;
const SEGMENT_MAGIC = 0x52_4c_57_31; // "RLW1"
const SEGMENT_VERSION = 1;

export const RecordType = { segmentHeader: 1, entry: 2, hardState: 3, snapshot: 4 } as const;

export interface SegmentHeaderRecord { readonly type: 'segment-header'; readonly seq: number; readonly firstIndex: number }
export interface EntryRecord { readonly type: 'entry'; readonly entry: Entry }
export interface HardStateRecord { readonly type: 'hard-state'; readonly hardState: HardState }
/** A snapshot was installed at (index, term): on replay the log restarts there unless it already holds that entry. */
export interface SnapshotRecord { readonly type: 'snapshot'; readonly index: number; readonly term: number }
export type WalRecord = SegmentHeaderRecord | EntryRecord | HardStateRecord | SnapshotRecord;

const TWO_32 = 0x1_0000_0000;
function putU64(view: DataView, at: number, n: number): void {
  view.setUint32(at, Math.floor(n / TWO_32), true);
  view.setUint32(at + 4, n >>> 0, true);
}
function getU64(view: DataView, at: number): number {
  return view.getUint32(at, true) * TWO_32 + view.getUint32(at + 4, true);
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

function frame(type: number, payloadBytes: number, fill: (view: DataView, body: Uint8Array) => void): Uint8Array {
  const len = 1 + payloadBytes;
  if (len + FRAME_HEADER_BYTES > MAX_RECORD_BYTES) {
    throw new StorageError('WAL_RECORD_TOO_LARGE', `WAL record of ${len} bytes exceeds the ${MAX_RECORD_BYTES}-byte cap`);
  }
  const out = new Uint8Array(FRAME_HEADER_BYTES + len);
  const view = new DataView(out.buffer);
  view.setUint32(0, len, true);
  view.setUint32(4, ~len >>> 0, true);
  out[FRAME_HEADER_BYTES] = type;
  const body = out.subarray(FRAME_HEADER_BYTES);
  fill(new DataView(out.buffer, FRAME_HEADER_BYTES + 1), body);
  view.setUint32(8, crc32(body), true);
  return out;
}

export function encodeSegmentHeader(seq: number, firstIndex: number): Uint8Array {
  return frame(RecordType.segmentHeader, 21, (v) => {
    v.setUint32(0, SEGMENT_MAGIC, true);
    v.setUint8(4, SEGMENT_VERSION);
    putU64(v, 5, seq);
    putU64(v, 13, firstIndex);
  });
}

export function encodeEntry(e: Entry): Uint8Array {
  return frame(RecordType.entry, 17 + e.data.length, (v, body) => {
    putU64(v, 0, e.index);
    putU64(v, 8, e.term);
    v.setUint8(16, e.type === 'conf-change' ? 1 : 0);
    body.set(e.data, 18);
  });
}

export function encodeHardState(hs: HardState): Uint8Array {
  const vote = hs.vote === null ? null : textEncoder.encode(hs.vote);
  if (vote !== null && vote.length >= 0xffff) throw new StorageError('WAL_RECORD_TOO_LARGE', 'vote id too long');
  return frame(RecordType.hardState, 18 + (vote?.length ?? 0), (v, body) => {
    putU64(v, 0, hs.term);
    putU64(v, 8, hs.commit);
    v.setUint16(16, vote === null ? 0xffff : vote.length, true);
    if (vote !== null) body.set(vote, 19);
  });
}

export function encodeSnapshotMarker(index: number, term: number): Uint8Array {
  return frame(RecordType.snapshot, 16, (v) => {
    putU64(v, 0, index);
    putU64(v, 8, term);
  });
}

/** Outcome of reading the frame at `offset`: a record and its size, or why it is not one. */
export type FrameResult =
  | { readonly ok: true; readonly record: WalRecord; readonly size: number }
  | { readonly ok: false; readonly reason: string };

/** Decodes the frame at `offset` of `buf`; never throws on bad bytes. */
export function decodeFrame(buf: Uint8Array, offset: number): FrameResult {
  const remaining = buf.length - offset;
  if (remaining < FRAME_HEADER_BYTES) return { ok: false, reason: 'incomplete record header' };
  const view = new DataView(buf.buffer, buf.byteOffset + offset);
  const len = view.getUint32(0, true);
  if ((~len >>> 0) !== view.getUint32(4, true) || len < 1 || len + FRAME_HEADER_BYTES > MAX_RECORD_BYTES) {
    return { ok: false, reason: 'bad record length' };
  }
  if (remaining < FRAME_HEADER_BYTES + len) return { ok: false, reason: 'record extends past end of file' };
  const body = buf.subarray(offset + FRAME_HEADER_BYTES, offset + FRAME_HEADER_BYTES + len);
  if (crc32(body) !== view.getUint32(8, true)) return { ok: false, reason: 'record checksum mismatch' };
  const record = decodeBody(body);
  if (record === null) return { ok: false, reason: 'malformed record payload' };
  return { ok: true, record, size: FRAME_HEADER_BYTES + len };
}

function decodeBody(body: Uint8Array): WalRecord | null {
  const v = new DataView(body.buffer, body.byteOffset + 1, body.length - 1);
  const n = body.length - 1;
  switch (body[0]) {
    case RecordType.segmentHeader:
      if (n !== 21 || v.getUint32(0, true) !== SEGMENT_MAGIC || v.getUint8(4) !== SEGMENT_VERSION) return null;
      return { type: 'segment-header', seq: getU64(v, 5), firstIndex: getU64(v, 13) };
    case RecordType.entry: {
      if (n < 17 || v.getUint8(16) > 1) return null;
      const entry: Entry = {
        index: getU64(v, 0),
        term: getU64(v, 8),
        type: v.getUint8(16) === 1 ? 'conf-change' : 'normal',
        data: body.slice(18), // a copy: the segment buffer is not retained
      };
      return { type: 'entry', entry };
    }
    case RecordType.hardState: {
      if (n < 18) return null;
      const voteLen = v.getUint16(16, true);
      let vote: string | null = null;
      if (voteLen !== 0xffff) {
        if (n !== 18 + voteLen) return null;
        try {
          vote = textDecoder.decode(body.subarray(19));
        } catch {
          return null;
        }
      } else if (n !== 18) return null;
      return { type: 'hard-state', hardState: { term: getU64(v, 0), commit: getU64(v, 8), vote } };
    }
    case RecordType.snapshot:
      if (n !== 16) return null;
      return { type: 'snapshot', index: getU64(v, 0), term: getU64(v, 8) };
    default:
      return null;
  }
}
