// Snapshot file format: one self-checking file per snapshot.
//   "RLSNAP01" | metaLen u32 LE | metaCrc u32 LE | meta JSON | data
//   meta = { index, term, confState, size, crc }  (crc = CRC-32 of data)
import { crc32 } from './crc32.ts';
import type { ConfState, SnapshotMetadata } from '../raft/types.ts';

const MAGIC = new TextEncoder().encode('RLSNAP01');
export const PREAMBLE_BYTES = 16;
/** Cap on the metadata block (membership lists are small); larger means a corrupt file. */
export const MAX_META_BYTES = 1024 * 1024;

export interface SnapshotHeader {
  readonly metadata: SnapshotMetadata;
  /** Byte length of the state-machine image. */
  readonly size: number;
  /** CRC-32 of the image. */
  readonly crc: number;
}

export function encodeHeader(h: SnapshotHeader): Uint8Array {
  const meta = new TextEncoder().encode(JSON.stringify({ index: h.metadata.index, term: h.metadata.term, confState: h.metadata.confState, size: h.size, crc: h.crc }));
  const out = new Uint8Array(PREAMBLE_BYTES + meta.length);
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, meta.length, true);
  view.setUint32(12, crc32(meta), true);
  out.set(meta, PREAMBLE_BYTES);
  return out;
}

/** Length of the metadata block, or an error string; `preamble` is the file's first 16 bytes. */
export function readPreamble(preamble: Uint8Array): { metaLen: number; metaCrc: number } | string {
  if (preamble.length < PREAMBLE_BYTES) return 'file shorter than its preamble';
  for (let i = 0; i < MAGIC.length; i++) if (preamble[i] !== MAGIC[i]) return 'bad magic';
  const view = new DataView(preamble.buffer, preamble.byteOffset, PREAMBLE_BYTES);
  const metaLen = view.getUint32(8, true);
  if (metaLen > MAX_META_BYTES) return 'metadata length out of range';
  return { metaLen, metaCrc: view.getUint32(12, true) };
}

export function parseMeta(meta: Uint8Array, expectedCrc: number): SnapshotHeader | string {
  if (crc32(meta) !== expectedCrc) return 'metadata checksum mismatch';
  try {
    const v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(meta)) as Record<string, unknown>;
    const cs = v.confState as Record<string, unknown> | undefined;
    if (!isCount(v.index) || !isCount(v.term) || !isCount(v.size) || !isCount(v.crc) || cs === undefined || !isConfState(cs)) return 'malformed metadata';
    return { metadata: { index: v.index, term: v.term, confState: cs }, size: v.size, crc: v.crc };
  } catch {
    return 'malformed metadata';
  }
}

/** Parses and verifies a whole snapshot file held in memory; the image is a view into `file`. */
export function decodeSnapshotFile(file: Uint8Array): { header: SnapshotHeader; data: Uint8Array } | string {
  const pre = readPreamble(file);
  if (typeof pre === 'string') return pre;
  if (file.length < PREAMBLE_BYTES + pre.metaLen) return 'file truncated in metadata';
  const header = parseMeta(file.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + pre.metaLen), pre.metaCrc);
  if (typeof header === 'string') return header;
  // A plain Uint8Array view (not a Buffer), no copy.
  const data = new Uint8Array(file.buffer, file.byteOffset + PREAMBLE_BYTES + pre.metaLen, file.length - PREAMBLE_BYTES - pre.metaLen);
  if (data.length !== header.size) return `image is ${data.length} bytes, metadata says ${header.size}`;
  if (crc32(data) !== header.crc) return 'image checksum mismatch';
  return { header, data };
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isConfState(v: Record<string, unknown>): v is Record<string, unknown> & ConfState {
  const ids = (x: unknown) => Array.isArray(x) && x.every((s) => typeof s === 'string');
  return ids(v.voters) && ids(v.learners) && ids(v.votersOutgoing) && ids(v.learnersNext) && typeof v.autoLeave === 'boolean';
}
