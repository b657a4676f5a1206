// mqtt-packet keeps the encoding of every MQTT "remaining length" below
// 16,384 it has ever written, each one a 1-2 byte slice of Node's shared
// 8 KiB Buffer pool, so every cached length keeps a whole pool slab alive.
// A board writes Raft messages of ever new lengths: a heap snapshot of a
// leader after 5 minutes of bursts showed 409 cached lengths holding 3.3 MiB
// of slabs, and the set only grows (up to 16,384 lengths, 128 MiB). The
// encoder is replaced here, before mqtt-packet's writer takes its reference
// to it (at its first import; this module must be imported before aedes,
// mqtt or mqtt-packet, see verifyVarByteIntEncoder): lengths below the cache
// bound are encoded once into a dedicated slab (two bytes each at most:
// 32 KiB for all of them), longer ones get a fresh buffer that nothing keeps.
import numbers from 'mqtt-packet/numbers.js';

/** mqtt-packet caches the encodings of lengths below this. */
export const CACHED_LENGTHS = 16_384;
const SLAB_BYTES = 8 * 1024;

const cached: (Buffer | undefined)[] = [];
let slab = Buffer.alloc(0);
let slabUsed = 0;
const slabs: Buffer[] = [];

/** MQTT variable byte integer (1-4 bytes, 7 bits each, high bit = more). */
export function encodeVarByteInt(num: number, into: Buffer, at = 0): number {
  let n = num;
  let pos = at;
  do {
    let digit = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) digit |= 0x80;
    into[pos++] = digit;
  } while (n > 0 && pos - at < 4);
  return pos - at;
}

function varByteInt(num: number): Buffer {
  if (!(num >= 0 && num < CACHED_LENGTHS && Number.isInteger(num))) {
    const out = Buffer.allocUnsafe(4);
    return out.subarray(0, encodeVarByteInt(num, out));
  }
  const hit = cached[num];
  if (hit !== undefined) return hit;
  if (slabUsed + 2 > slab.length) {
    // Bounded: CACHED_LENGTHS x 2 bytes = 4 slabs at most.
    slab = Buffer.alloc(SLAB_BYTES);
    slabs.push(slab);
    slabUsed = 0;
  }
  const n = encodeVarByteInt(num, slab, slabUsed);
  const view = slab.subarray(slabUsed, slabUsed + n);
  slabUsed += n;
  cached[num] = view;
  return view;
}

numbers.genBufVariableByteInt = varByteInt;

/** Whether a buffer is one of the encodings kept here (so mqtt-packet's cache holds only these). */
export function isOwnEncoding(buf: Buffer): boolean {
  return slabs.some((s) => s.buffer === buf.buffer);
}
