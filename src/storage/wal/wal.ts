// Segmented append-only write-ahead log with group commit.
//
// Use from the Ready loop:  await wal.save(ready.hardState, ready.entries, ready.mustSync)
// Saves issued while a batch is being written join the next batch, which is
// written with one write() and made durable with one fsync.
import * as path from 'node:path';
import { nodeFs, type StorageFile, type StorageFs } from '../fs-layer.ts';
import { StorageError, WalCorruptError, WalWriteError } from '../errors.ts';
import { encodeEntry, encodeHardState, encodeSegmentHeader, encodeSnapshotMarker } from './record.ts';
import { parseSegmentName, scanSegment, segmentFileName, TEMP_SUFFIX, type SegmentName } from './segment.ts';
import { LogReplayer, type ReplayedLog } from './replay.ts';
import { emptyHardState, type Entry, type HardState } from '../../raft/types.ts';

export interface WalOptions {
  readonly dir: string;
  /** A segment is closed and a new one started once it reaches this size (default 4 MiB). */
  readonly segmentBytes?: number;
  /** Cap on records buffered but not yet written (default 64 MiB); past it append() throws WAL_BUFFER_FULL. */
  readonly maxBufferedBytes?: number;
  readonly fs?: StorageFs;
  /** Receives recovery notices (torn tail cut off, leftover temp files removed). */
  readonly logger?: (message: string) => void;
}

export interface WalStats {
  readonly segments: number;
  readonly bytesOnDisk: number;
  readonly writes: number;
  readonly fsyncs: number;
}

interface Waiter { resolve: () => void; reject: (e: unknown) => void }
interface Batch { chunks: Uint8Array[]; bytes: number; sync: boolean; waiters: Waiter[]; lastIndex: number; hardState: HardState | null }
interface LiveSegment extends SegmentName { size: number }

export const DEFAULT_SEGMENT_BYTES = 4 * 1024 * 1024;

export class Wal {
  private batch: Batch;
  private draining: Promise<void> | null = null;
  private failure: StorageError | null = null;
  private closed = false;
  private dirty = false;
  private writes = 0;
  private fsyncs = 0;
  /** Last entry index as buffered (append validation) and as written (names the next segment). */
  private bufferedLastIndex: number;
  private writtenLastIndex: number;
  private writtenHardState: HardState;

  private constructor(
    private readonly dir: string,
    private readonly fs: StorageFs,
    private readonly segmentBytes: number,
    private readonly maxBufferedBytes: number,
    private readonly segments: LiveSegment[],
    private file: StorageFile,
    lastIndex: number,
    hardState: HardState,
  ) {
    this.bufferedLastIndex = lastIndex;
    this.writtenLastIndex = lastIndex;
    this.writtenHardState = hardState;
    this.batch = this.newBatch();
  }

  /** Opens (creating if needed) the WAL in `dir` and replays it. Throws WalCorruptError on corruption before the tail. */
  static async open(options: WalOptions): Promise<{ wal: Wal; log: ReplayedLog }> {
    const fs = options.fs ?? nodeFs;
    const log = options.logger ?? (() => {});
    const dir = options.dir;
    await fs.mkdir(dir);
    const names: SegmentName[] = [];
    for (const file of await fs.readdir(dir)) {
      if (file.endsWith(TEMP_SUFFIX)) {
        await fs.unlink(path.join(dir, file));
        log(`wal: removed unfinished segment ${file}`);
        continue;
      }
      const name = parseSegmentName(file);
      if (name !== null) names.push(name);
    }
    names.sort((a, b) => a.seq - b.seq);
    for (let i = 1; i < names.length; i++) {
      if (names[i]!.seq !== names[i - 1]!.seq + 1) {
        throw new WalCorruptError('WAL_SEGMENT_MISSING', path.join(dir, names[i]!.file), 0, `segment seq ${names[i - 1]!.seq + 1} is missing before this one`);
      }
    }

    const replayer = new LogReplayer();
    const segments: LiveSegment[] = [];
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const filePath = path.join(dir, name.file);
      const buf = await fs.readFile(filePath);
      const isLast = i === names.length - 1;
      const scan = scanSegment(buf, { ...name, file: filePath }, isLast, (record, offset) => replayer.apply(record, filePath, offset));
      if (scan.tornTail !== null) {
        const f = await fs.open(filePath, 'existing');
        try {
          await f.truncate(scan.validBytes);
          await f.sync();
        } finally {
          await f.close();
        }
        log(`wal: cut torn tail of ${filePath} at byte offset ${scan.tornTail.offset} (${scan.tornTail.reason}); ${buf.length - scan.validBytes} bytes dropped`);
      }
      segments.push({ ...name, size: scan.validBytes });
    }
    const replayed = replayer.result();
    const lastIndex =
      replayed.entries.length > 0 ? replayed.entries[replayed.entries.length - 1]!.index
      : replayed.snapshot !== null ? replayed.snapshot.index
      : segments.length > 0 ? segments[segments.length - 1]!.firstIndex - 1
      : 0;

