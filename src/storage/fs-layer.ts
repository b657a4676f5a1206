// The file operations storage needs, behind an interface so tests can inject
// faults (ENOSPC, torn writes) and count fsyncs.
import * as fsp from 'node:fs/promises';
import * as fs from 'node:fs';

export interface StorageFile {
  /** Writes all of `data` at `position` (loops over short writes). */
  write(data: Uint8Array, position: number): Promise<void>;
  read(into: Uint8Array, position: number): Promise<number>;
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

export interface StorageFs {
  /** Opens for read+write; `create` fails if the file exists ('wx+'), otherwise the file must exist. */
  open(path: string, mode: 'create' | 'existing' | 'read'): Promise<StorageFile>;
  readFile(path: string): Promise<Uint8Array>;
  /** For the one synchronous read the Raft core needs (a snapshot it must send). */
  readFileSync(path: string): Uint8Array;
  /** Fails (EACCES, EROFS, ENOENT...) unless `dir` exists and can be written. */
  checkWritable(dir: string): Promise<void>;
  readdir(dir: string): Promise<string[]>;
  mkdir(dir: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** fsync of a directory, so that creates, renames and unlinks are durable. */
  syncDir(dir: string): Promise<void>;
}

class NodeFile implements StorageFile {
  constructor(private readonly handle: fsp.FileHandle) {}
  async write(data: Uint8Array, position: number): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.handle.write(data, done, data.length - done, position + done);
      if (bytesWritten <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
      done += bytesWritten;
    }
  }
  async read(into: Uint8Array, position: number): Promise<number> {
    const { bytesRead } = await this.handle.read(into, 0, into.length, position);
    return bytesRead;
  }
  sync(): Promise<void> {
    return this.handle.sync();
  }
  truncate(length: number): Promise<void> {
    return this.handle.truncate(length);
  }
  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }
  close(): Promise<void> {
    return this.handle.close();
  }
}

const openFlags = { create: 'wx+', existing: 'r+', read: 'r' } as const;

export const nodeFs: StorageFs = {
  async open(path, mode) {
    return new NodeFile(await fsp.open(path, openFlags[mode], 0o644));
  },
  async readFile(path) {
    return fsp.readFile(path);
  },
  readFileSync: (path) => fs.readFileSync(path),
  checkWritable: (dir) => fsp.access(dir, fs.constants.W_OK),
  readdir: (dir) => fsp.readdir(dir),
  async mkdir(dir) {
    await fsp.mkdir(dir, { recursive: true });
  },
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
  async syncDir(dir) {
    const handle = await fsp.open(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};
