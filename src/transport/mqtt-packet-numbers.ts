// Two caches of mqtt-packet are kept from growing the board's memory.
//
// mqtt-packet pre-generates a 2-byte Buffer for every 16-bit number on its
// first write: 65,536 Buffer objects, ~7 MiB of V8 heap on every board (a
// heap snapshot of a running leader showed them as the largest group of
// objects). The board writes those numbers on the fly instead: one small
// pooled allocation per packet id or length, next to the packet's own bytes.
//
// Its cache of "remaining length" encodings: see mqtt-packet-varbyteint.ts,
// imported before mqtt-packet so that its writer uses the bounded encoder.
import { isOwnEncoding } from './mqtt-packet-varbyteint.ts';
import { writeToStream } from 'mqtt-packet';

writeToStream.cacheNumbers = false;

/**
 * Writes a packet and checks that its length came from the bounded encoder;
 * throws if mqtt-packet was loaded before the encoder was replaced (an
 * import-order mistake that would bring the slab-pinning cache back).
 */
export function verifyVarByteIntEncoder(): void {
  const written: Buffer[] = [];
  const sink = { write: (b: Buffer): boolean => (written.push(b), true), cork() {}, uncork() {}, destroy() {} };
  writeToStream({ cmd: 'publish', topic: 't', payload: Buffer.alloc(7), qos: 0, retain: false, dup: false }, sink as unknown as NodeJS.WritableStream);
  if (!written.some(isOwnEncoding)) {
    throw new Error('mqtt-packet was loaded before its length encoder was replaced: import src/transport/mqtt-packet-varbyteint.ts first');
  }
}

/** True when mqtt-packet writes numbers without its 65,536-entry cache. */
export function numberCacheDisabled(): boolean {
  return !writeToStream.cacheNumbers;
}
