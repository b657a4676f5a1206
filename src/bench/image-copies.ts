// Under --board-limits every board runs from its own copy of the executable,
// none of whose pages are in the page cache when the board starts: the
// pages it maps are then read by the board itself and charged to its memory
// cgroup, as on a board where the executable is the only program. (Boards
// sharing one file would share its cached pages, charged to whichever
// touched them first.)
//
// How far the kernel reads ahead on a page fault decides how many pages of
// the executable a board keeps resident, so the copies live on a small ext4
// filesystem in a file of the run's folder, mounted through a loop device
// whose readahead is set like a board's eMMC (128 KiB by default; this
// machine's virtual disk reads 8 MiB ahead). The loop device reads its file
// with direct I/O, so the copies' pages are cached once, in the board's
// cgroup, and not a second time in the page cache of the backing file.
// Unmounting and mounting the filesystem again after copying drops every
// cached page of the copies. Without loop devices the copies go next to the
// data directories and their pages are dropped with posix_fadvise (GNU dd's
// iflag=nocache); the readahead in effect is then the disk's, and the bench
// says so.
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface ImageCopies {
  /** The board's own copy of the executable. */
  pathOf(id: string): string;
  /** Readahead of the device that holds the copies, KiB (null if unknown). */
  readonly readaheadKiB: number | null;
  /** The device, e.g. /dev/loop0. */
  readonly device: string;
  /** How the copies were made, for the summary. */
  readonly how: string;
  /** Cached bytes of one copy right after preparing it (0 when the drop worked; null if fincore is missing). */
  readonly cachedBytesAfterDrop: number | null;
  teardown(): void;
}

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** The block device a path lives on (findmnt), e.g. /dev/vda or /dev/loop3. */
export function deviceOf(path: string): string {
  return run('findmnt', ['-n', '-o', 'SOURCE', '--target', path]);
}

/** read_ahead_kb of a block device; a partition reads its disk's queue. */
export function readaheadKiBOf(device: string): number | null {
  const name = basename(device);
  for (const file of [`/sys/class/block/${name}/queue/read_ahead_kb`, `/sys/class/block/${name}/../queue/read_ahead_kb`]) {
    try {
      return Number(readFileSync(file, 'utf8').trim());
    } catch {
      // not this layout
    }
  }
  return null;
}

/** Bytes of a file in the page cache (util-linux fincore), or null when it cannot tell. */
export function cachedBytes(file: string): number | null {
  try {
    return Number(run('fincore', ['--bytes', '--noheadings', '--raw', '--output', 'RES', file]));
  } catch {
    return null;
  }
}

const MiB = 1048576;

function mountLoop(fsFile: string, mountPoint: string, readaheadKiB: number): string {
  run('mount', ['-o', 'loop,noatime', fsFile, mountPoint]);
  const device = deviceOf(mountPoint);
  // Direct I/O: the backing file's pages are not cached a second time (nor charged to the board).
  run('losetup', ['--direct-io=on', device]);
  run('blockdev', ['--setra', String(readaheadKiB * 2), device]);
  return device;
}

/** Unmounts the copies' filesystem of a run folder (the loop device frees itself: mount -o loop sets autoclear). */
export function unmountUnder(dir: string): void {
  let mounts: string;
  try {
    mounts = readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return;
  }
  for (const line of mounts.split('\n')) {
    const point = line.split(' ')[1];
    if (point !== undefined && point.startsWith(dir + '/')) {
      try {
        run('umount', [point]);
      } catch {
        // busy: a board still runs from it; the next run's cleanup retries
      }
    }
  }
}

/**
 * One copy of `executable` per board under `root`, uncached, on a device
 * reading `readaheadKiB` ahead (see the header). Needs root for the loop
 * device; falls back to plain copies on the run folder's disk.
 */
export function makeImageCopies(executable: string, ids: readonly string[], root: string, readaheadKiB: number, log: (line: string) => void): ImageCopies {
  const sizeBytes = statSync(executable).size;
  const fsFile = join(root, 'images.ext4');
  const mountPoint = join(root, 'images');
  mkdirSync(mountPoint, { recursive: true });
  const copyTo = (dir: string): void => {
    for (const id of ids) {
      mkdirSync(join(dir, id), { recursive: true });
      copyFileSync(executable, join(dir, id, 'raftlight'));
      chmodSync(join(dir, id, 'raftlight'), 0o755);
    }
  };
  const pathOf = (id: string): string => join(mountPoint, id, 'raftlight');
  try {
    // Room for the copies, ext4's tables and no journal (nothing here needs one).
    const fsBytes = Math.ceil((ids.length * (Math.ceil(sizeBytes / MiB) + 1) * 1.05 + 32) * MiB);
    run('truncate', ['-s', String(fsBytes), fsFile]);
    run('mkfs.ext4', ['-q', '-F', '-m', '0', '-O', '^has_journal', fsFile]);
    mountLoop(fsFile, mountPoint, readaheadKiB);
    copyTo(mountPoint);
    run('umount', [mountPoint]);
    const device = mountLoop(fsFile, mountPoint, readaheadKiB);
    return {
      pathOf, device, readaheadKiB: readaheadKiBOf(device), cachedBytesAfterDrop: cachedBytes(pathOf(ids[0]!)),
      how: `one copy per board on ext4 through ${device} (direct I/O), remounted so that no page is cached`,
      teardown: () => {
        unmountUnder(root);
        rmSync(fsFile, { force: true });
      },
    };
  } catch (err) {
    unmountUnder(root);
    rmSync(fsFile, { force: true });
    log(`no loop device for the executable's copies (${(err as Error).message.split('\n')[0]}); copying them to the run folder's disk instead, with its readahead`);
  }
  copyTo(mountPoint);
  for (const id of ids) {
    // Written pages are dirty until written back; only clean pages can be dropped.
    const fd = openSync(pathOf(id), 'r');
    fsyncSync(fd);
    closeSync(fd);
    run('dd', [`if=${pathOf(id)}`, 'iflag=nocache', 'count=0', 'status=none']);
  }
  const device = deviceOf(mountPoint);
  return {
    pathOf, device, readaheadKiB: readaheadKiBOf(device), cachedBytesAfterDrop: cachedBytes(pathOf(ids[0]!)),
    how: `one copy per board on ${device} (no loop device), pages dropped with posix_fadvise`,
    teardown: () => undefined,
  };
}