    let file: StorageFile;
    if (segments.length === 0) {
      const created = await createSegment(fs, dir, 0, 1, emptyHardState);
      file = created.file;
      segments.push(created.segment);
    } else {
      file = await fs.open(path.join(dir, segments[segments.length - 1]!.file), 'existing');
      const last = segments[segments.length - 1]!;
      if (last.size === 0) {
        // Its header was cut off: write it again (with the hard state as replayed) before appending.
        const header = encodeSegmentHeader(last.seq, last.firstIndex);
        const hs = encodeHardState(replayed.hardState);
        const head = concat([header, hs], header.length + hs.length);
        await file.write(head, 0);
        last.size = head.length;
        log(`wal: rewrote the lost header of ${last.file}`);
      }
      // What an earlier process wrote may still be only in the page cache (it crashed before its
      // fsync): make it durable before building on it, or a later power cut could tear a
      // segment that is no longer the last one (and a torn middle is corruption, not a tail).
      await file.sync();
      await fs.syncDir(dir);
    }
    const wal = new Wal(dir, fs, options.segmentBytes ?? DEFAULT_SEGMENT_BYTES, options.maxBufferedBytes ?? 64 * 1024 * 1024, segments, file, lastIndex, replayed.hardState);
    return { wal, log: replayed };
  }

  /** Buffers a hard state and entries (entries may overwrite a suffix: the lower index supersedes). Nothing is written yet. */
  append(hardState: HardState | null, entries: readonly Entry[]): void {
    this.checkOpen();
    if (entries.length > 0) {
      const first = entries[0]!.index;
      if (first < 1 || first > this.bufferedLastIndex + 1) {
        throw new StorageError('LOG_INVALID_APPEND', `WAL append of entry ${first} would leave a gap after ${this.bufferedLastIndex}`);
      }
      for (let i = 1; i < entries.length; i++) {
        if (entries[i]!.index !== first + i) throw new StorageError('LOG_INVALID_APPEND', 'WAL append: entries are not contiguous');
      }
    }
    const chunks = entries.map(encodeEntry);
    if (hardState !== null) chunks.push(encodeHardState(hardState));
    this.push(chunks);
    if (entries.length > 0) this.bufferedLastIndex = entries[entries.length - 1]!.index;
    if (hardState !== null) this.batch.hardState = hardState;
    this.batch.lastIndex = this.bufferedLastIndex;
  }

  /** The last entry index buffered (what the next append must follow). */
  get lastIndex(): number {
    return this.bufferedLastIndex;
  }

  /** Buffers a snapshot marker: on replay the log restarts at (index, term) unless it holds that entry. */
  appendSnapshot(index: number, term: number): void {
    this.checkOpen();
    this.push([encodeSnapshotMarker(index, term)]);
    this.bufferedLastIndex = Math.max(this.bufferedLastIndex, index);
    this.batch.lastIndex = this.bufferedLastIndex;
  }

  /** Writes everything buffered; with `sync`, also fsyncs (one fsync for all saves that joined the batch). */
  flush(sync: boolean): Promise<void> {
    this.checkOpen();
    const batch = this.batch;
    batch.sync ||= sync;
    const done = new Promise<void>((resolve, reject) => batch.waiters.push({ resolve, reject }));
    // Started on a microtask, so every save issued in the same tick joins this batch.
    this.draining ??= Promise.resolve().then(() => this.drain());
    return done;
  }

  sync(): Promise<void> {
    return this.flush(true);
  }

  /** The Ready-loop call: buffer, then write (and fsync when `mustSync`). Resolves once durable when `mustSync`. */
  save(hardState: HardState | null, entries: readonly Entry[], mustSync: boolean): Promise<void> {
    this.append(hardState, entries);
    return this.flush(mustSync);
  }

  saveSnapshot(index: number, term: number): Promise<void> {
    this.appendSnapshot(index, term);
    return this.flush(true);
  }

  /** Deletes segments whose entries are all at or below `index` (never the segment being written). */
  async releaseTo(index: number): Promise<number> {
    this.checkOpen();
    let n = 0;
    while (n + 1 < this.segments.length && this.segments[n + 1]!.firstIndex - 1 <= index) n++;
    if (n === 0) return 0;
    const doomed = this.segments.splice(0, n);
    for (const seg of doomed) await this.fs.unlink(path.join(this.dir, seg.file));
    await this.fs.syncDir(this.dir);
    return n;
  }

  stats(): WalStats {
    return {
      segments: this.segments.length,
      bytesOnDisk: this.segments.reduce((sum, s) => sum + s.size, 0),
      writes: this.writes,
      fsyncs: this.fsyncs,
    };
  }

  /** Writes and fsyncs what is buffered (unless the WAL failed), then closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.failure === null && (this.batch.bytes > 0 || this.dirty)) await this.sync().catch(() => {});
    await this.draining;
    this.closed = true;
    await this.file.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new StorageError('WAL_CLOSED', 'write-ahead log is closed');
    if (this.failure !== null) throw this.failure;
  }

  private push(chunks: Uint8Array[]): void {
    let bytes = 0;
    for (const c of chunks) bytes += c.length;
    if (this.batch.bytes + bytes > this.maxBufferedBytes) {
      throw new StorageError('WAL_BUFFER_FULL', `WAL buffer would exceed ${this.maxBufferedBytes} bytes; flush before appending more`);
    }
    this.batch.chunks.push(...chunks);
    this.batch.bytes += bytes;
  }

  private newBatch(): Batch {
    return { chunks: [], bytes: 0, sync: false, waiters: [], lastIndex: this.bufferedLastIndex, hardState: null };
  }

  private async drain(): Promise<void> {
    while (this.batch.waiters.length > 0) {
      const batch = this.batch;
      this.batch = this.newBatch();
      try {
        await this.writeBatch(batch);
        for (const w of batch.waiters) w.resolve();
      } catch (e) {
        for (const w of batch.waiters) w.reject(e);
        // Later batches depend on this one (entries are contiguous): fail them too.
        for (const w of this.batch.waiters) w.reject(e);
        this.batch = this.newBatch();
      }
    }
    this.draining = null;
  }

  private async writeBatch(batch: Batch): Promise<void> {
    if (this.failure !== null) throw this.failure;
    if (batch.bytes > 0) {
      if (this.current().size >= this.segmentBytes) await this.roll();
      const seg = this.current();
      const start = seg.size;
      try {
        await this.file.write(concat(batch.chunks, batch.bytes), start);
      } catch (e) {
        await this.fail(e, start);
      }
      this.writes++;
      seg.size += batch.bytes;
      this.dirty = true;
      this.writtenLastIndex = batch.lastIndex;
      if (batch.hardState !== null) this.writtenHardState = batch.hardState;
      // PLANTED BUG (never in images): acknowledge without the fsync.
      if (batch.sync && !globalThis.raftlightPlantedBugs?.ackBeforeFsync === true) await this.fsync(start);
    } else if (batch.sync && this.dirty) {
      await this.fsync(null);
    }
  }

  private async fsync(truncateTo: number | null): Promise<void> {
    try {
      await this.file.sync();
    } catch (e) {
      await this.fail(e, truncateTo);
    }
    this.fsyncs++;
    this.dirty = false;
  }

  /** Starts the next segment; the old one is fsynced first, so only the last segment can have a torn tail. */
  private async roll(): Promise<void> {
    const old = this.current();
    try {
      if (this.dirty) await this.fsync(null);
      const created = await createSegment(this.fs, this.dir, old.seq + 1, this.writtenLastIndex + 1, this.writtenHardState);
      await this.file.close();
      this.file = created.file;
      this.segments.push(created.segment);
    } catch (e) {
      if (e instanceof StorageError) throw e;
      await this.fail(e, null);
    }
  }

  /** Marks the WAL failed (it refuses all further writes) after cutting off the partly written batch. */
  private async fail(cause: unknown, truncateTo: number | null): Promise<never> {
    const seg = this.current();
    this.failure = new WalWriteError(path.join(this.dir, seg.file), cause);
    if (truncateTo !== null) {
      await this.file.truncate(truncateTo).catch(() => {});
      seg.size = truncateTo;
    }
    throw this.failure;
  }

  private current(): LiveSegment {
    return this.segments[this.segments.length - 1]!;
  }
}

/** Creates a segment atomically: written to a temp file, fsynced, renamed, directory fsynced. */
async function createSegment(fs: StorageFs, dir: string, seq: number, firstIndex: number, hardState: HardState): Promise<{ file: StorageFile; segment: LiveSegment }> {
  const name = segmentFileName(seq, firstIndex);
  const finalPath = path.join(dir, name);
  const tempPath = finalPath + TEMP_SUFFIX;
  await fs.unlink(tempPath).catch(() => {});
  const header = encodeSegmentHeader(seq, firstIndex);
  const hs = encodeHardState(hardState);
  const file = await fs.open(tempPath, 'create');
  try {
    await file.write(concat([header, hs], header.length + hs.length), 0);
    await file.sync();
    await fs.rename(tempPath, finalPath);
    await fs.syncDir(dir);
  } catch (e) {
    await file.close().catch(() => {});
    throw e;
  }
  return { file, segment: { file: name, seq, firstIndex, size: header.length + hs.length } };
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
