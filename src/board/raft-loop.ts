// The Ready loop: the one owner of the Raft core, and the one place where the
// core meets the disk, the network and the state machine. Everything else
// (the API, the transport, the ticker) submits typed commands; the loop
// drains them between Readys and handles each Ready in the order the core's
// contract requires:
//   0. send the leader's early messages (its appends and heartbeats: the
//      leader writes its log in parallel with replicating it);
//   1. persist the snapshot, entries and hard state (fsync when asked);
//   2. then send the other messages (persist-before-send);
//   3. install the snapshot into the state machine, apply committed entries;
//   4. release reads whose index is applied;
//   5. advance; then snapshot and compact when the policy says so.
// A failure in any of it (an invariant of the core, a storage fault) is fatal:
// the loop stops for good and reports it once; nothing catches it and goes on.
import { RaftError, RaftErrorCode, decodeConfChange, type ConfState, type Entry, type RaftNode, type RaftStatus, type Ready, type Snapshot } from '../raft/index.ts';
import type { DurableStorage } from '../storage/durable-storage.ts';
import type { Transport } from '../transport/transport.ts';
import { StateMachine } from '../state/index.ts';
import type { ApplyResult } from '../state/results.ts';
import { ApiError } from '../api/errors.ts';
import type { Logger } from './log.ts';
import type { ProposalWaiters, ReadWaiters } from './waiters.ts';
import { releaseBytes } from './release-bytes.ts';
import type { BoardClock } from './clock.ts';
import { CommandQueue, type LoopCommand } from './loop-commands.ts';
import { InFlightWrites } from './in-flight.ts';

/** Commands waiting for the loop at once; past it messages are dropped and requests refused. */
export const MAX_QUEUED_COMMANDS = 16_384;

export interface LoopHooks {
  /** After each applied command (publish state and events). */
  applied(result: ApplyResult): void;
  /** After a conf-change entry is applied: the new configuration and the entry's context. */
  confChanged(confState: ConfState, context: string | undefined, index: number): void;
  /** After a snapshot from the leader replaced the state machine. */
  restored(state: StateMachine): void;
  /** Leader or role changed. */
  softStateChanged(leader: string | null, role: string): void;
  /** The loop stopped for good on this error (an invariant or a storage fault); called once. */
  fatal(err: Error): void;
  /** Entries first..last are known committed; called before they are sent on, persisted or applied (telemetry). */
  committed?(first: number, last: number): void;
  /** Every entry as it is applied, commands and configuration changes alike (the simulation's safety checks). */
  entryApplied?(entry: Entry): void;
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
  clock: BoardClock;
}

/** Errors of a request the core refused (the client is told), as opposed to a broken core. */
const REFUSALS: ReadonlySet<string> = new Set([
  RaftErrorCode.proposalDropped, RaftErrorCode.tooManyUncommitted, RaftErrorCode.confChangePending,
  RaftErrorCode.invalidConfChange, RaftErrorCode.transferRejected,
]);

export function raftToApiError(err: unknown): Error {
  if (!(err instanceof RaftError)) return err as Error;
  switch (err.code) {
    case RaftErrorCode.proposalDropped:
      return new ApiError('NO_LEADER', 503, `cannot commit now: ${err.message}; retry once a leader is elected`);
    case RaftErrorCode.tooManyUncommitted:
      return new ApiError('BACKPRESSURE', 429, 'too many uncommitted writes on the leader; retry later');
    case RaftErrorCode.confChangePending:
      return new ApiError('CONF_CHANGE_PENDING', 409, 'another membership change is still in progress; retry shortly');
    case RaftErrorCode.invalidConfChange:
    case RaftErrorCode.transferRejected:
      return new ApiError('INVALID_MEMBERSHIP', 400, err.message);
    default:
      return new ApiError(err.code, 500, err.message);
  }
}

export class RaftLoop {
  state: StateMachine;
  confState: ConfState;
  private readonly queue = new CommandQueue(MAX_QUEUED_COMMANDS);
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private failure: Error | null = null;
  private scheduled = false;
  /** Messages dropped because the queue was full. */
  droppedMessages = 0;
  /** Writes proposed here and not yet applied: sent again to a new leader. */
  readonly inFlight = new InFlightWrites();
  /** Writes sent again to a new leader (status). */
  resentWrites = 0;
  /** The leader a Ready reported changed to, until the writes in flight are sent on (undefined: no change). */
  private leaderNow: string | null | undefined = undefined;

