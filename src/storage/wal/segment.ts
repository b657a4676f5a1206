// Segment files: naming and validated scanning of one segment's bytes.
import { decodeFrame, type WalRecord } from './record.ts';
import { WalCorruptError } from '../errors.ts';

/** `<seq>-<firstIndex>.wal`, both 16 zero-padded decimal digits: seq orders segments, firstIndex names the first entry expected. */
const SEGMENT_NAME = /^(\d{16})-(\d{16})\.wal$/;
export const TEMP_SUFFIX = '.tmp';

export interface SegmentName { readonly file: string; readonly seq: number; readonly firstIndex: number }

export function segmentFileName(seq: number, firstIndex: number): string {
  return `${String(seq).padStart(16, '0')}-${String(firstIndex).padStart(16, '0')}.wal`;
}

export function parseSegmentName(file: string): SegmentName | null {
  const m = SEGMENT_NAME.exec(file);
  return m === null ? null : { file, seq: Number(m[1]), firstIndex: Number(m[2]) };
}

export interface ScanResult {
  /** Bytes of valid records from the start of the file. */
  readonly validBytes: number;
  /** Set when a torn tail was found (only possible for the last segment). */
  readonly tornTail: { readonly offset: number; readonly reason: string } | null;
}

/**
 * Walks the records of a segment, calling `onRecord` for each valid one.
 * A bad record followed by nothing decodable is a torn tail: allowed only in
 * the last segment (the one being written when the process stopped). A bad
 * record with a valid record anywhere after it is corruption of acknowledged
 * data, and so is any bad record in an earlier segment: both throw.
 */
export function scanSegment(
  buf: Uint8Array,
  name: SegmentName,
  isLast: boolean,
  onRecord: (record: WalRecord, offset: number) => void,
): ScanResult {
  let offset = 0;
  // An empty segment has lost even its header: the last one is repaired by the WAL (a header is
  // written again), an earlier one is corruption.
  if (buf.length === 0) {
    if (!isLast) throw new WalCorruptError('WAL_CORRUPT', name.file, 0, 'segment is empty (its header is gone)');
    return { validBytes: 0, tornTail: { offset: 0, reason: 'segment is empty (its header is gone)' } };
  }
  while (offset < buf.length) {
    const r = decodeFrame(buf, offset);
    if (r.ok) {
      if (offset === 0) checkHeader(r.record, name);
      else if (r.record.type === 'segment-header') throw new WalCorruptError('WAL_CORRUPT', name.file, offset, 'unexpected segment header');
      onRecord(r.record, offset);
      offset += r.size;
      continue;
    }
    if (offset === 0) throw new WalCorruptError('WAL_CORRUPT', name.file, 0, `segment header unreadable: ${r.reason}`);
    if (!isLast) throw new WalCorruptError('WAL_CORRUPT', name.file, offset, r.reason);
    const later = findValidFrame(buf, offset + 1);
    if (later !== -1) {
      throw new WalCorruptError('WAL_CORRUPT', name.file, offset, `${r.reason}, with a valid record after it at offset ${later}`);
    }
    return { validBytes: offset, tornTail: { offset, reason: r.reason } };
  }
  return { validBytes: offset, tornTail: null };
}

function checkHeader(record: WalRecord, name: SegmentName): void {
  if (record.type !== 'segment-header') throw new WalCorruptError('WAL_CORRUPT', name.file, 0, 'first record is not a segment header');
  if (record.seq !== name.seq || record.firstIndex !== name.firstIndex) {
    throw new WalCorruptError('WAL_CORRUPT', name.file, 0, `segment header (seq ${record.seq}, first index ${record.firstIndex}) does not match the file name`);
  }
}

/** Offset of the first decodable frame at or after `from`, or -1. */
function findValidFrame(buf: Uint8Array, from: number): number {
  for (let at = from; at < buf.length; at++) if (decodeFrame(buf, at).ok) return at;
  return -1;
}
