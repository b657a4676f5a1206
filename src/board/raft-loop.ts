// The Ready loop: the one place where the Raft core meets the disk, the
// network and the state machine, in the order the core's contract requires:
//   0. send the leader's early messages (its appends and heartbeats: the
//      leader writes its log in parallel with replicating it);
//   1. persist the snapshot, entries and hard state (fsync when asked);
//   2. then send the other messages (persist-before-send);
//   3. install the snapshot into the state machine, apply committed entries;
//   4. release reads whose index is applied;
//   5. advance; then snapshot and compact when the policy says so.
// One Ready is handled at a time; ticks, messages and proposals only schedule it.
import { RaftNode, decodeConfChange, type ConfState, type Entry, type Message, type Ready, type Snapshot } from '../raft/index.ts';
import type { DurableStorage } from '../storage/durable-storage.ts';
import type { Transport } from '../transport/transport.ts';
import { StateMachine } from '../state/index.ts';
import type { ApplyResult } from '../state/results.ts';
import type { Logger } from './log.ts';
import type { ProposalWaiters, ReadWaiters } from './waiters.ts';
import { releaseBytes } from './release-bytes.ts';

export interface LoopHooks {
  /** After each applied command (publish state and events). */
  applied(result: ApplyResult): void;
  /** After a conf-change entry is applied: the new configuration and the entry's context. */
  confChanged(confState: ConfState, context: string | undefined, index: number): void;
  /** After a snapshot from the leader replaced the state machine. */
  restored(state: StateMachine): void;
  /** Leader or role changed. */
  softStateChanged(leader: string | null, role: string): void;
  /** A fatal storage error: the board must stop (nothing unsafe was acknowledged). */
  fatal(err: Error): void;
}

export interface LoopDeps {
  node: RaftNode;
  storage: DurableStorage;
  transport: Transport;
  state: StateMachine;
  wasmBinary: Uint8Array | undefined;
  proposals: ProposalWaiters;
  reads: ReadWaiters;
  hooks: LoopHooks;
  log: Logger;
}

export class RaftLoop {
  state: StateMachine;
  confState: ConfState;
  private running = false;
  private again = false;
  private stopped = false;
  private scheduled = false;

  constructor(private readonly d: LoopDeps) {
    this.state = d.state;
    this.confState = d.node.status().confState;
  }

  get node(): RaftNode {
    return this.d.node;
  }

  tick(): void {
    if (this.stopped) return;
    this.d.node.tick();
    this.schedule();
  }

  step(m: Message): void {
    if (this.stopped) return;
    this.d.node.step(m);
    this.schedule();
  }

  /** Runs the loop soon; calls in the same turn share one Ready (group commit). */
  schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  /** Handles Ready batches until the core has none; never two at once. */
  async run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        while (!this.stopped && this.d.node.hasReady()) {
          const rd = this.d.node.ready();
          await this.handle(rd);
          this.d.node.advance(rd);
        }
        if (!this.stopped) await this.maybeSnapshot();
      } while (this.again && !this.stopped);
    } catch (err) {
      this.stopped = true;
      this.d.hooks.fatal(err as Error);
    } finally {
      this.running = false;
    }
  }

  private async handle(rd: Ready): Promise<void> {
    const { storage, transport } = this.d;
    if (rd.softState) this.d.hooks.softStateChanged(rd.softState.leader, rd.softState.role);
    for (const m of rd.earlyMessages) transport.send(m);
    if (rd.snapshot) await storage.installSnapshot(rd.snapshot);
    await storage.saveReady(rd.hardState ?? null, rd.entries, rd.mustSync);
    for (const m of rd.messages) transport.send(m);
    if (rd.snapshot) await this.restore(rd.snapshot);
    // One SQLite transaction for the whole batch; each entry stays atomic on its own.
    if (rd.committedEntries.length > 0) this.state.batch(() => {
      for (const e of rd.committedEntries) this.apply(e);
    });
    const applied = this.state.appliedIndex();
    for (const rs of rd.readStates) this.d.reads.readState(rs.context, rs.index, applied);
    this.d.reads.applied(applied);
  }

  private async restore(snapshot: Snapshot): Promise<void> {
    const next = await restoreState(snapshot, this.d.wasmBinary);
    this.state.close();
    this.state = next;
    this.confState = snapshot.metadata.confState;
    this.d.log.info('installed snapshot', { index: snapshot.metadata.index, bytes: snapshot.data.byteLength });
    this.d.hooks.restored(next);
    this.d.hooks.confChanged(this.confState, undefined, snapshot.metadata.index);
  }

  private apply(e: Entry): void {
    if (e.index <= this.state.appliedIndex()) return; // already in the restored snapshot
    if (e.type === 'conf-change') {
      let context: string | undefined;
      try {
        const cc = decodeConfChange(e.data);
        context = cc.context;
        this.confState = this.d.node.applyConfChange(cc);
      } catch (err) {
        this.d.log.warn('ignoring undecodable conf change', { index: e.index, err });
      }
      this.state.applyMembership(e.index, this.confState, context);
      this.d.hooks.confChanged(this.confState, context, e.index);
      return;
    }
    const result = this.state.apply(e.index, e.data);
    if (result.requestId !== null) this.d.proposals.settle(result.requestId, result.outcome);
    this.d.hooks.applied(result);
  }

  private async maybeSnapshot(): Promise<void> {
    const applied = this.state.appliedIndex();
    if (!this.d.storage.snapshotDue(applied)) return;
    const started = process.hrtime.bigint();
    const image = this.state.export();
    const size = image.byteLength;
    let meta;
    try {
      meta = await this.d.storage.takeSnapshot(applied, this.confState, image);
    } finally {
      releaseBytes(image); // written: free the copy now, not at the next full collection
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    this.d.log.info('snapshot taken, log compacted', { index: meta.index, bytes: size, ms: Math.round(ms) });
  }

  stop(): void {
    this.stopped = true;
  }
}

/** A state machine from a snapshot image; the bootstrap snapshot's empty image is an empty database. */
export async function restoreState(snapshot: Snapshot, wasmBinary: Uint8Array | undefined): Promise<StateMachine> {
  const opts = wasmBinary ? { wasmBinary } : {};
  if (snapshot.data.byteLength > 0) return StateMachine.restore(snapshot.data, opts);
  const sm = await StateMachine.create(opts);
  for (let i = 1; i <= snapshot.metadata.index; i++) sm.applyNoop(i);
  return sm;
}