  constructor(private readonly d: LoopDeps) {
    this.state = d.state;
    this.confState = d.node.status().confState;
  }

  /** A read-only view of the core (status, progress); never a way to change it. */
  view(): RaftStatus {
    return this.d.node.status();
  }

  /** Why the loop stopped for good (null while it runs, or after a clean stop). */
  get failed(): Error | null {
    return this.failure;
  }

  // ---- what others ask of the core ----

  tick(): void {
    if (this.stopped) return;
    this.queue.pendingTicks++;
    this.schedule();
  }

  /** Queues a command; false when the queue is full or the loop stopped (the caller refuses or drops). */
  submit(cmd: LoopCommand): boolean {
    if (this.stopped || !this.queue.push(cmd)) {
      if (cmd.type === 'step') this.droppedMessages++;
      return false;
    }
    this.schedule();
    return true;
  }

  /** Runs the loop soon; calls in the same turn share one Ready (group commit). */
  schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    this.d.clock.soon(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  // ---- the loop ----

  /** Handles commands and Ready batches until there are none; never two runs at once. */
  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.runLoop().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async runLoop(): Promise<void> {
    try {
      do {
        this.again = false;
        this.drainCommands();
        while (!this.stopped && this.d.node.hasReady()) {
          const rd = this.d.node.ready();
          const outcome = await this.handle(rd);
          if (outcome === 'stopped') return; // stopped while persisting: abandon the Ready, touch nothing
          if (outcome === 'persisted') this.d.node.advance(rd);
          this.drainCommands();
        }
        if (!this.stopped) await this.maybeSnapshot();
      } while (this.again && !this.stopped);
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private drainCommands(): void {
    const node = this.d.node;
    for (let t = this.queue.pendingTicks; t > 0 && !this.stopped; t--) node.tick();
    this.queue.pendingTicks = 0;
    if (this.leaderNow !== undefined && !this.stopped) this.sendInFlightAgain(this.leaderNow);
    for (let cmd = this.queue.shift(); cmd !== undefined && !this.stopped; cmd = this.queue.shift()) this.execute(cmd);
  }

  /** One command against the core. A request it refuses fails its waiter; anything else it throws is fatal. */
  private execute(cmd: LoopCommand): void {
    const node = this.d.node;
    switch (cmd.type) {
      case 'step':
        return node.step(cmd.message);
      case 'unreachable':
        return node.reportUnreachable(cmd.peer);
      case 'reachable':
        return node.reportReachable(cmd.peer);
      case 'snapshot-status':
        return node.reportSnapshot(cmd.peer, cmd.ok);
      case 'propose':
        return this.request(() => {
          const to = node.propose(cmd.data);
          this.inFlight.proposed(cmd.requestId, cmd.data, to ?? node.id, this.state.appliedIndex());
        }, (err) => this.d.proposals.fail(cmd.requestId, err));
      case 'conf-change':
        return this.request(() => node.proposeConfChange(cmd.change), (err) => this.d.proposals.fail(cmd.requestId, err));
      case 'read':
        return this.request(() => node.readIndex(cmd.context), (err) => this.d.reads.fail(cmd.context, err));
      case 'transfer-leadership':
        return this.request(() => node.transferLeadership(cmd.to), (err) => this.d.log.warn('leadership transfer refused', { to: cmd.to, err: err.message }));
    }
  }

  /**
   * The leader changed: writes still waiting that went to another board (or to a leader since
   * lost) go to the new one (see in-flight.ts). A refusal now (no leader after all) fails them.
   */
  private sendInFlightAgain(leader: string | null): void {
    this.leaderNow = undefined;
    const node = this.d.node;
    for (const w of this.inFlight.leaderChanged(leader, this.state.appliedIndex(), (id) => this.d.proposals.has(id))) {
      this.request(() => {
        this.inFlight.sentAgain(w.requestId, node.propose(w.data) ?? node.id);
        this.resentWrites++;
      }, (err) => {
        this.inFlight.forget(w.requestId);
        this.d.proposals.fail(w.requestId, err);
      });
    }
  }

  private request(call: () => void, refused: (err: Error) => void): void {
    try {
      call();
    } catch (err) {
      if (err instanceof RaftError && REFUSALS.has(err.code)) return refused(raftToApiError(err));
      throw err;
    }
  }

  /** Handles one Ready: 'persisted' (advance it), or 'stopped' while it waited for the disk. */
  private async handle(rd: Ready): Promise<'persisted' | 'advanced' | 'stopped'> {
    const { storage, transport } = this.d;
    if (rd.softState) {
      this.d.hooks.softStateChanged(rd.softState.leader, rd.softState.role);
      if (this.inFlight.size > 0) this.leaderNow = rd.softState.leader;
    }
    const ce = rd.committedEntries;
    if (ce.length > 0) this.d.hooks.committed?.(ce[0]!.index, ce[ce.length - 1]!.index);
    for (const m of rd.earlyMessages) transport.send(m);
    if (globalThis.raftlightPlantedBugs?.applyBeforePersist === true) {
      // PLANTED BUG (never in images): apply and advance while the Ready is still being persisted
      // (the leader then counts its own entries toward commit before they are durable).
      const persisting = (async () => {
        if (rd.snapshot) await storage.installSnapshot(rd.snapshot);
        await storage.saveReady(rd.hardState ?? null, rd.entries, rd.mustSync);
      })();
      if (rd.snapshot) await this.restore(rd.snapshot);
      this.applyCommitted(rd);
      this.d.node.advance(rd);
      await persisting;
      for (const m of rd.messages) transport.send(m);
      return 'advanced';
    }
    if (rd.snapshot) await storage.installSnapshot(rd.snapshot);
    await storage.saveReady(rd.hardState ?? null, rd.entries, rd.mustSync);
    if (this.stopped) return 'stopped';
    for (const m of rd.messages) transport.send(m);
    if (rd.snapshot) {
      await this.restore(rd.snapshot);
      if (this.stopped) return 'stopped';
    }
    this.applyCommitted(rd);
    return 'persisted';
  }

  private applyCommitted(rd: Ready): void {
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
    if (this.stopped) {
      next.close();
      return;
    }
    this.state.close();
    this.state = next;
    this.confState = snapshot.metadata.confState;
    this.d.log.info('installed snapshot', { index: snapshot.metadata.index, bytes: snapshot.data.byteLength });
    this.d.hooks.restored(next);
    this.d.hooks.confChanged(this.confState, undefined, snapshot.metadata.index);
  }

  private apply(e: Entry): void {
    if (e.index <= this.state.appliedIndex()) return; // already in the restored snapshot
    this.d.hooks.entryApplied?.(e);
    if (e.type === 'conf-change') {
      let context: string | undefined;
      try {
        const cc = decodeConfChange(e.data);
        context = cc.context;
        this.confState = this.d.node.applyConfChange(cc);
      } catch (err) {
        // Committed bytes every board decodes the same way: every board ignores it alike.
        this.d.log.warn('ignoring undecodable conf change', { index: e.index, err });
      }
      this.state.applyMembership(e.index, this.confState, context);
      this.d.hooks.confChanged(this.confState, context, e.index);
      return;
    }
    const result = this.state.apply(e.index, e.data);
    if (result.requestId !== null) {
      this.d.proposals.settle(result.requestId, result.outcome);
      this.inFlight.forget(result.requestId);
    }
    this.d.hooks.applied(result);
  }

  private async maybeSnapshot(): Promise<void> {
    const applied = this.state.appliedIndex();
    if (!this.d.storage.snapshotDue(applied)) return;
    const started = this.d.clock.now();
    const image = this.state.export();
    const size = image.byteLength;
    let meta;
    try {
      meta = await this.d.storage.takeSnapshot(applied, this.confState, image);
    } finally {
      releaseBytes(image); // written: free the copy now, not at the next full collection
    }
    this.d.log.info('snapshot taken, log compacted', { index: meta.index, bytes: size, ms: Math.round(this.d.clock.now() - started) });
  }

  private fail(err: Error): void {
    if (this.failure !== null) return;
    this.failure = err;
    this.stopped = true;
    this.queue.drain();
    this.d.hooks.fatal(err);
  }

  /**
   * Stops the loop: no command or Ready is handled after this, and a Ready
   * waiting for the disk is abandoned when the disk answers (nothing is
   * applied to a state machine the caller is about to close). Resolves once
   * the loop is idle; the caller may then close the storage and the state.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.drain();
    await this.running?.catch(() => {});
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

