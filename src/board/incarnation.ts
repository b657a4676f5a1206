// A member is its durable state. A board whose data directory no longer holds
// what it promised (a damaged or cut write-ahead log, a lost snapshot, an
// emptied directory) must never act as the member it was: its vote and its
// acknowledgements are gone. It comes back as a new incarnation under a new
// member id, as an external board the installation brings up to date by
// snapshot; the old member's voting seat is replaced through the membership
// path (autopilot treats the old id as a dead voter).
//
//   <data-dir>/IDENTITY   {"board","member","cluster","previous":[...]}: who this directory is
//   <data-dir>/damaged/   the last damaged wal/ and snap/, set aside (kept for inspection, one set)
import { posix } from 'node:path';
import type { StorageFs } from '../storage/fs-layer.ts';
import { StorageError } from '../storage/errors.ts';
import type { RandomSource } from '../raft/index.ts';

export const IDENTITY_FILE = 'IDENTITY';
export const DAMAGED_DIR = 'damaged';

export interface Identity {
  /** The board's own id (its --id): stable for the life of the hardware. */
  readonly board: string;
  /** Its member id in Raft: the board id for the first incarnation, then `<board>.<suffix>`. */
  readonly member: string;
  readonly cluster: string;
  /** Member ids of earlier incarnations, newest last (bounded). */
  readonly previous: readonly string[];
  /** Set while this incarnation has promised nothing yet (its directory may hold no state without loss). */
  readonly fresh?: boolean;
  /** Set when the installation said this member's state is gone: the next start is a new incarnation. */
  readonly lost?: string;
}

const MAX_PREVIOUS = 8;

/** Storage errors that mean the directory lost what the board promised (as opposed to a disk that refuses writes). */
export function isLostState(err: unknown): boolean {
  return err instanceof StorageError && (err.code === 'WAL_CORRUPT' || err.code === 'WAL_SEGMENT_MISSING' || err.code === 'SNAPSHOT_CORRUPT');
}

export async function readIdentity(fs: StorageFs, dir: string): Promise<Identity | null> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(posix.join(dir, IDENTITY_FILE));
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes)) as Partial<Identity>;
    if (typeof v.board !== 'string' || typeof v.member !== 'string' || typeof v.cluster !== 'string') throw new Error('missing fields');
    return {
      board: v.board, member: v.member, cluster: v.cluster,
      previous: Array.isArray(v.previous) ? v.previous.filter((p): p is string => typeof p === 'string') : [],
      ...(v.fresh === true ? { fresh: true } : {}),
      ...(typeof v.lost === 'string' ? { lost: v.lost } : {}),
    };
  } catch (err) {
    throw new StorageError('WAL_CORRUPT', `${posix.join(dir, IDENTITY_FILE)} is not a valid identity file: ${(err as Error).message}`);
  }
}

/** Written atomically: temp file, fsync, rename, fsync of the directory. */
export async function writeIdentity(fs: StorageFs, dir: string, id: Identity): Promise<void> {
  const path = posix.join(dir, IDENTITY_FILE);
  const temp = `${path}.tmp`;
  await fs.unlink(temp).catch(() => {});
  const f = await fs.open(temp, 'create');
  try {
    await f.write(new TextEncoder().encode(JSON.stringify(id) + '\n'), 0);
    await f.sync();
  } finally {
    await f.close();
  }
  await fs.rename(temp, path);
  await fs.syncDir(dir);
}

/** Whether the directory holds a log or snapshots (a board that has been a member holds at least one). */
export async function holdsState(fs: StorageFs, dir: string): Promise<boolean> {
  const wal = await fs.readdir(posix.join(dir, 'wal')).catch(() => []);
  const snap = await fs.readdir(posix.join(dir, 'snap')).catch(() => []);
  return wal.some((f) => f.endsWith('.wal')) || snap.some((f) => f.endsWith('.snap'));
}

