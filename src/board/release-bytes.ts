// A database image (a snapshot read at start: the whole database, 2 MiB once
// the request-id and change windows are full) lives in an ArrayBuffer outside
// V8's heap, freed only when a collection finds nothing refers to it; the
// state machine copies it, so once restored it is garbage (the board core
// drops its reference). Detaching the buffer frees the memory at once,
// where the array owns its buffer (an image a board made itself; a snapshot
// read from disk is a view into the file's bytes and waits for the collector).

/**
 * Frees the memory of a byte array nothing else will read, when it owns its
 * whole buffer (a view into a shared buffer is left alone). After this the
 * array is empty. Needs ArrayBuffer.prototype.transfer (Node 22, the
 * images); elsewhere it does nothing and the collector frees it later.
 */
export function releaseBytes(bytes: Uint8Array): boolean {
  const buffer = bytes.buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer };
  if (typeof buffer.transfer !== 'function' || bytes.byteOffset !== 0 || bytes.byteLength !== buffer.byteLength || bytes.byteLength === 0) return false;
  buffer.transfer(0);
  return true;
}
