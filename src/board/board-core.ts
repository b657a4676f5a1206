// The heart of a board, without its listeners: the data directory (WAL,
// snapshots, log store), the state machine, the Raft core and the Ready loop
// that alone drives it, the waiting rooms for writes and reads, and the ticker.
// A running board (board.ts) adds the broker, the MQTT transport, the APIs
// and the publisher around it; the deterministic simulation runs this same
// code on a simulated disk, clock and network.
import { RaftNode, bootstrapSnapshot, type ConfState, type NodeId, type RaftBugs, type RaftStatus, type RandomSource, type Entry } from '../raft/index.ts';
import { openDataDir, type OpenedDataDir } from '../storage/open.ts';
import type { StorageFs } from '../storage/fs-layer.ts';
import type { SnapshotPolicyOptions } from '../storage/snapshot-policy.ts';
import { StateMachine } from '../state/index.ts';
import type { ApplyResult } from '../state/results.ts';
import type { Transport } from '../transport/transport.ts';
import { ApiError } from '../api/errors.ts';
import type { BoardClock, Timer } from './clock.ts';
import type { Logger } from './log.ts';
import { decodeMemberContext } from './members.ts';
import { RaftLoop, restoreState } from './raft-loop.ts';
import { releaseBytes } from './release-bytes.ts';
import { ReadContexts, type ReadContextSource } from './read-context.ts';
import { holdsState, isLostState, readIdentity, settleIdentity, type Incarnation } from './incarnation.ts';
import { nodeFs } from '../storage/fs-layer.ts';
import { ProposalWaiters, ReadWaiters } from './waiters.ts';

export interface RaftTuning {
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly maxSizePerMsg?: number;
  readonly parallelLeaderWrite?: boolean;
  /** TEST ONLY: broken core behaviours (the simulation's planted bugs). */
  readonly bugs?: RaftBugs;
}

export interface CoreOpenOptions {
  /** This board's member id (its Raft id). */
  readonly id: NodeId;
  readonly dataDir: string;
  readonly fs?: StorageFs;
  /** Take the data directory's LOCK (default true; the simulation's boards share one process). */
  readonly lockDataDir?: boolean;
  readonly segmentBytes?: number;
  readonly snapshotPolicy?: SnapshotPolicyOptions;
  readonly clock: BoardClock;
  /** Randomness of the core's election timeouts. */
  readonly random: RandomSource;
  /** Names this process's reads (random per start unless given, as the simulation does). */
  readonly readIncarnation?: string;
  /** TEST ONLY: another source of read names (the simulation's planted per-process counter). */
  readonly readContexts?: ReadContextSource;
  readonly wasmBinary?: Uint8Array | undefined;
  readonly log: Logger;
  readonly raft: RaftTuning;
  readonly tickMs: number;
  readonly requestTimeoutMs: number;
  /** The founding state, used when the data directory is empty and this board founds the installation. */
  readonly bootstrap?: (() => Promise<{ image: Uint8Array; confState: ConfState }>) | undefined;
}

/** What the rest of the board listens to; the core does its own part of each first. */
export interface CoreListeners {
  applied?(result: ApplyResult): void;
  confChanged?(confState: ConfState, context: string | undefined, index: number): void;
  restored?(state: StateMachine): void;
  softStateChanged?(leader: string | null, role: string): void;
  committed?(first: number, last: number): void;
  entryApplied?(entry: Entry): void;
  fatal?(err: Error): void;
}

export interface IncarnationOpenOptions extends Omit<CoreOpenOptions, 'id'> {
  /** The board's id (its --id). */
  readonly board: string;
  readonly cluster: string;
  /**
   * The installation already counts this board as a member (a founder's peers
   * said so, or a join was refused for it): an empty data directory then means
   * a lost one, never a new board.
   */
  readonly knownMember?: boolean;
}

