// TEST ONLY: deliberately broken behaviours of the Ready loop and the storage,
// which the deterministic simulation switches on to prove its checkers catch
// them (see test/sim/bugs.test.ts). Each one is tested where it sits with
// `globalThis.raftlightPlantedBugs?.<name> === true`, which the image's build
// defines to `undefined`: esbuild folds the test to false and drops the broken
// branch, so no image carries them (scripts/check-images.ts verifies it). From
// the sources nothing is planted unless a simulation plants it.

export interface PlantedBugs {
  /** The WAL reports a save durable without its fsync (the acknowledgement can be lost in a power cut). */
  readonly ackBeforeFsync?: boolean;
  /** The loop applies and advances a Ready before its entries are persisted (the leader then counts itself early). */
  readonly applyBeforePersist?: boolean;
  /** A snapshot is renamed into place without fsyncing its directory (a power cut can undo the rename). */
  readonly skipSnapshotDirSync?: boolean;
  /** WAL segments are released past the snapshot before that snapshot is durable. */
  readonly compactPastSnapshot?: boolean;
  /** A board that lost its state comes back as the voter it was instead of as a new incarnation. */
  readonly rejoinWithLostState?: boolean;
}

declare global {
  // eslint-disable-next-line no-var
  var raftlightPlantedBugs: PlantedBugs | undefined;
}

/** Plants bugs for the rest of the process (the simulation; never a board). */
export function plantBugs(bugs: PlantedBugs): void {
  globalThis.raftlightPlantedBugs = Object.keys(bugs).length > 0 ? { ...bugs } : undefined;
}
