// TEST ONLY: deliberately broken behaviours of the Ready loop and the storage,
// which the deterministic simulation switches on to prove its checkers catch
// them (see test/sim/bugs.test.ts). The images are built with
// RAFTLIGHT_PLANTED_BUGS defined as false, so every check below folds to
// false and the broken branches are dropped from the executable; run from the
// sources, the checks are compiled in but nothing is planted unless a test
// plants it.

export interface PlantedBugs {
  /** The WAL reports a save durable before its fsync (the acknowledgement can be lost in a power cut). */
  readonly ackBeforeFsync?: boolean;
  /** The loop applies and advances a Ready before its entries are persisted (the leader then counts itself early). */
  readonly applyBeforePersist?: boolean;
  /** A snapshot is renamed into place without fsyncing its directory (a power cut can undo the rename). */
  readonly skipSnapshotDirSync?: boolean;
  /** WAL segments are released up to the applied index instead of the oldest kept snapshot. */
  readonly compactPastSnapshot?: boolean;
  /** A board that lost its state comes back as the voter it was instead of as a new incarnation. */
  readonly rejoinWithLostState?: boolean;
}

declare const RAFTLIGHT_PLANTED_BUGS: boolean | undefined;

/** False in the images (an esbuild define); true from the sources. */
export const plantedBugsCompiledIn: boolean = typeof RAFTLIGHT_PLANTED_BUGS === 'boolean' ? RAFTLIGHT_PLANTED_BUGS : true;

let planted: PlantedBugs = {};

/** Plants bugs for the rest of the process (the simulation; never a board). */
export function plantBugs(bugs: PlantedBugs): void {
  if (!plantedBugsCompiledIn) throw new Error('planted bugs are compiled out of this build');
  planted = { ...bugs };
}

export function isPlanted(name: keyof PlantedBugs): boolean {
  return plantedBugsCompiledIn && planted[name] === true;
}
