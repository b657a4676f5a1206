// The write path the board's Ready loop calls: WAL first, memory after, and
// snapshots with the log compaction and segment release that follow them.
import type { Wal } from './wal/wal.ts';
import type { LogStore } from './log-store.ts';
import type { SnapshotStore } from './snapshot-store.ts';
import type { SnapshotPolicy } from './snapshot-policy.ts';
import type { ConfState, Entry, HardState, Snapshot, SnapshotMetadata } from '../raft/types.ts';

export class DurableStorage {
  constructor(
    readonly wal: Wal,
    readonly logStore: LogStore,
    readonly snapshots: SnapshotStore,
    readonly policy: SnapshotPolicy,
  ) {}

  /**
   * Persists a Ready's hard state and entries, then shows them to the core.
   * Resolves once they are on disk (fsynced when `mustSync`). On rejection
   * (WAL_WRITE_FAILED) nothing was acknowledged and the board must restart.
   */
  async saveReady(hardState: HardState | null, entries: readonly Entry[], mustSync: boolean): Promise<void> {
    await this.wal.save(hardState, entries, mustSync);
    if (entries.length > 0) this.logStore.append(entries);
    if (hardState !== null) this.logStore.setHardState(hardState);
  }

  /**
   * Installs a snapshot received from the leader (Ready.snapshot): the file is
   * written (unless a SnapshotReceiver already installed it), a WAL marker
   * made durable, the in-memory log reset, and covered segments released.
   */
  async installSnapshot(snapshot: Snapshot): Promise<void> {
    const { index, term } = snapshot.metadata;
    if (!this.snapshots.list().some((f) => f.index === index && f.term === term)) await this.snapshots.save(snapshot);
    await this.wal.saveSnapshot(index, term);
    this.logStore.applySnapshot(snapshot.metadata);
    await this.wal.releaseTo(this.snapshots.oldestIndex());
  }

  /** Whether the policy asks for a snapshot now, given the applied index. */
  snapshotDue(appliedIndex: number): boolean {
    return this.policy.shouldSnapshot({
      appliedIndex,
      snapshotIndex: this.logStore.snapshotMetadata().index,
      logBytes: this.logStore.size().bytes,
    });
  }

  /**
   * Records a snapshot of the state machine taken at `appliedIndex` (`image`
   * is the exported database), compacts the in-memory log, and deletes WAL
   * segments covered by the oldest snapshot still kept (so a corrupt newest
   * snapshot can fall back to the previous one and replay from there).
   */
  async takeSnapshot(appliedIndex: number, confState: ConfState, image: Uint8Array): Promise<SnapshotMetadata> {
    const metadata: SnapshotMetadata = { index: appliedIndex, term: this.logStore.term(appliedIndex), confState };
    // PLANTED BUG (never in images): compact the log past the snapshot on disk before that snapshot
    // is durable (a power cut in between leaves the board with neither).
    if (globalThis.raftlightPlantedBugs?.compactPastSnapshot === true) await this.wal.releaseTo(appliedIndex);
    await this.snapshots.save({ metadata, data: image });
    this.logStore.createSnapshot(metadata);
    const to = this.policy.compactTo(appliedIndex, this.logStore.firstIndex());
    if (to > 0) this.logStore.compact(to);
    await this.wal.releaseTo(this.snapshots.oldestIndex());
    return metadata;
  }
}