export class BoardCore {
  /**
   * Opens the board under the identity its data directory supports: the member
   * it was when the directory holds what that member promised; otherwise (the
   * log damaged or cut below its commit, the snapshots lost, the directory
   * emptied) the damaged files are set aside and a new incarnation starts
   * empty under a new member id, never founding (see incarnation.ts).
   */
  static async openIncarnation(o: IncarnationOpenOptions): Promise<{ core: BoardCore; incarnation: Incarnation }> {
    const fs = o.fs ?? nodeFs;
    let lost: string | null = null;
    const known = await readIdentity(fs, o.dataDir).catch((err: unknown) => {
      lost = (err as Error).message;
      return null;
    });
    const holds = await holdsState(fs, o.dataDir);
    if (lost === null && known?.lost !== undefined) lost = known.lost;
    if (lost === null && !holds && known?.fresh !== true && (known !== null || o.knownMember === true)) {
      lost = 'its write-ahead log and snapshots are gone (the data directory was emptied or replaced)';
    }
    if (lost === null) {
      const incarnation = await settleIdentity(fs, o.dataDir, o.board, o.cluster, o.random, null);
      try {
        const core = await BoardCore.open({ ...o, id: incarnation.identity.member });
        return { core, incarnation };
      } catch (err) {
        if (!isLostState(err)) throw err;
        lost = (err as Error).message;
      }
    }
    o.log.error(`this board lost state it had promised as a member: ${lost}; its damaged files go to ${o.dataDir}/damaged and it rejoins as a new incarnation`);
    const incarnation = await settleIdentity(fs, o.dataDir, o.board, o.cluster, o.random, lost);
    const { bootstrap: _never, ...rest } = o;
    const core = await BoardCore.open({ ...rest, id: incarnation.identity.member });
    o.log.warn('new incarnation', { member: incarnation.identity.member, replaces: incarnation.replaced?.member ?? null });
    return { core, incarnation };
  }

  readonly proposals: ProposalWaiters;
  readonly reads: ReadWaiters;
  private loopRef: RaftLoop | undefined;
  private ticker: Timer | undefined;
  private leader: string | null = null;
  private failWith: (err: Error) => void = () => {};
  /** Resolves when the loop stopped for good on an error. */
  readonly failed: Promise<Error>;

  private constructor(
    private readonly o: CoreOpenOptions,
    readonly storage: OpenedDataDir,
    private readonly node: RaftNode,
    private readonly initialState: StateMachine,
    /** The data directory held nothing: a new board (or one that lost everything). */
    readonly wasFresh: boolean,
  ) {
    this.proposals = new ProposalWaiters(o.requestTimeoutMs, undefined, o.clock);
    this.reads = new ReadWaiters(o.requestTimeoutMs, o.readContexts ?? new ReadContexts(o.id, o.readIncarnation), o.clock);
    this.failed = new Promise<Error>((resolve) => (this.failWith = resolve));
  }

  /** Opens the data directory (founding the installation when asked and it is empty) and restores the state. */
  static async open(o: CoreOpenOptions): Promise<BoardCore> {
    const opened = await openDataDir({
      dir: o.dataDir,
      ...(o.fs ? { fs: o.fs } : {}),
      lock: o.lockDataDir ?? true,
      ...(o.segmentBytes ? { segmentBytes: o.segmentBytes } : {}),
      ...(o.snapshotPolicy ? { policy: o.snapshotPolicy } : {}),
      logger: (message) => o.log.warn(message),
    });
    try {
      const fresh = opened.snapshot === null && opened.hardState.term === 0 && opened.logStore.lastIndex() === 0;
      let snapshot = opened.snapshot;
      if (fresh && o.bootstrap) {
        const { image, confState } = await o.bootstrap();
        snapshot = { ...bootstrapSnapshot(confState), data: image };
        await opened.storage.installSnapshot(snapshot);
        await opened.storage.saveReady({ term: 1, vote: null, commit: 1 }, [], true);
        o.log.info('bootstrapped a new cluster', { voters: confState.voters });
      }
      const opts = o.wasmBinary ? { wasmBinary: o.wasmBinary } : {};
      const state = snapshot ? await restoreState(snapshot, o.wasmBinary) : await StateMachine.create(opts);
      // The state machine copied the image and the data directory keeps it; a board lives long, so
      // the core keeps no reference to it (up to 2 MiB) and an image of its own is freed at once.
      if (snapshot) releaseBytes(snapshot.data);
      const kept: OpenedDataDir = { ...opened, snapshot: null };
      const node = new RaftNode({
        id: o.id,
        storage: opened.logStore,
        random: o.random,
        electionTicks: o.raft.electionTicks,
        heartbeatTicks: o.raft.heartbeatTicks,
        preVote: true,
        checkQuorum: true,
        // Well under the broker's 1 MiB packet cap: an append always carries at least one
        // entry, and a command is at most 64 KiB.
        maxSizePerMsg: o.raft.maxSizePerMsg ?? 256 * 1024,
        applied: state.appliedIndex(),
        // The leader's fsync overlaps its followers' (thesis §10.2.1): one disk write less per commit round.
        parallelLeaderWrite: o.raft.parallelLeaderWrite ?? true,
        ...(o.raft.bugs ? { bugs: o.raft.bugs } : {}),
      });
      return new BoardCore(o, kept, node, state, fresh);
    } catch (err) {
      await opened.close().catch(() => {});
      throw err;
    }
  }

  get id(): NodeId {
    return this.o.id;
  }

  get loop(): RaftLoop {
    if (!this.loopRef) throw new Error('the core is not started');
    return this.loopRef;
  }

