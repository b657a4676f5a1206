// Streaming a snapshot to a peer in chunks, and installing one received that way.
// Memory: the reader holds one chunk; the receiver holds one chunk while
// writing, and the image only once, after it verified.
import * as path from 'node:path';
import { crc32 } from './crc32.ts';
import { StorageError } from './errors.ts';
import type { StorageFile } from './fs-layer.ts';
import { encodeHeader, parseMeta, PREAMBLE_BYTES, readPreamble, type SnapshotHeader } from './snapshot-format.ts';
import { snapshotFileName, SNAPSHOT_TEMP_SUFFIX, type SnapshotFile, type SnapshotStore } from './snapshot-store.ts';
import type { Snapshot } from '../raft/types.ts';

export interface SnapshotChunk {
  /** Byte offset of `data` within the image. */
  readonly offset: number;
  readonly data: Uint8Array;
}

/** Reads a stored snapshot's image in chunks of at most `chunkBytes`; the header comes first (metadata, size, crc). */
export async function openSnapshotReader(store: SnapshotStore, file: SnapshotFile, chunkBytes: number): Promise<SnapshotReader> {
  const f = await store.fs.open(store.pathOf(file), 'read');
  try {
    const pre = new Uint8Array(PREAMBLE_BYTES);
    const p = readPreamble(pre.subarray(0, await f.read(pre, 0)));
    if (typeof p === 'string') throw new Error(p);
    const meta = new Uint8Array(p.metaLen);
    if ((await f.read(meta, PREAMBLE_BYTES)) !== p.metaLen) throw new Error('truncated metadata');
    const header = parseMeta(meta, p.metaCrc);
    if (typeof header === 'string') throw new Error(header);
    return new SnapshotReader(f, header, PREAMBLE_BYTES + p.metaLen, Math.max(1, chunkBytes));
  } catch (e) {
    await f.close();
    throw new StorageError('SNAPSHOT_CORRUPT', `cannot stream ${file.file}: ${(e as Error).message}`, { cause: e });
  }
}

export class SnapshotReader {
  constructor(
    private readonly file: StorageFile,
    readonly header: SnapshotHeader,
    private readonly dataStart: number,
    private readonly chunkBytes: number,
  ) {}

  /** Yields the image in order; throws SNAPSHOT_CORRUPT at the end if the bytes read do not match the checksum. */
  async *chunks(): AsyncGenerator<SnapshotChunk> {
    let offset = 0;
    let crc = 0;
    while (offset < this.header.size) {
      const buf = new Uint8Array(Math.min(this.chunkBytes, this.header.size - offset));
      const n = await this.file.read(buf, this.dataStart + offset);
      if (n !== buf.length) throw new StorageError('SNAPSHOT_CORRUPT', `snapshot file ended at image byte ${offset + n} of ${this.header.size}`);
      crc = crc32(buf, crc);
      yield { offset, data: buf };
      offset += n;
    }
    if (crc !== this.header.crc) throw new StorageError('SNAPSHOT_CORRUPT', 'snapshot image checksum mismatch while streaming');
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

/** Writes chunks received in order to a temp file; finish() verifies size and checksum and installs atomically. */
export class SnapshotReceiver {
  private received = 0;
  private crc = 0;
  private done = false;

  private constructor(
    private readonly store: SnapshotStore,
    readonly header: SnapshotHeader,
    private readonly file: StorageFile,
    private readonly temp: string,
    private readonly dataStart: number,
  ) {}

  static async begin(store: SnapshotStore, header: SnapshotHeader): Promise<SnapshotReceiver> {
    const name = snapshotFileName(header.metadata.index, header.metadata.term);
    const temp = path.join(store.dir, `incoming-${name}${SNAPSHOT_TEMP_SUFFIX}`);
    await store.fs.unlink(temp).catch(() => {});
    const file = await store.fs.open(temp, 'create');
    const encoded = encodeHeader(header);
    await file.write(encoded, 0);
    return new SnapshotReceiver(store, header, file, temp, encoded.length);
  }

  get bytesReceived(): number {
    return this.received;
  }

  async write(chunk: SnapshotChunk): Promise<void> {
    if (this.done) throw invalid('receiver already finished');
    if (chunk.offset !== this.received) {
      await this.abort();
      throw invalid(`chunk at offset ${chunk.offset}, expected ${this.received}`);
    }
    if (this.received + chunk.data.length > this.header.size) {
      await this.abort();
      throw invalid(`chunk runs past the announced size ${this.header.size}`);
    }
    await this.file.write(chunk.data, this.dataStart + this.received);
    this.crc = crc32(chunk.data, this.crc);
    this.received += chunk.data.length;
  }

  /** Verifies, fsyncs and installs the snapshot; returns it with its image (read back once). */
  async finish(): Promise<Snapshot> {
    if (this.done) throw invalid('receiver already finished');
    if (this.received !== this.header.size) {
      await this.abort();
      throw invalid(`received ${this.received} of ${this.header.size} bytes`);
    }
    if (this.crc !== this.header.crc) {
      await this.abort();
      throw invalid('image checksum mismatch');
    }
    await this.file.sync();
    await this.file.close();
    this.done = true;
    const { index, term } = this.header.metadata;
    const installed = await this.store.install(this.temp, snapshotFileName(index, term), index, term);
    const bytes = await this.store.fs.readFile(this.store.pathOf(installed));
    return { metadata: this.header.metadata, data: new Uint8Array(bytes.buffer, bytes.byteOffset + bytes.length - this.header.size, this.header.size) };
  }

  /** Drops the partial transfer. */
  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.file.close().catch(() => {});
    await this.store.fs.unlink(this.temp).catch(() => {});
  }
}

function invalid(reason: string): StorageError {
  return new StorageError('SNAPSHOT_TRANSFER_INVALID', `snapshot transfer rejected: ${reason}`);
}