/** Moves wal/ and snap/ into damaged/ (replacing the last set aside), durably. */
export async function setAsideDamaged(fs: StorageFs, dir: string): Promise<void> {
  const damaged = posix.join(dir, DAMAGED_DIR);
  await fs.mkdir(damaged);
  for (const sub of ['wal', 'snap']) {
    const from = posix.join(dir, sub);
    const to = posix.join(damaged, sub);
    for (const f of await fs.readdir(to).catch(() => [])) await fs.unlink(posix.join(to, f)).catch(() => {});
    const files = await fs.readdir(from).catch(() => null);
    if (files === null) continue;
    await fs.mkdir(to);
    for (const f of files) await fs.rename(posix.join(from, f), posix.join(to, f));
    await fs.syncDir(to);
    await fs.syncDir(from);
  }
  await fs.syncDir(damaged);
}

/** A member id for a new incarnation of `board`: never one it had before. */
export function newMemberId(board: string, random: RandomSource): string {
  let suffix = '';
  for (let i = 0; i < 6; i++) suffix += 'abcdefghijklmnopqrstuvwxyz0123456789'[random.nextInt(36)];
  return `${board}.${suffix}`;
}

export interface Incarnation {
  readonly identity: Identity;
  /** Set when this start began a new incarnation: the member id it replaces, and why. */
  readonly replaced: { readonly member: string; readonly reason: string } | null;
}

/**
 * The identity this start runs under. `lost` says why the directory no longer
 * holds what the current member promised (null: it holds it, or nothing was
 * ever promised). A lost state sets the damaged files aside and takes a new
 * member id; only the planted bug `rejoinWithLostState` keeps the old one.
 */
export async function settleIdentity(
  fs: StorageFs, dir: string, board: string, cluster: string, random: RandomSource, lost: string | null,
): Promise<Incarnation> {
  await fs.mkdir(dir);
  const known = await readIdentity(fs, dir);
  const current: Identity = known ?? { board, member: board, cluster, previous: [] };
  if (known !== null && known.board !== board) {
    throw new StorageError('WAL_CORRUPT', `data directory ${dir} belongs to board ${known.board}, not ${board}`);
  }
  if (lost === null) {
    if (known === null) await writeIdentity(fs, dir, current);
    return { identity: current, replaced: null };
  }
  if (current.fresh === true && current.lost === undefined && !(await holdsState(fs, dir))) {
    // This incarnation never held anything: nothing was lost, keep its member id.
    return { identity: current, replaced: null };
  }
  await setAsideDamaged(fs, dir);
  if (globalThis.raftlightPlantedBugs?.rejoinWithLostState === true) return { identity: current, replaced: null }; // PLANTED BUG: the old voter again
  const next: Identity = {
    board, cluster, member: newMemberId(board, random),
    previous: [...current.previous, current.member].slice(-MAX_PREVIOUS),
    fresh: true,
  };
  await writeIdentity(fs, dir, next);
  return { identity: next, replaced: { member: current.member, reason: lost } };
}

/** The board a member id belongs to (`v2` for `v2` and for its later incarnations `v2.<suffix>`). */
export function boardOf(member: string): string {
  const dot = member.indexOf('.');
  return dot === -1 ? member : member.slice(0, dot);
}

/**
 * Member ids whose board has come back as another incarnation that is heard
 * from more recently: the old id's state is gone for good, so autopilot treats
 * it as a dead voter at once instead of waiting out the dead-voter time.
 */
export function supersededMembers(members: readonly { id: string; lastContactMs: number | null }[]): Set<string> {
  const out = new Set<string>();
  for (const m of members) {
    for (const other of members) {
      if (other.id === m.id || boardOf(other.id) !== boardOf(m.id) || other.lastContactMs === null) continue;
      if (m.lastContactMs === null || other.lastContactMs < m.lastContactMs) out.add(m.id);
    }
  }
  return out;
}

/**
 * The installation refused this board's member id (it is a member whose state this board no
 * longer holds): record it, so that the next start comes back as a new incarnation.
 */
export async function markLost(fs: StorageFs, dir: string, reason: string): Promise<void> {
  const known = await readIdentity(fs, dir);
  if (known === null) return;
  await writeIdentity(fs, dir, { ...known, lost: reason });
}

/** The board stops to come back as a new incarnation (its supervisor restarts it). */
export class NewIncarnationError extends Error {
  readonly code = 'NEW_INCARNATION';
  constructor(member: string) {
    super(`${member} is already a member of the installation and this board no longer holds its state`);
    this.name = 'NewIncarnationError';
  }
}