  /** The state machine as it is now (a snapshot from the leader replaces it). */
  get state(): StateMachine {
    return this.loopRef?.state ?? this.initialState;
  }

  /** The core's state, read-only. */
  view(): RaftStatus {
    return this.node.status();
  }

  /** Raft messages the core refused (their sender could not have sent them), by reason. */
  refusedMessages(): { total: number; byReason: Readonly<Record<string, number>> } {
    return { total: this.node.dropped.total, byReason: this.node.dropped.snapshot() };
  }

  lastRefused(): unknown {
    return this.node.lastDrop;
  }

  /** The board's role from the configuration it has applied. */
  role(): 'voter' | 'external' | 'none' {
    const cs = this.loopRef?.confState ?? this.node.status().confState;
    if (cs.learners.includes(this.o.id)) return 'external';
    if (cs.voters.includes(this.o.id) || cs.votersOutgoing.includes(this.o.id)) return 'voter';
    return 'none';
  }

  /**
   * Starts the Ready loop on `transport` and the ticker. From here on only the
   * loop touches the core: the transport's messages and reports become commands.
   */
  start(transport: Transport, listeners: CoreListeners = {}): RaftLoop {
    if (this.loopRef) throw new Error('the core is already started');
    const loop = new RaftLoop({
      node: this.node, storage: this.storage.storage, transport, state: this.initialState, wasmBinary: this.o.wasmBinary,
      proposals: this.proposals, reads: this.reads, log: this.o.log, clock: this.o.clock,
      hooks: {
        committed: (first, last) => listeners.committed?.(first, last),
        ...(listeners.entryApplied ? { entryApplied: listeners.entryApplied } : {}),
        applied: (result) => listeners.applied?.(result),
        confChanged: (cs, context, index) => {
          this.followMembership(transport, cs, context, index);
          listeners.confChanged?.(cs, context, index);
        },
        restored: (sm) => listeners.restored?.(sm),
        softStateChanged: (l, r) => {
          if (l !== this.leader) {
            this.o.log.info('leader changed', { leader: l, role: r, term: this.node.status().term });
            // Reads asked of a leader that is gone are forgotten by it: fail them now, not at their timeout.
            if (this.leader !== null) this.reads.failUnanswered(new ApiError('NO_LEADER', 503, 'the leader changed while this read waited for it; retry'));
          }
          this.leader = l;
          listeners.softStateChanged?.(l, r);
        },
        fatal: (err) => {
          this.ticker?.cancel();
          listeners.fatal?.(err);
          this.failWith(err);
        },
      },
    });
    this.loopRef = loop;
    transport.onMessage((message) => loop.submit({ type: 'step', message }));
    transport.onSnapshotStatus((peer, ok) => loop.submit({ type: 'snapshot-status', peer, ok }));
    transport.onUnreachable((peer) => loop.submit({ type: 'unreachable', peer }));
    transport.onReachable((peer) => loop.submit({ type: 'reachable', peer }));
    for (const m of this.state.members()) {
      if (m.id !== this.o.id && m.host !== null && m.port !== null) transport.addPeer(m.id, { host: m.host, port: m.port });
    }
    this.ticker = this.o.clock.every(this.o.tickMs, () => loop.tick());
    loop.schedule();
    return loop;
  }

  /** The transport follows the membership: new members' addresses, departed members dropped. */
  private followMembership(transport: Transport, cs: ConfState, context: string | undefined, index: number): void {
    const ctx = decodeMemberContext(context);
    for (const [id, addr] of Object.entries(ctx.addresses)) if (id !== this.o.id) transport.addPeer(id, addr);
    for (const m of this.state.members()) {
      if (m.id !== this.o.id && m.host !== null && m.port !== null) transport.addPeer(m.id, { host: m.host, port: m.port });
    }
    const members = new Set([...cs.voters, ...cs.learners, ...cs.votersOutgoing]);
    for (const id of transport.stats().keys()) if (!members.has(id) && !this.pinnedPeers.has(id)) transport.removePeer(id);
    if (ctx.requestId) this.proposals.settle(ctx.requestId, { ok: true, revision: index });
    this.o.log.info('membership', { index, voters: cs.voters, externals: cs.learners.length });
  }

  /** Peers the transport keeps whatever the membership says (a joining board's contacts). */
  readonly pinnedPeers = new Set<NodeId>();

  /**
   * Stops the loop (a Ready waiting for the disk is abandoned), fails every
   * waiting request, then closes the state machine and the data directory.
   */
  async stop(reason: Error): Promise<void> {
    this.ticker?.cancel();
    await this.loopRef?.stop();
    this.proposals.failAll(reason);
    this.reads.failAll(reason);
    this.state.close();
    await this.storage.close();
  }
}

