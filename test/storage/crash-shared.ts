// What the crash child writes, so the parent can check every byte after recovery.
import type { Entry } from '../../src/raft/types.ts';
import type { OpenDataDirOptions } from '../../src/storage/open.ts';

export function crashOptions(dir: string): OpenDataDirOptions {
  return { dir, segmentBytes: 16 * 1024, policy: { maxEntries: 300, keepEntries: 20 } };
}

export function crashEntry(index: number): Entry {
  const size = 16 + ((index * 7919) % 400);
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (index * 131 + i * 17) & 0xff;
  return { index, term: 1, type: 'normal', data };
}

export function crashImage(index: number): Uint8Array {
  return new TextEncoder().encode(`image-at-${index}`.repeat(50));
}

/** mulberry32: small seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
