// The in-memory stream aedes sees as the connection of an MQTT 5 client: what the adapter
// pushes is read by aedes as MQTT 3.1.1 bytes, and what aedes writes goes back to the adapter.
import { Duplex } from 'node:stream';

export interface AedesLinkEnds {
  /** aedes wrote bytes; call done when they are passed on (delaying it is the backpressure). */
  fromAedes(chunk: Buffer, done: (error?: Error | null) => void): void;
  /** aedes is ready for more bytes: resume reading the client. */
  aedesWantsMore(): void;
  /** aedes ended or destroyed the connection. */
  aedesClosed(): void;
}

export class AedesLink extends Duplex {
  readonly #ends: AedesLinkEnds;

  constructor(ends: AedesLinkEnds) {
    // Both sides are bounded: 64 KiB toward aedes before the client socket is paused,
    // 16 KiB from aedes before aedes waits for 'drain'.
    super({ readableHighWaterMark: 64 * 1024, writableHighWaterMark: 16 * 1024 });
    this.#ends = ends;
  }

  /** Hands bytes to aedes; false means pause the client until aedesWantsMore. */
  toAedes(bytes: Buffer): boolean {
    if (this.destroyed || this.readableEnded) return false;
    return this.push(bytes);
  }

  override _read(): void {
    this.#ends.aedesWantsMore();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#ends.fromAedes(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#ends.aedesClosed();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#ends.aedesClosed();
    callback(error);
  }
}
