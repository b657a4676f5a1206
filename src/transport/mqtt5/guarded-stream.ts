// The stream aedes reads a v3.1.1/v3.1 client through: the client's socket, with the bytes the
// front end already read replayed first, and every later packet checked by a FrameGuard so an
// oversized packet closes the connection before aedes's parser buffers it.
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { ConnectionError } from './errors.ts';
import type { FrameGuard } from './frame-guard.ts';

export class GuardedStream extends Duplex {
  readonly #socket: Socket;
  readonly #guard: FrameGuard;
  readonly #onViolation: (error: ConnectionError) => void;
  #pendingWrite: ((error?: Error | null) => void) | null = null;

  constructor(socket: Socket, initial: Buffer, guard: FrameGuard, onViolation: (error: ConnectionError) => void) {
    // Readable side holds at most 64 KiB before the socket is paused; writable side 16 KiB
    // before aedes is told to wait for 'drain'.
    super({ readableHighWaterMark: 64 * 1024, writableHighWaterMark: 16 * 1024 });
    this.#socket = socket;
    this.#guard = guard;
    this.#onViolation = onViolation;
    socket.on('data', (chunk: Buffer) => this.#accept(chunk));
    socket.on('end', () => this.push(null));
    socket.on('drain', () => this.#flushPending(null));
    socket.on('close', () => {
      this.#flushPending(new Error('connection closed'));
      this.destroy();
    });
    socket.on('error', () => { /* 'close' follows and ends this stream */ });
    if (initial.length > 0) this.#accept(initial);
  }

  #accept(chunk: Buffer): void {
    if (this.destroyed) return;
    try {
      this.#guard.check(chunk);
    } catch (error) {
      const e = error instanceof ConnectionError ? error : new ConnectionError('MALFORMED_PACKET', String(error));
      this.#socket.destroy();
      this.destroy();
      this.#onViolation(e);
      return;
    }
    if (!this.push(chunk)) this.#socket.pause();
  }

  #flushPending(error: Error | null): void {
    const callback = this.#pendingWrite;
    this.#pendingWrite = null;
    callback?.(error);
  }

  override _read(): void {
    this.#socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#socket.destroyed) return callback(new Error('connection closed'));
    if (this.#socket.write(chunk)) callback();
    else this.#pendingWrite = callback;
  }

  // aedes writes each packet in pieces (header, length, topic, payload) under cork();
  // handing them to the socket as one buffer makes one syscall instead of one per piece.
  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this._write(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)), 'binary', callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#socket.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#flushPending(error ?? new Error('connection closed'));
    this.#socket.destroy();
    callback(error);
  }
}
