// Shared test helpers: deterministic entries and a fault-injecting fs layer.
import { nodeFs, type StorageFile, type StorageFs } from '../../src/storage/fs-layer.ts';
import type { Entry } from '../../src/raft/types.ts';

/** Entry whose bytes are derived from (index, term), so content can be checked after recovery. */
export function entry(index: number, term = 1, size = 32): Entry {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (index * 31 + term * 7 + i) & 0xff;
  return { index, term, type: 'normal', data };
}

export function entries(from: number, to: number, term = 1, size = 32): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term, size));
  return out;
}

export interface FaultyFs extends StorageFs {
  fsyncs: number;
  /** When set, a write fails with this errno after writing `partial` bytes of it. */
  failWrites: { code: string; partial: number } | null;
}

export function faultyFs(): FaultyFs {
  const state: FaultyFs = {
    ...nodeFs,
    fsyncs: 0,
    failWrites: null,
    async open(path, mode) {
      const inner = await nodeFs.open(path, mode);
      const wrapped: StorageFile = {
        ...inner,
        read: (into, pos) => inner.read(into, pos),
        truncate: (n) => inner.truncate(n),
        size: () => inner.size(),
        close: () => inner.close(),
        async write(data, position) {
          const f = state.failWrites;
          if (f !== null) {
            if (f.partial > 0) await inner.write(data.subarray(0, Math.min(f.partial, data.length)), position);
            throw Object.assign(new Error(`${f.code}: simulated`), { code: f.code });
          }
          await inner.write(data, position);
        },
        async sync() {
          state.fsyncs++;
          await inner.sync();
        },
      };
      return wrapped;
    },
  };
  return state;
}
