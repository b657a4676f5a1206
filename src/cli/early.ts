// Imported by main.ts right after image-guard.ts, before any other module:
// what must be in place before any other module (or the runtime) uses it.
// - mqtt-packet's length encoder, replaced before mqtt-packet's writer takes
//   a reference to it (src/transport/mqtt-packet-varbyteint.ts).
// - the size of libuv's thread pool, which libuv reads from the environment
//   when the pool first starts (the first file system call). A board's pool
//   runs the write-ahead log's writes and fsyncs and the snapshot files: two
//   threads let an fsync and a snapshot write overlap; the default four
//   threads add two stacks and two sets of per-thread allocator caches for
//   nothing. An operator's own UV_THREADPOOL_SIZE is kept when running from
//   the sources; the image drops it with node's other environment hooks
//   (image-guard.ts) unless RAFTLIGHT_ALLOW_NODE_ENV=1.
import '../transport/mqtt-packet-varbyteint.ts';

/** libuv threads of a board (see above). */
export const BOARD_THREADPOOL_SIZE = 2;

process.env['UV_THREADPOOL_SIZE'] ??= String(BOARD_THREADPOOL_SIZE);
