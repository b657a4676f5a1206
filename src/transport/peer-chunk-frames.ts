// Frames of the snapshot chunk protocol (topic raftlight/<cluster>/raft/<to>/snap).
//
//   data  [version][1][transfer][seq][totalBytes][chunk bytes]  sender → receiver
//   ack   [version][2][transfer][next]                          receiver → sender: chunks < next are held;
//                                                               next = chunk count means stored and decoded
//   abort [version][3][transfer][reason u8]                     either way: the transfer is over
//   side  [version][4][payload bytes]                           either way: a side message (board telemetry),
//                                                               not Raft traffic; see side-channel.ts
import { ByteReader, ByteWriter, CODEC_VERSION, CodecError, guardDecode } from './codec.ts';

export type AbortReason = 'too-large' | 'busy' | 'unknown-transfer' | 'invalid' | 'cancelled';
const ABORT_REASONS: readonly AbortReason[] = ['too-large', 'busy', 'unknown-transfer', 'invalid', 'cancelled'];

export type ChunkFrame =
  | { readonly kind: 'data'; readonly transfer: number; readonly seq: number; readonly totalBytes: number; readonly chunk: Uint8Array }
  | { readonly kind: 'ack'; readonly transfer: number; readonly next: number }
  | { readonly kind: 'abort'; readonly transfer: number; readonly reason: AbortReason }
  | { readonly kind: 'side'; readonly payload: Uint8Array };

const KIND_DATA = 1;
const KIND_ACK = 2;
const KIND_ABORT = 3;
const KIND_SIDE = 4;

export function encodeChunkFrame(frame: ChunkFrame, maxChunkBytes: number): Uint8Array {
  const body = frame.kind === 'data' ? frame.chunk.byteLength : frame.kind === 'side' ? frame.payload.byteLength : 0;
  const w = new ByteWriter(maxChunkBytes + 64, body + 40);
  w.u8(CODEC_VERSION);
  switch (frame.kind) {
    case 'data':
      w.u8(KIND_DATA);
      w.varint(frame.transfer);
      w.varint(frame.seq);
      w.varint(frame.totalBytes);
      w.bytes(frame.chunk);
      break;
    case 'ack':
      w.u8(KIND_ACK);
      w.varint(frame.transfer);
      w.varint(frame.next);
      break;
    case 'abort':
      w.u8(KIND_ABORT);
      w.varint(frame.transfer);
      w.u8(ABORT_REASONS.indexOf(frame.reason));
      break;
    case 'side':
      w.u8(KIND_SIDE);
      w.bytes(frame.payload);
      break;
  }
  return w.finish();
}

/** Strict decoding; a data chunk or side payload is a view into the input (copy it to keep it). */
export function decodeChunkFrame(input: Uint8Array, maxChunkBytes: number): ChunkFrame {
  return guardDecode(() => {
    if (input.byteLength > maxChunkBytes + 64) throw new CodecError('CODEC_TOO_LARGE', `chunk frame of ${input.byteLength} bytes`);
    const r = new ByteReader(input);
    const version = r.u8();
    if (version !== CODEC_VERSION) throw new CodecError('CODEC_UNKNOWN_VERSION', `chunk frame version ${version}`);
    const kind = r.u8();
    let frame: ChunkFrame;
    if (kind === KIND_DATA) {
      const transfer = r.varint();
      const seq = r.varint();
      const totalBytes = r.varint();
      frame = { kind: 'data', transfer, seq, totalBytes, chunk: r.bytes(maxChunkBytes, false) };
    } else if (kind === KIND_ACK) {
      const transfer = r.varint();
      frame = { kind: 'ack', transfer, next: r.varint() };
    } else if (kind === KIND_ABORT) {
      const transfer = r.varint();
      const reason = ABORT_REASONS[r.u8()];
      if (reason === undefined) throw new CodecError('CODEC_INVALID_FIELD', 'unknown abort reason');
      frame = { kind: 'abort', transfer, reason };
    } else if (kind === KIND_SIDE) {
      frame = { kind: 'side', payload: r.bytes(maxChunkBytes, false) };
    } else {
      throw new CodecError('CODEC_UNKNOWN_TYPE', `chunk frame kind ${kind}`);
    }
    r.end();
    return frame;
  });
}
