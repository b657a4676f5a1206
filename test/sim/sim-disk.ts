// A simulated disk for the deterministic simulation: the StorageFs the board's
// storage runs on, with the durability a real disk has and the faults it meets.
//
//   - A file's bytes are durable once fsynced; bytes written since may or may
//     not survive a power cut (a random prefix of what was appended does: a
//     torn tail), and a truncation not yet fsynced is undone.
//   - A directory's entries (creates, renames, unlinks) are durable once the
//     directory is fsynced; a power cut brings back its last synced entries.
//   - Faults: a failing fsync (EIO), a full disk (ENOSPC), a bit flipped at
//     rest, a file cut short, the whole disk lost, a read-only mount.
// Faults only ever come from the harness; nothing here runs in a board.
import { posix } from 'node:path';
import type { StorageFile, StorageFs } from '../../src/storage/fs-layer.ts';
import type { SeededRandom } from '../../src/raft/random.ts';

/** A file's contents, shared by every name and handle that refer to it (an inode). */
interface Inode {
  durable: Uint8Array;
  current: Uint8Array;
}

interface Dir {
  current: Map<string, Inode>;
  durable: Map<string, Inode>;
}

function fsError(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

function grow(bytes: Uint8Array, length: number): Uint8Array {
  if (bytes.length >= length) return bytes;
  const out = new Uint8Array(Math.max(length, bytes.length * 2));
  out.set(bytes);
  return out.subarray(0, length);
}

export interface SimDiskFaults {
  /** The next fsync fails with EIO (the WAL then refuses all writes: the board must stop). */
  failNextFsync: boolean;
  /** Bytes the disk holds at most; writes past it fail with ENOSPC (Infinity: no limit). */
  capacityBytes: number;
  /** Every open for writing fails with EROFS. */
  readOnly: boolean;
}

/**
 * What a dead process's I/O does: it never completes (the process is gone; nothing it did after that
 * lands). A new promise each time: one shared promise would keep every awaiter, and with it the whole
 * simulation of every seed, alive until the run ends.
 */
const never = (): Promise<never> => new Promise<never>(() => {});

export class SimDisk implements StorageFs {
  private dirs = new Map<string, Dir>();
  /** Bumped when the process using the disk dies: its sessions' operations stop reaching the disk. */
  private generation = 0;
  readonly faults: SimDiskFaults = { failNextFsync: false, capacityBytes: Infinity, readOnly: false };
  /** fsyncs of files and of directories done, and power cuts survived. */
  readonly counts = { fsyncs: 0, dirSyncs: 0, powerCuts: 0 };

  // ---- StorageFs ----

  async open(path: string, mode: 'create' | 'existing' | 'read'): Promise<StorageFile> {
    const [dir, name] = this.locate(path);
    let node = dir.current.get(name);
    if (mode !== 'read' && this.faults.readOnly) throw fsError('EROFS', `read-only file system: ${path}`);
    if (mode === 'create') {
      if (node) throw fsError('EEXIST', `file exists: ${path}`);
      node = { durable: new Uint8Array(0), current: new Uint8Array(0) };
      dir.current.set(name, node);
    } else if (!node) {
      throw fsError('ENOENT', `no such file: ${path}`);
    }
    return new SimFile(this, node, mode === 'read');
  }

  async readFile(path: string): Promise<Uint8Array> {
    return this.readFileSync(path);
  }

  readFileSync(path: string): Uint8Array {
    const [dir, name] = this.locate(path);
    const node = dir.current.get(name);
    if (!node) throw fsError('ENOENT', `no such file: ${path}`);
    return node.current.slice();
  }

  async checkWritable(dir: string): Promise<void> {
    if (!this.dirs.has(posix.normalize(dir))) throw fsError('ENOENT', `no such directory: ${dir}`);
    if (this.faults.readOnly) throw fsError('EROFS', `read-only file system: ${dir}`);
  }

  async readdir(dir: string): Promise<string[]> {
    const d = this.dirs.get(posix.normalize(dir));
    if (!d) throw fsError('ENOENT', `no such directory: ${dir}`);
    return [...d.current.keys()].sort();
  }

  async mkdir(dir: string): Promise<void> {
    // Directories themselves are always durable here: only their entries can be lost.
    let p = posix.normalize(dir);
    for (;;) {
      if (!this.dirs.has(p)) this.dirs.set(p, { current: new Map(), durable: new Map() });
      const parent = posix.dirname(p);
      if (parent === p) break;
      p = parent;
    }
  }

  async rename(from: string, to: string): Promise<void> {
    if (this.faults.readOnly) throw fsError('EROFS', `read-only file system: ${from}`);
    const [fd, fname] = this.locate(from);
    const node = fd.current.get(fname);
    if (!node) throw fsError('ENOENT', `no such file: ${from}`);
    const [td, tname] = this.locate(to);
    fd.current.delete(fname);
    td.current.set(tname, node);
  }

  async unlink(path: string): Promise<void> {
    if (this.faults.readOnly) throw fsError('EROFS', `read-only file system: ${path}`);
    const [dir, name] = this.locate(path);
    if (!dir.current.delete(name)) throw fsError('ENOENT', `no such file: ${path}`);
  }

  async syncDir(dir: string): Promise<void> {
    const d = this.dirs.get(posix.normalize(dir));
    if (!d) throw fsError('ENOENT', `no such directory: ${dir}`);
    d.durable = new Map(d.current);
    this.counts.dirSyncs++;
  }

  // ---- processes ----

  /**
   * The disk as one process sees it; fenced off when that process dies (fence()).
   * `fsyncLatency` (in the harness's time) makes an fsync take a while: what it makes
   * durable is only durable once it completes, and a power cut before then loses it.
   */
  session(fsyncLatency?: { wait(): Promise<void> }): StorageFs {
    const gen = this.generation;
    const live = (): boolean => gen === this.generation;
    const wrap = <T>(op: () => Promise<T>): Promise<T> => (live() ? op() : never());
    return {
      open: (p, mode) => wrap(async () => new FencedFile(await this.open(p, mode), live, fsyncLatency)),
      readFile: (p) => wrap(() => this.readFile(p)),
      readFileSync: (p) => this.readFileSync(p),
      checkWritable: (d) => wrap(() => this.checkWritable(d)),
      readdir: (d) => wrap(() => this.readdir(d)),
      mkdir: (d) => wrap(() => this.mkdir(d)),
      rename: (a, b) => wrap(() => this.rename(a, b)),
      unlink: (p) => wrap(() => this.unlink(p)),
      syncDir: (d) => wrap(() => this.syncDir(d)),
    };
  }

  /** The process using the disk died: nothing it still had under way reaches the disk. */
  fence(): void {
    this.generation++;
  }

  // ---- what the harness does to the disk ----

  /**
   * The power goes: directories fall back to their last synced entries, files
   * to their fsynced bytes plus, sometimes, part of what was appended since.
   */
  powerCut(rng: SeededRandom): void {
    this.fence();
    this.counts.powerCuts++;
    const seen = new Set<Inode>();
    for (const d of this.dirs.values()) {
      d.current = new Map(d.durable);
      for (const node of d.durable.values()) {
        if (seen.has(node)) continue;
        seen.add(node);
        const appended = node.current.length > node.durable.length && startsWith(node.current, node.durable);
        const keep = appended && rng.chance(0.5) ? rng.nextInt(node.current.length - node.durable.length + 1) : 0;
        node.current = node.current.slice(0, node.durable.length + keep);
        node.durable = node.current.slice();
      }
    }
  }

  /** Flips one bit of one byte at rest in a file under `dir` whose name passes `filter`; returns its path. */
  flipBit(rng: SeededRandom, dir: string, filter: (name: string) => boolean): string | null {
    const candidates: [string, Inode][] = [];
    for (const [p, d] of this.dirs) {
      if (p !== posix.normalize(dir) && !p.startsWith(posix.normalize(dir) + '/')) continue;
      for (const [name, node] of d.current) if (filter(name) && node.durable.length > 0) candidates.push([posix.join(p, name), node]);
    }
    if (candidates.length === 0) return null;
    const [path, node] = rng.pick(candidates.sort((a, b) => (a[0] < b[0] ? -1 : 1)));
    const at = rng.nextInt(node.durable.length);
    const bit = 1 << rng.nextInt(8);
    node.durable = node.durable.slice();
    node.durable[at]! ^= bit;
    node.current = node.current.slice();
    if (at < node.current.length) node.current[at]! ^= bit;
    return `${path}@${at}`;
  }

  /** Cuts a file down to `length` bytes, durably (a damaged disk, or a careless repair). */
  cutFile(path: string, length: number): void {
    const [dir, name] = this.locate(path);
    const node = dir.current.get(name);
    if (!node) return;
    node.current = node.current.slice(0, Math.min(length, node.current.length));
    node.durable = node.current.slice();
  }

  /** Removes a file durably. */
  removeFile(path: string): void {
    const [dir, name] = this.locate(path);
    dir.current.delete(name);
    dir.durable.delete(name);
  }

  debugSizes(path: string): string {
    const [dir, name] = this.locate(path);
    const n = dir.current.get(name);
    return n ? `current ${n.current.length} durable ${n.durable.length} inDurableDir ${dir.durable.has(name)}` : 'none';
  }

  /** A fingerprint of what is under `dir` (null when it does not exist): names and sizes. */
  describe(dir: string): string | null {
    const root = posix.normalize(dir);
    if (![...this.dirs.keys()].some((p) => p === root)) return null;
    return this.list(root).map((f) => `${f}:${this.readFileSync(f).length}`).join(',');
  }

  /** Every file under `dir`, recursively (paths). */
  list(dir: string): string[] {
    const out: string[] = [];
    const root = posix.normalize(dir);
    for (const [p, d] of this.dirs) {
      if (p !== root && !p.startsWith(root + '/')) continue;
      for (const name of d.current.keys()) out.push(posix.join(p, name));
    }
    return out.sort();
  }

  /** The whole disk is gone (replaced, or wiped). */
  wipe(): void {
    this.fence();
    this.dirs = new Map();
  }

  usedBytes(): number {
    const seen = new Set<Inode>();
    let n = 0;
    for (const d of this.dirs.values()) {
      for (const node of [...d.current.values(), ...d.durable.values()]) {
        if (seen.has(node)) continue;
        seen.add(node);
        n += Math.max(node.current.length, node.durable.length);
      }
    }
    return n;
  }

  /** Called by files: one fsync; fails when the harness said so. */
  syncFile(node: Inode): void {
    if (this.faults.failNextFsync) {
      this.faults.failNextFsync = false;
      throw fsError('EIO', 'input/output error on fsync');
    }
    node.durable = node.current.slice();
    this.counts.fsyncs++;
  }

  private locate(path: string): [Dir, string] {
    const p = posix.normalize(path);
    const dir = this.dirs.get(posix.dirname(p));
    if (!dir) throw fsError('ENOENT', `no such directory: ${posix.dirname(p)}`);
    return [dir, posix.basename(p)];
  }
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

class SimFile implements StorageFile {
  private closed = false;

  constructor(private readonly disk: SimDisk, private readonly node: Inode, private readonly readOnly: boolean) {}

  async write(data: Uint8Array, position: number): Promise<void> {
    this.check(true);
    const end = position + data.length;
    const capacity = this.disk.faults.capacityBytes;
    if (end > this.node.current.length && capacity !== Infinity && this.disk.usedBytes() + (end - this.node.current.length) > capacity) {
      throw fsError('ENOSPC', 'no space left on device');
    }
    this.node.current = grow(this.node.current, Math.max(end, this.node.current.length));
    this.node.current.set(data, position);
  }

  async read(into: Uint8Array, position: number): Promise<number> {
    this.check(false);
    const n = Math.max(0, Math.min(into.length, this.node.current.length - position));
    into.set(this.node.current.subarray(position, position + n));
    return n;
  }

  async sync(): Promise<void> {
    this.check(false);
    this.disk.syncFile(this.node);
  }

  async truncate(length: number): Promise<void> {
    this.check(true);
    this.node.current = this.node.current.slice(0, Math.min(length, this.node.current.length));
  }

  async size(): Promise<number> {
    this.check(false);
    return this.node.current.length;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private check(writing: boolean): void {
    if (this.closed) throw fsError('EBADF', 'file is closed');
    if (writing && (this.readOnly || this.disk.faults.readOnly)) throw fsError('EROFS', 'read-only file');
  }
}

/** A file handle of a process that may die: once it has, its operations never complete. */
class FencedFile implements StorageFile {
  constructor(private readonly inner: StorageFile, private readonly live: () => boolean, private readonly latency?: { wait(): Promise<void> }) {}
  write(data: Uint8Array, position: number): Promise<void> {
    return this.live() ? this.inner.write(data, position) : never();
  }
  read(into: Uint8Array, position: number): Promise<number> {
    return this.live() ? this.inner.read(into, position) : never();
  }
  async sync(): Promise<void> {
    if (!this.live()) return never();
    if (this.latency) await this.latency.wait();
    return this.live() ? this.inner.sync() : never();
  }
  truncate(length: number): Promise<void> {
    return this.live() ? this.inner.truncate(length) : never();
  }
  size(): Promise<number> {
    return this.live() ? this.inner.size() : never();
  }
  close(): Promise<void> {
    return this.live() ? this.inner.close() : never();
  }
}
