// mqtt-packet pre-generates a 2-byte Buffer for every 16-bit number on its
// first write: 65,536 Buffer objects, ~7 MiB of V8 heap on every board (a
// heap snapshot of a running leader showed them as the largest group of
// objects). The board writes those numbers on the fly instead: one small
// pooled allocation per packet id or length, next to the packet's own bytes.
import { writeToStream } from 'mqtt-packet';

writeToStream.cacheNumbers = false;

/** True when mqtt-packet writes numbers without its 65,536-entry cache. */
export function numberCacheDisabled(): boolean {
  return !writeToStream.cacheNumbers;
}
