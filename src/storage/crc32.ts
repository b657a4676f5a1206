// CRC-32 (IEEE 802.3, the zlib/PNG polynomial). Node >= 20.15 ships a native
// zlib.crc32; older runtimes use the table below. Both give identical results.
import * as zlib from 'node:zlib';

const TABLE = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** Table-driven CRC-32; `previous` continues a running checksum. */
export function crc32Table(data: Uint8Array, previous = 0): number {
  let crc = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) crc = TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

type NativeCrc = (data: Uint8Array, value?: number) => number;
const native: NativeCrc | undefined = (zlib as unknown as { crc32?: NativeCrc }).crc32;

/** CRC-32 of `data`, continuing from `previous` (0 to start). */
export const crc32: (data: Uint8Array, previous?: number) => number =
  typeof native === 'function' ? (data, previous = 0) => native(data, previous) >>> 0 : crc32Table;
