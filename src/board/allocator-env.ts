// The environment a board process should start with. glibc's allocator
// reads these once, when the process starts and before any of the board's
// code runs, so the board cannot set them for itself (a re-exec would cost a
// second start-up); whoever starts a board does: the service unit in
// docs/operations.md, `raftlight dev-cluster` and `raftlight bench`.
// Values an operator already set are kept.
//
// Why these (measured: docs/bench/README.md):
//   MALLOC_ARENA_MAX=1        one arena for all threads. Each thread that
//                             mallocs (libuv's workers, V8's) otherwise gets
//                             its own arena, which keeps its own free memory.
//   MALLOC_MMAP_THRESHOLD_    allocations from this size up get their own
//                             mapping, returned to the kernel when freed.
//                             Setting it also stops glibc from raising the
//                             threshold after each large free (up to 32 MiB),
//                             which sends the next large buffers (database
//                             copies, socket reads) into the heap, where the
//                             holes they leave stay resident.
//   MALLOC_TRIM_THRESHOLD_    free memory at the top of the heap beyond this
//                             is given back to the kernel.
export const BOARD_ALLOCATOR_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '1',
  MALLOC_MMAP_THRESHOLD_: '65536',
  MALLOC_TRIM_THRESHOLD_: '131072',
};

/** `env` with the board's allocator settings added where not already set. */
export function withAllocatorEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const [key, value] of Object.entries(BOARD_ALLOCATOR_ENV)) if (out[key] === undefined) out[key] = value;
  return out;
}

/** "K=V K2=V2" (the bench's --board-env) as an environment; "none" or "" is none. */
export function parseEnvAssignments(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (text.trim() === '' || text.trim() === 'none') return out;
  for (const item of text.trim().split(/\s+/)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(item);
    if (!m) throw new Error(`"${item}" is not NAME=value`);
    out[m[1]!] = m[2]!;
  }
  return out;
}
