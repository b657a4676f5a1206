// One deterministic simulation run of the code that ships: every simulated board
// is a BoardCore (its Ready loop, log store, write-ahead log, snapshot store and
// sql.js state machine, unchanged) on a simulated disk, clock and network. The
// harness plays clients, faults and an operator's supervisor, and checks Raft's
// safety properties, linearizability and durability on every seed.
import { BoardCore } from '../../src/board/board-core.ts';
import { createServices } from '../../src/board/services.ts';
import { withAccessServices } from '../../src/board/access-services.ts';
import { createLogger } from '../../src/board/log.ts';
import { plantBugs, type PlantedBugs } from '../../src/board/planted-bugs.ts';
import { encodeMemberContext } from '../../src/board/members.ts';
import type { BoardServices } from '../../src/api/services.ts';
import { SeededRandom } from '../../src/raft/random.ts';
import type { RaftBugs } from '../../src/raft/config.ts';
import type { ConfState, Entry, Message, NodeId } from '../../src/raft/types.ts';
import type { ConfChange } from '../../src/raft/conf-change.ts';
import { StateMachine } from '../../src/state/index.ts';
import type { Outcome } from '../../src/state/results.ts';
import { SimNetwork } from './network.ts';
import { SafetyViolation } from './invariants.ts';
import { checkLinearizable, type HistoryOp } from './linearizability.ts';
import type { OpResult, RegisterOp } from './register.ts';
import { SimDisk } from './sim-disk.ts';
import { NodeClock, SimTimeline } from './sim-clock.ts';
import { SimTransport } from './sim-transport.ts';
import { BoardChecker, checkCommitDurable, type LogView } from './board-checker.ts';

export interface SimOptions {
  readonly seed: number;
  /** TEST ONLY: broken core behaviours. */
  readonly bugs?: RaftBugs;
  /** TEST ONLY: broken behaviours of the loop and the storage (compiled out of images). */
  readonly planted?: PlantedBugs;
  /** TEST ONLY: broken behaviours of the harness's stand-ins for board code. */
  readonly harnessBugs?: SimHarnessBugs;
  /** Time units with faults before everything heals. */
  readonly faultTime?: number;
  /** Time units after healing within which every operation must complete. */
  readonly livenessBound?: number;
  /** Shorthand for profile 'stress'. */
  readonly stress?: boolean;
  /** Fault profile; by default the seed picks one. */
  readonly profile?: SimProfile;
  /** Add disk faults (failing fsyncs, full disks, damaged files, lost disks) to whatever profile runs. */
  readonly diskFaults?: boolean;
}

export interface SimHarnessBugs {
  /** Read contexts numbered r1, r2, ... per process, starting again at every start (the old board scheme). */
  readonly perProcessReadCounter?: boolean;
}

/**
 * - mixed: 3, 5 or 7 voters plus learners, every fault kind at moderate rates.
 * - stress: 5 voters, one entry per append, frequent crashes and power cuts.
 * - leader-churn: Figure 8's adversary: leaders lose power soon after election or right after applying.
 * - delayed-reads: many concurrent linearizable reads while messages stay on the wire for many election timeouts.
 * - disk-faults: mixed, plus failing fsyncs, full disks, flipped bits, cut files and lost disks.
 */
export type SimProfile = 'mixed' | 'stress' | 'leader-churn' | 'delayed-reads' | 'disk-faults';

export type FaultKind =
  | 'drop' | 'duplicate' | 'reorder' | 'partition' | 'crash' | 'power-cut' | 'conf-change' | 'remove-leader'
  | 'promote-learner' | 'transfer' | 'snapshot' | 'long-delay' | 'stall' | 'pause' | 'link-cut' | 'link-lost' | 'link-back'
  | 'fsync-error' | 'disk-full' | 'bit-flip' | 'file-cut' | 'disk-lost' | 'read-only' | 'fatal-stop' | 'new-incarnation'
  | 'snapshot-power-cut';

export interface SimResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly failure?: string;
  readonly trace: readonly string[];
  readonly faults: ReadonlySet<FaultKind>;
  readonly stats: { voters: number; learners: number; ops: number; applied: number; time: number };
  readonly profile: SimProfile;
}

/** Time units per Raft tick. */
const TICK = 5;
/** A client retries an unanswered operation after this many units. */
const RETRY = 80;
/** The boards' request timeout, in units (a write or read unanswered this long fails). */
const REQUEST_TIMEOUT = 200;
const DATA_DIR = '/data';

interface SimNode {
  readonly board: string;
  readonly disk: SimDisk;
  member: NodeId;
  phase: 'starting' | 'up' | 'down' | 'failed' | 'decommissioned';
  core: BoardCore | undefined;
  services: BoardServices | undefined;
  clock: NodeClock | undefined;
  transport: SimTransport | undefined;
  incarnation: number;
  downUntil: number;
  /** The disk met a fault other than a power cut since the board last opened it cleanly. */
  diskFaulted: boolean;
  /**
   * Since it last opened cleanly, it met a fault that can cost it its state (a flipped or cut
   * log, a lost disk, a damaged snapshot with nothing older to fall back to). Without one,
   * coming back as a new incarnation is a bug.
   */
  lossPossible: boolean;
  /** Why the board last stopped on its own (its fatal error, or the error opening its data directory). */
  failure: string | undefined;
  /** leader-churn: when this leader loses power. */
  crashAt: number;
  /** The founding members (only they bootstrap; a board that joins later starts empty). */
  readonly founder: boolean;
  /** Its disk was lost: the installation knows it as a member (a founder's probe, a refused join would say so). */
  lostDisk: boolean;
  /** A new incarnation not yet in the configuration: the operator adds it. */
  needsJoin: boolean;
  /** The member id this incarnation replaces, until that one has left the configuration. */
  replaces: NodeId | undefined;
  nextJoinAt: number;
  /**
   * A fault that can lose state hit it (a cut or flipped log may lose entries it acknowledged
   * without it noticing), and it has not yet applied everything it could have acknowledged
   * before (repairIndex), nor come back as a new incarnation.
   */
  atRisk: boolean;
  repairIndex: number;
  /** Its log as it last stood while running (what it brings back to an election after a restart). */
  lastView: LogView | undefined;
}

interface Client {
  readonly id: number;
  seq: number;
  op: RegisterOp | undefined;
  call: number;
  attempt: number;
  nodeId: string | undefined;
  retryAt: number;
  requestId: string;
  /** Driven by an adversary's story (delayed-reads), not by the random client loop. */
  readonly scripted: boolean;
}

export async function runSimulation(opts: SimOptions): Promise<SimResult> {
  const sim = new BoardSimulation(opts);
  plantBugs(opts.planted ?? {});
  try {
    await sim.run();
    return sim.result(undefined);
  } catch (err) {
    const msg = err instanceof SafetyViolation ? err.message : err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err);
    return sim.result(msg);
  } finally {
    await sim.shutdown();
    plantBugs({});
  }
}

function pickProfile(rng: SeededRandom): SimProfile {
  const x = rng.next();
  return x < 0.25 ? 'leader-churn' : x < 0.45 ? 'delayed-reads' : 'mixed';
}

const silent = createLogger('sim', 'error', () => {});

/** The planted harness bug: read names r1, r2, ... that start again with every process. */
class PerProcessCounter {
  private seq = 0;
  next(): { context: Uint8Array; key: string } {
    const key = `r${++this.seq}`;
    return { context: new TextEncoder().encode(key), key };
  }
}

/** A board's persisted log as an election sees it; `copy` keeps it after the board is gone. */
function viewOf(core: BoardCore, copy = false): LogView {
  const store = core.storage.logStore;
  const first = store.firstIndex();
  const lastIndex = store.lastIndex();
  const termAt = (i: number): number | 'compacted' | undefined => {
    if (i > lastIndex) return undefined;
    if (i < first - 1) return 'compacted';
    return store.term(i);
  };
  if (!copy) return { lastIndex, lastTerm: store.term(lastIndex), termAt };
  const terms = new Map<number, number>();
  for (let i = first - 1; i <= lastIndex; i++) terms.set(i, store.term(i));
  return { lastIndex, lastTerm: terms.get(lastIndex) ?? 0, termAt: (i) => (i > lastIndex ? undefined : terms.get(i) ?? 'compacted') };
}

class BoardSimulation {
  private readonly rng: SeededRandom;
  private readonly timeline = new SimTimeline();
  private readonly net: SimNetwork;
  private readonly checker = new BoardChecker();
  private readonly nodes = new Map<string, SimNode>();
  private readonly clients: Client[] = [];
  private readonly history: HistoryOp[] = [];
  private readonly trace: string[] = [];
  private readonly faults = new Set<FaultKind>();
  private readonly spares: string[] = ['s1', 's2'];
  private readonly profile: SimProfile;
  private readonly diskFaults: boolean;
  private readonly faultTime: number;
  private readonly livenessBound: number;
  private readonly voterCount: number;
  private readonly learnerCount: number;
  private readonly crashRate: number;
  private readonly powerCutShare: number;
  private readonly killAfterApply: number;
  private readonly dieYoung: number;
  private readonly maxDowntime: number;
  private readonly maxSizePerMsg: number;
  private readonly snapshotEntries: number;
  private healed = false;
  private founding: { image: Uint8Array; confState: ConfState } | undefined;
  private registerReady = false;
  /** The first violation found inside a callback (thrown from the run loop at the next check). */
  private violation: Error | undefined;
  /** No random crash, partition, pause or disk fault before this time (a story is playing out). */
  private quietUntil = 0;
  /** Timed steps of the read adversaries' stories. */
  private stories: { at: number; run: () => void }[] = [];
  /** The restart story in progress. */
  private story: { phase: 'restarted' | 'answer-held' | 'writing'; f: SimNode; since: number } | undefined;
  /** Boards random clients leave alone while a story uses them. */
  private readonly reserved = new Set<string>();

  constructor(private readonly opts: SimOptions) {
    this.rng = new SeededRandom(opts.seed);
    const rng = this.rng;
    this.faultTime = opts.faultTime ?? 2500;
    this.livenessBound = opts.livenessBound ?? 5000;
    this.profile = opts.profile ?? (opts.stress === true ? 'stress' : pickProfile(rng));
    this.diskFaults = opts.diskFaults === true || this.profile === 'disk-faults';
    const focused = this.profile === 'stress' || this.profile === 'leader-churn';
    const delayedReads = this.profile === 'delayed-reads';
    this.crashRate = this.profile === 'stress' ? 0.015 : this.profile === 'leader-churn' ? 0.003 : 0.004;
    this.powerCutShare = this.profile === 'stress' || this.profile === 'leader-churn' ? 0.8 : 0.5;
    this.killAfterApply = this.profile === 'stress' ? 0.3 : this.profile === 'leader-churn' ? 0.15 : 0;
    this.dieYoung = this.profile === 'leader-churn' ? 0.8 : 0;
    this.maxDowntime = this.profile === 'leader-churn' || delayedReads ? 150 : 300;
    this.voterCount = focused ? 5 : delayedReads ? rng.pick([3, 5]) : rng.pick([3, 5, 7]);
    this.learnerCount = focused ? 0 : rng.nextInt(3);
    this.maxSizePerMsg = focused || rng.chance(0.4) ? 1 : 4096;
    this.snapshotEntries = 15 + rng.nextInt(40);
    this.net = new SimNetwork(rng, {
      dropRate: rng.next() * 0.15,
      duplicateRate: rng.next() * 0.08,
      maxDelay: 2 + rng.nextInt(14),
      ...(delayedReads ? { longDelayRate: 0.005 + rng.next() * 0.02, readPathLongDelayRate: 0.05 + rng.next() * 0.25, longDelayMin: 50, longDelayMax: 400 } : {}),
    });
    for (let c = 0; c < (delayedReads ? 9 : 3); c++) {
      this.clients.push({ id: c, seq: 0, op: undefined, call: 0, attempt: 0, nodeId: undefined, retryAt: 0, requestId: '', scripted: c >= 6 });
    }
  }

  private log(s: string): void {
    this.trace.push(`[${this.timeline.now}] ${s}`);
    if (this.trace.length > 80) this.trace.shift();
  }

  // ---- boards ----

  private async setup(): Promise<void> {
    const voters = Array.from({ length: this.voterCount }, (_, i) => `v${i + 1}`);
    const learners = Array.from({ length: this.learnerCount }, (_, i) => `l${i + 1}`);
    const confState: ConfState = { voters, learners, votersOutgoing: [], learnersNext: [], autoLeave: false };
    const sm = await StateMachine.create();
    const addresses = Object.fromEntries([...voters, ...learners].map((id, i) => [id, { host: 'sim', port: 1000 + i }]));
    sm.applyMembership(1, confState, encodeMemberContext({ requestId: null, addresses }));
    this.founding = { image: sm.export(), confState };
    sm.close();
    for (const id of [...voters, ...learners]) this.addNode(id, true);
    this.log(`seed ${this.opts.seed} (${this.profile}${this.diskFaults ? ', disk faults' : ''}): voters ${voters.join(',')} learners ${learners.join(',') || '-'} maxSizePerMsg ${this.maxSizePerMsg} snapshot every ${this.snapshotEntries} drop ${this.net.faults.dropRate.toFixed(3)} dup ${this.net.faults.duplicateRate.toFixed(3)} delay<=${this.net.faults.maxDelay}`);
  }

  private addNode(board: string, founder: boolean): SimNode {
    const sn: SimNode = {
      board, disk: new SimDisk(), member: board, phase: 'down', core: undefined, services: undefined, clock: undefined, transport: undefined,
      incarnation: 0, downUntil: 0, diskFaulted: false, failure: undefined, crashAt: Infinity, founder, lostDisk: false, lossPossible: false,
      needsJoin: false, replaces: undefined, nextJoinAt: 0, atRisk: false, repairIndex: 0, lastView: undefined,
    };
    this.nodes.set(board, sn);
    this.start(sn);
    return sn;
  }

  /** Starts a board's process: opens its data directory and starts its core (asynchronously, like a real start). */
  private start(sn: SimNode): void {
    sn.incarnation++;
    sn.phase = 'starting';
    sn.crashAt = Infinity;
    const clock = this.timeline.clockFor(`${sn.board}#${sn.incarnation}`);
    const transport = new SimTransport(sn.member, { send: (m) => this.onSend(sn, m) }, clock);
    sn.clock = clock;
    sn.transport = transport;
    const incarnation = sn.incarnation;
    const readIncarnation = this.rng.nextInt(2 ** 31).toString(16);
    const seed = this.opts.seed * 131 + incarnation * 7 + sn.board.charCodeAt(1) * 1009;
    const founding = this.founding!;
    const knownMember = sn.lostDisk;
    const damagedBefore = sn.disk.describe(`${DATA_DIR}/damaged`);
    void BoardCore.openIncarnation({
      board: sn.board, cluster: 'sim', knownMember,
      dataDir: DATA_DIR, fs: sn.disk.session(this.fsyncLatency(clock)), lockDataDir: false, segmentBytes: 2 * 1024,
      snapshotPolicy: { maxEntries: this.snapshotEntries, keepEntries: this.rng.nextInt(5) },
      clock, random: new SeededRandom(seed), readIncarnation, log: silent,
      ...(this.opts.harnessBugs?.perProcessReadCounter === true ? { readContexts: new PerProcessCounter() } : {}),
      raft: {
        electionTicks: 10, heartbeatTicks: 1, maxSizePerMsg: this.maxSizePerMsg, parallelLeaderWrite: true,
        ...(this.opts.bugs ? { bugs: this.opts.bugs } : {}),
      },
      tickMs: TICK, requestTimeoutMs: REQUEST_TIMEOUT,
      ...(sn.founder ? { bootstrap: async () => founding } : {}),
    }).then(({ core, incarnation: inc }) => {
      if (sn.clock !== clock || !clock.alive) {
        void core.stop(new Error('abandoned')).catch(() => {});
        return;
      }
      // A board that set damaged state aside must not come back as the member it was: its vote and its
      // acknowledgements are gone ("a member is its durable state").
      if (inc.identity.member === sn.member && sn.disk.describe(`${DATA_DIR}/damaged`) !== damagedBefore) {
        this.violation ??= new SafetyViolation('election safety', `${sn.member} lost its state (its damaged files were set aside) and came back as the same voting member`);
      }
      // Under a new member id the budget counts the old id as lost until it has left the configuration.
      if (inc.identity.member !== sn.member) {
        if (!sn.lossPossible && !sn.lostDisk) {
          this.violation ??= new SafetyViolation('durability', `${sn.member} lost its state after nothing but crashes and power cuts: ${inc.replaced?.reason.split('\n')[0]}`);
        }
        sn.atRisk = false;
        this.faults.add('new-incarnation');
        this.log(`${sn.member} comes back as ${inc.identity.member}: ${inc.replaced?.reason.split('\n')[0] ?? ''}`);
        sn.member = inc.identity.member;
        transport.rename(sn.member);
        sn.needsJoin = true;
        sn.replaces = inc.replaced?.member;
      }
      this.attach(sn, core, clock, transport, incarnation);
    }, (err: unknown) => {
      if (sn.clock !== clock) return;
      this.stopped(sn, `cannot open its data directory: ${(err as Error).message}`, 'open');
    });
  }

  private attach(sn: SimNode, core: BoardCore, clock: NodeClock, transport: SimTransport, incarnation: number): void {
    sn.core = core;
    sn.phase = 'up';
    // A disk that is still nearly full or read-only stays faulted: the board may meet it at any later write or start.
    sn.diskFaulted = sn.disk.faults.capacityBytes !== Infinity || sn.disk.faults.readOnly;
    sn.lossPossible = false;
    sn.lostDisk = false;
    this.checker.resetApplied(sn.member, core.state.appliedIndex());
    core.start(transport, {
      entryApplied: (e) => {
        this.onApplied(sn, core, e);
        // Figure 8's adversary: a leader loses power right after applying, before its next messages leave.
        if (this.killAfterApply > 0 && !this.healed && !this.anyAtRisk() && sn.clock === clock && core.view().role === 'leader' && this.rng.chance(this.killAfterApply)) {
          this.crash(sn, true, 'loses power after applying');
        }
      },
      softStateChanged: (_leader, role) => {
        if (role !== 'leader' || this.healed || sn.clock !== clock) return;
        // A board with an unnoticed loss is one fault already: its leader must live to notice it.
        if (this.anyAtRisk()) return;
        this.log(`${sn.member} leads term ${core.view().term}`);
        // leader-churn: the term ends early, often with its first entries on a minority.
        if (this.rng.chance(this.dieYoung)) sn.crashAt = this.rng.chance(0.7) ? this.timeline.now : this.timeline.now + 1 + this.rng.nextInt(3 * this.net.faults.maxDelay + 10);
      },
      restored: (state) => {
        this.checker.resetApplied(sn.member, state.appliedIndex());
        this.faults.add('snapshot');
      },
      fatal: (err) => {
        if (sn.clock === clock && sn.incarnation === incarnation) this.stopped(sn, err.message, 'fatal');
      },
    });
    sn.services = withAccessServices(createServices({
      id: sn.member, cluster: 'sim', loop: core.loop, transport, proposals: core.proposals, reads: core.reads,
      status: () => ({}), peers: () => ({}),
    }), { id: sn.member, loop: core.loop, nowMs: () => this.timeline.now });
  }

  /** The board stopped by itself (a fatal error, or a data directory it cannot open): as a supervisor would, restart it later. */
  private stopped(sn: SimNode, why: string, kind: 'fatal' | 'open'): void {
    this.faults.add('fatal-stop');
    this.log(`${sn.member} stops: ${why.split('\n')[0]}`);
    if (kind === 'open' && !sn.diskFaulted) {
      this.violation ??= new SafetyViolation('durability', `${sn.member} cannot reopen a data directory that met nothing but power cuts: ${why.split('\n')[0]}`);
    }
    this.kill(sn);
    sn.phase = 'failed';
    sn.failure = why;
    sn.downUntil = this.timeline.now + 30 + this.rng.nextInt(100);
  }

  /** The process is gone: nothing of it runs again (its disk keeps what reached it). */
  private kill(sn: SimNode): void {
    if (sn.core) sn.lastView = viewOf(sn.core, true);
    sn.clock?.kill();
    sn.disk.fence();
    void sn.transport?.close();
    const core = sn.core;
    sn.core = undefined;
    sn.services = undefined;
    sn.clock = undefined;
    sn.transport = undefined;
    if (core) {
      void core.stop(new Error('crashed')).catch(() => {});
      // The process is gone and so is its memory: stop() may wait for ever on the dead process's I/O,
      // so the database (sql.js's shared WASM heap) is freed here, or 1,600 seeds exhaust that heap.
      core.state.close();
    }
    for (const c of this.clients) if (c.nodeId === sn.board) c.retryAt = Math.min(c.retryAt, this.timeline.now + RETRY);
  }

  private live(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.phase === 'up');
  }

  private active(sn: SimNode): boolean {
    return sn.phase === 'up' && !this.net.isPaused(sn.member, this.timeline.now);
  }

  private byMember(id: NodeId): SimNode | undefined {
    for (const n of this.nodes.values()) if (n.member === id && n.phase === 'up') return n;
    return undefined;
  }

  private leader(): SimNode | undefined {
    let best: SimNode | undefined;
    let term = -1;
    for (const n of this.live()) {
      const s = n.core!.view();
      if (s.role === 'leader' && s.term > term) {
        best = n;
        term = s.term;
      }
    }
    return best;
  }

  /** An fsync takes 0 to 2 time units (messages keep arriving meanwhile; a power cut loses what it had not made durable). */
  private fsyncLatency(clock: NodeClock): { wait(): Promise<void> } {
    return {
      wait: () => {
        const units = this.rng.nextInt(3);
        return units === 0 ? Promise.resolve() : new Promise<void>((r) => void clock.after(units, r));
      },
    };
  }

  // ---- the run ----

  async run(): Promise<void> {
    await this.setup();
    const end = this.faultTime + this.livenessBound;
    for (; this.timeline.now < end; this.timeline.now++) {
      if (!this.healed && this.timeline.now >= this.faultTime) this.heal();
      if (!this.healed && this.registerReady) this.injectFaults();
      this.restartDownNodes();
      this.operate();
      this.deliver();
      this.timeline.fireDue();
      if (this.registerReady) this.driveClients();
      else this.createRegister();
      await this.timeline.settle();
      this.checkStep();
      if (this.healed && this.registerReady && this.allClientsDone()) break;
    }
    if (!this.allClientsDone()) {
      const pending = this.clients.filter((c) => c.op).map((c) => `client ${c.id} ${JSON.stringify(c.op)} via ${c.nodeId}`);
      throw new Error(`liveness: ${pending.length} operations still pending ${this.livenessBound} units after healing (leader ${this.leader()?.member ?? 'none'}): ${pending.join('; ')}\n${this.describeNodes()}`);
    }
    await this.converge();
    const lin = checkLinearizable(this.history);
    if (lin !== true) throw new SafetyViolation('linearizability', lin);
  }

  private describeNodes(): string {
    return [...this.nodes.values()].map((sn) => {
      if (!sn.core) return `${sn.member}: ${sn.phase}${sn.failure ? ` (${sn.failure.split('\n')[0]})` : ''}`;
      const st = sn.core.view();
      const cs = st.confState;
      return `${sn.member}: ${st.role} term ${st.term} lead ${st.leader} commit ${st.commit} applied ${sn.core.state.appliedIndex()} last ${st.lastIndex} voters ${cs.voters} learners ${cs.learners}`;
    }).join('\n');
  }

  /** After healing, every running board reaches the same state (the same applied index and register). */
  private async converge(): Promise<void> {
    for (let i = 0; i < 2000; i++) {
      const l = this.leader();
      const view = l?.core?.view();
      const commit = view?.commit ?? 0;
      const states = this.live().filter((n) => this.isMember(n.member)).map((n) => n.core!.state.appliedIndex());
      // Settled once the leader has committed all it holds (a leader just elected may still be below
      // what the previous leader committed) and every member applied exactly that.
      if (l && commit === view?.lastIndex && states.every((a) => a === commit)) break;
      this.timeline.now++;
      this.deliver();
      this.timeline.fireDue();
      await this.timeline.settle();
    }
    const digests = new Map<string, string>();
    for (const n of this.live()) {
      if (!this.isMember(n.member)) continue;
      const reg = n.core!.state.get('area', 'reg');
      digests.set(n.member, `${n.core!.state.appliedIndex()}:${reg?.revision}:${reg?.value.name}`);
    }
    if (new Set(digests.values()).size > 1) {
      const l = this.leader();
      const progress = l?.core ? JSON.stringify(l.core.view().progress) : 'no leader';
      throw new SafetyViolation('convergence', `boards differ after healing: ${[...digests].map(([k, v]) => `${k}=${v}`).join(' ')}\n${this.describeNodes()}\nleader progress ${progress}\nrefused ${[...this.nodes.values()].map((n) => `${n.member}:${JSON.stringify(n.core?.refusedMessages())}`).join(' ')}`);
    }
  }

  private isMember(id: NodeId): boolean {
    const l = this.leader();
    if (!l) return true;
    const cs = l.core!.view().confState;
    return cs.voters.includes(id) || cs.learners.includes(id);
  }

  private checkStep(): void {
    if (this.violation) throw this.violation;
    for (const n of this.nodes.values()) {
      if (n.clock?.thrown !== undefined) throw n.clock.thrown;
      if (n.phase !== 'up') continue;
      if (n.atRisk && n.core!.state.appliedIndex() >= n.repairIndex) n.atRisk = false;
      const s = n.core!.view();
      this.checker.checkLeader(n.member, s.role, s.term, (i) => {
        try {
          return n.core!.storage.logStore.term(i);
        } catch {
          return undefined;
        }
      }, s.firstIndex);
    }
  }

  private restartDownNodes(): void {
    for (const sn of this.nodes.values()) {
      if ((sn.phase === 'down' || sn.phase === 'failed') && this.timeline.now >= sn.downUntil) {
        this.repairDisk(sn);
        this.log(`${sn.member} restarts`);
        this.start(sn);
      }
    }
  }

  /** What an operator does before restarting a board whose disk is full or read-only: frees space, remounts. */
  private repairDisk(sn: SimNode): void {
    if (sn.phase !== 'failed') return;
    if (sn.disk.faults.capacityBytes !== Infinity) sn.disk.faults.capacityBytes = Infinity;
    sn.disk.faults.readOnly = false;
  }

  /**
   * What the installation does for a board back as a new incarnation (its join request, then
   * autopilot): add it as an external board; once it has caught up, give it the old member's
   * seat (promote it and remove the old member in one joint change), or just remove the old one.
   */
  private operate(): void {
    const l = this.leader();
    if (!l?.core) return;
    const status = l.core.view();
    const cs = status.confState;
    const inConf = (id: NodeId): boolean => cs.voters.includes(id) || cs.learners.includes(id) || cs.votersOutgoing.includes(id);
    for (const sn of this.nodes.values()) {
      if (sn.phase !== 'up' || this.timeline.now < sn.nextJoinAt) continue;
      if (sn.needsJoin) {
        if (inConf(sn.member)) {
          sn.needsJoin = false;
          continue;
        }
        sn.nextJoinAt = this.timeline.now + 60;
        const cc: ConfChange = { transition: 'auto', changes: [{ kind: 'add-learner', node: sn.member }], context: encodeMemberContext({ requestId: null, addresses: { [sn.member]: { host: 'sim', port: 3000 } } }) };
        if (l.core.loop.submit({ type: 'conf-change', requestId: `join-${sn.member}-${this.timeline.now}`, change: cc })) this.log(`${sn.member} asks to join (it replaces ${sn.replaces ?? 'nobody'})`);
        continue;
      }
      const old = sn.replaces;
      if (old === undefined) continue;
      if (!inConf(old)) {
        sn.replaces = undefined;
        continue;
      }
      const match = status.progress[sn.member]?.match ?? 0;
      if (match + 5 < status.commit || cs.votersOutgoing.length > 0) continue;
      sn.nextJoinAt = this.timeline.now + 60;
      const changes: ConfChange['changes'] = cs.voters.includes(old)
        ? [{ kind: 'add-voter', node: sn.member }, { kind: 'remove-node', node: old }]
        : [{ kind: 'remove-node', node: old }];
      if (l.core.loop.submit({ type: 'conf-change', requestId: `replace-${old}-${this.timeline.now}`, change: { transition: 'auto', changes } })) {
        this.log(`${sn.member} takes the place of ${old}`);
      }
    }
  }

  // ---- the network ----

  private onSend(sn: SimNode, m: Message): void {
    if (m.type === 'vote-response') {
      try {
        this.checker.onVoteSent(m);
      } catch (err) {
        this.violation ??= err as Error;
      }
    }
    this.net.send(this.timeline.now, m);
  }

  private deliver(): void {
    for (const m of this.net.due(this.timeline.now)) {
      const to = this.byMember(m.to);
      if (!to || !to.transport) continue;
      to.transport.deliver(m);
    }
  }

  private reportLink(kind: 'unreachable' | 'reachable', a: SimNode, b: SimNode): void {
    for (const [from, to] of [[a, b], [b, a]] as const) {
      if (!from.transport || !this.rng.chance(0.7)) continue;
      from.transport.reportLink(to.member, kind === 'reachable');
      this.faults.add(kind === 'unreachable' ? 'link-lost' : 'link-back');
    }
  }

  // ---- applying and checking ----

  private onApplied(sn: SimNode, core: BoardCore, e: Entry): void {
    try {
      if (this.checker.onApply(sn.member, e)) this.checkDurable(core, e);
    } catch (err) {
      this.violation ??= err as Error;
    }
  }

  /** At an entry's first apply: no voter lacking it could be elected (see checkCommitDurable). */
  private checkDurable(applier: BoardCore, e: Entry): void {
    const cs = applier.view().confState;
    const views = new Map<NodeId, LogView>();
    for (const id of new Set([...cs.voters, ...cs.votersOutgoing])) {
      const n = [...this.nodes.values()].find((x) => x.member === id && x.phase !== 'decommissioned');
      // A board whose log may have lost acknowledged entries unnoticed is one fault already (see atRisk).
      if (!n || n.atRisk) continue;
      const v = n.core ? viewOf(n.core) : n.lastView;
      if (v) views.set(id, v);
    }
    checkCommitDurable(e.index, e.term, [cs.voters, cs.votersOutgoing], views);
  }

  // ---- clients ----

  /** Before anything else, one board creates the register (area "reg", name "v0"). */
  private createRegister(): void {
    const c = this.clients[0]!;
    if (c.op !== undefined && this.timeline.now < c.retryAt) return;
    const l = this.leader();
    if (!l?.services) return;
    c.op = { kind: 'write', value: 0 };
    c.retryAt = this.timeline.now + RETRY;
    const requestId = 'setup-reg';
    l.services.propose({ requestId, command: { type: 'create', kind: 'area', id: 'reg', value: { name: 'v0', type: 'room', parent: null } } })
      .then((o) => {
        if (o.ok || (o.error?.code === 'ALREADY_EXISTS')) {
          this.registerReady = true;
          c.op = undefined;
        }
      }, () => {});
  }

  private driveClients(): void {
    for (const c of this.clients) {
      if (c.scripted) {
        if (c.op !== undefined && this.timeline.now >= c.retryAt) this.submit(c);
        continue;
      }
      if (c.op === undefined) {
        if (c.seq >= 2 && !this.healed && !this.rng.chance(0.02)) continue;
        if (c.seq >= 2 && this.healed) continue;
        c.op = this.randomOp();
        c.call = this.timeline.now;
        c.attempt = 0;
        c.requestId = `c${c.id}-${c.seq}`;
        this.submit(c);
      } else if (this.timeline.now >= c.retryAt) {
        this.submit(c);
      }
    }
  }

  private randomOp(): RegisterOp {
    const readShare = this.profile === 'delayed-reads' ? 0.67 : 0.4;
    return this.rng.chance(readShare) ? { kind: 'read' } : { kind: 'write', value: 1 + this.rng.nextInt(4) };
  }

  private submit(c: Client): void {
    const candidates = this.live().filter((n) => this.active(n) && n.services && !this.reserved.has(n.board));
    if (candidates.length === 0) {
      c.attempt++;
      c.retryAt = this.timeline.now + RETRY;
      return;
    }
    this.submitTo(c, this.rng.pick(candidates));
  }

  /** An idle scripted client starts `op` at `sn` now; false when none is idle. */
  private startScripted(op: RegisterOp, sn: SimNode): boolean {
    const c = this.clients.find((x) => x.scripted && x.op === undefined);
    if (!c || !sn.services) return false;
    c.op = op;
    c.call = this.timeline.now;
    c.attempt = 0;
    c.requestId = `c${c.id}-${c.seq}`;
    this.submitTo(c, sn);
    return true;
  }

  private submitTo(c: Client, sn: SimNode): void {
    c.attempt++;
    c.retryAt = this.timeline.now + RETRY;
    c.nodeId = sn.board;
    const op = c.op!;
    const attempt = c.attempt;
    const seq = c.seq;
    const services = sn.services!;
    const still = (): boolean => c.op === op && c.seq === seq && c.attempt === attempt;
    if (op.kind === 'read') {
      services.linearizableBarrier().then(() => {
        if (!still() || sn.services !== services) return;
        const reg = services.state().get('area', 'reg');
        this.complete(c, { ok: true, value: reg ? Number(reg.value.name.slice(1)) : 0 });
      }, () => {});
    } else {
      // A retry reuses the request id: the write applies at most once.
      services.propose({ requestId: c.requestId, command: { type: 'update', kind: 'area', id: 'reg', value: { name: `v${op.value}`, type: 'room', parent: null } } })
        .then((o: Outcome) => {
          if (!still()) return;
          if (!o.ok) {
            this.violation ??= new SafetyViolation('register', `write ${c.requestId} refused: ${JSON.stringify(o)}`);
            return;
          }
          try {
            this.checker.onAcknowledged(o.revision, c.requestId);
          } catch (err) {
            this.violation ??= err as Error;
          }
          this.complete(c, { ok: true });
        }, () => {});
    }
  }

  private complete(c: Client, result: OpResult): void {
    this.history.push({ client: c.id, op: c.op!, call: c.call, ret: this.timeline.now, result });
    c.op = undefined;
    c.seq++;
  }

  private allClientsDone(): boolean {
    return this.clients.every((c) => c.op === undefined && (c.seq >= 2 || c.scripted));
  }

  // ---- faults ----

  private anyAtRisk(): boolean {
    return [...this.nodes.values()].some((n) => n.atRisk);
  }

  private injectFaults(): void {
    const rng = this.rng;
    if (this.net.faults.dropRate > 0) this.faults.add('drop');
    if (this.net.counts.duplicated > 0) this.faults.add('duplicate');
    if (this.net.counts.reordered > 0) this.faults.add('reorder');
    // A board whose log may have lost acknowledged entries without its knowing (a cut or flipped tail)
    // is one fault already: until it is repaired, nothing else fails, not even a leader's death planned
    // earlier (it is the leader's heartbeat that tells the board what it lost; with one more fault no
    // system that cannot detect the loss locally keeps committed data).
    if (this.anyAtRisk()) return;
    for (const sn of this.live()) if (this.timeline.now >= sn.crashAt) this.crash(sn, true, 'loses power soon after election');
    this.advanceStories();
    if (this.timeline.now < this.quietUntil) return;
    if (rng.chance(this.crashRate)) this.crashOne();
    // The power fails while a board writes a snapshot (its temporary file is still there).
    for (const sn of this.live()) {
      if (rng.chance(0.25) && sn.disk.list(`${DATA_DIR}/snap`).some((f) => f.endsWith('.tmp'))) {
        this.crash(sn, true, 'loses power while writing a snapshot');
        this.faults.add('snapshot-power-cut');
      }
    }
    if (rng.chance(0.002)) this.partition();
    if (this.net.isPartitioned() && rng.chance(0.004)) {
      this.net.heal();
      this.log('partition healed');
      const up = this.live();
      for (let i = 0; i < up.length; i++) for (let j = i + 1; j < up.length; j++) this.reportLink('reachable', up[i]!, up[j]!);
    }
    if (this.profile !== 'leader-churn' && rng.chance(0.004)) this.changeMembership();
    if (rng.chance(0.002)) this.transfer();
    const slow = this.profile === 'delayed-reads' ? 0.006 : 0.0005;
    if (rng.chance(slow)) this.stallLink();
    if (rng.chance(slow)) this.pauseOne();
    if (this.profile === 'delayed-reads' && rng.chance(0.05)) {
      if (rng.chance(0.5)) this.deposeLeader();
      else this.startRestartStory();
    }
    if (this.net.counts.longDelayed > 0) this.faults.add('long-delay');
    if (this.diskFaults && rng.chance(0.004)) this.diskFault();
  }

  private crashOne(): void {
    const up = this.live();
    if (up.length === 0) return;
    const sn = this.rng.pick(up);
    this.crash(sn, this.rng.chance(this.powerCutShare), this.profile === 'leader-churn' ? 'loses power' : 'crashes');
  }

  /**
   * The process dies. On a power cut its disk loses what was not fsynced and its unsent
   * messages are lost; a plain crash keeps the page cache (everything written survives).
   */
  private crash(sn: SimNode, powerCut: boolean, what: string): void {
    this.kill(sn);
    sn.phase = 'down';
    sn.downUntil = this.timeline.now + 20 + this.rng.nextInt(this.maxDowntime);
    this.faults.add('crash');
    let lost = 0;
    if (powerCut) {
      lost = this.net.powerCut(sn.member, this.timeline.now - 1);
      sn.disk.powerCut(this.rng);
      this.faults.add('power-cut');
    }
    this.log(`${sn.member} ${what}${powerCut ? ' (power cut)' : ''}${lost > 0 ? `, ${lost} unsent messages lost` : ''}`);
    for (const other of this.live()) if (this.rng.chance(0.7)) other.transport?.reportLink(sn.member, false);
  }

  /**
   * Whether `sn` may lose its state now: never a voter when the voters that still hold
   * theirs would fall below a quorum (beyond that no system can recover on its own).
   */
  private mayLoseState(sn: SimNode): boolean {
    const l = this.leader();
    if (!l?.core) return false;
    const cs = l.core.view().confState;
    // Only on an otherwise healthy installation: every voter up and reachable, nothing else at risk.
    if (this.net.isPartitioned() || [...this.nodes.values()].some((n) => n.atRisk)) return false;
    for (const v of cs.voters) {
      const n = this.byMember(v);
      if (!n || !this.active(n)) return false;
    }
    const voters = [...new Set([...cs.voters, ...cs.votersOutgoing])];
    const holding = voters.filter((v) => [...this.nodes.values()].some((n) => n.member === v && n.phase !== 'decommissioned' && !n.atRisk));
    const quorum = Math.floor(cs.voters.length / 2) + 1;
    const quorumOut = cs.votersOutgoing.length > 0 ? Math.floor(cs.votersOutgoing.length / 2) + 1 : 0;
    const isVoter = voters.includes(sn.member);
    const leftIn = holding.filter((v) => cs.voters.includes(v)).length - (isVoter && cs.voters.includes(sn.member) ? 1 : 0);
    const leftOut = holding.filter((v) => cs.votersOutgoing.includes(v)).length - (cs.votersOutgoing.includes(sn.member) ? 1 : 0);
    return leftIn >= quorum && (quorumOut === 0 || leftOut >= quorumOut);
  }

  /** One of the disk's faults, on a board that is running (it meets it when it next writes, or at its next start). */
  private diskFault(): void {
    const up = this.live();
    if (up.length === 0) return;
    const sn = this.rng.pick(up);
    let kind = this.rng.nextInt(6);
    // Faults that lose state (a flipped bit, a cut log, a lost disk) only within the budget.
    if (kind === 2 || kind === 3 || kind === 4) {
      if (this.mayLoseState(sn)) {
        sn.atRisk = true;
        sn.repairIndex = Math.max(0, ...this.live().map((n) => n.core!.view().lastIndex));
      } else kind = this.rng.pick([0, 1, 5]);
    }
    sn.diskFaulted = true;
    if (kind === 0) {
      sn.disk.faults.failNextFsync = true;
      this.faults.add('fsync-error');
      this.log(`${sn.member}: its next fsync fails`);
    } else if (kind === 1) {
      sn.disk.faults.capacityBytes = sn.disk.usedBytes() + this.rng.nextInt(4096);
      this.faults.add('disk-full');
      this.log(`${sn.member}: its disk is nearly full`);
    } else if (kind === 2) {
      // Half the time the newest snapshot: with an older one kept beside it, the board must fall back
      // to that one and replay its log from there, keeping its state.
      const snaps = sn.disk.list(`${DATA_DIR}/snap`).filter((f) => f.endsWith('.snap'));
      const newestSnap = snaps.length >= 2 && this.rng.chance(0.5);
      const newest = snaps[snaps.length - 1];
      const at = newestSnap ? sn.disk.flipBit(this.rng, `${DATA_DIR}/snap`, (f) => newest !== undefined && newest.endsWith(f)) : sn.disk.flipBit(this.rng, DATA_DIR, (f) => f.endsWith('.wal') || f.endsWith('.snap'));
      // Even beside an older snapshot the state can be lost: a snapshot received from the leader has no log behind it here.
      sn.lossPossible = true;
      this.faults.add('bit-flip');
      this.log(`${sn.member}: a bit flips at rest (${at ?? 'no file'})`);
      this.crash(sn, false, 'restarts to meet it');
    } else if (kind === 3) {
      const wal = sn.disk.list(`${DATA_DIR}/wal`).filter((f) => f.endsWith('.wal'));
      const f = wal[wal.length - 1];
      if (f) sn.disk.cutFile(f, Math.max(0, sn.disk.readFileSync(f).length - 1 - this.rng.nextInt(200)));
      sn.lossPossible = true;
      this.faults.add('file-cut');
      this.log(`${sn.member}: the tail of its write-ahead log is cut off`);
      this.crash(sn, false, 'restarts to meet it');
    } else if (kind === 4) {
      this.crash(sn, true, 'loses its disk');
      sn.disk.wipe();
      sn.lostDisk = true;
      sn.lossPossible = true;
      this.faults.add('disk-lost');
    } else {
      sn.disk.faults.readOnly = true;
      this.faults.add('read-only');
      this.log(`${sn.member}: its disk turns read-only`);
    }
  }

  // ---- the read adversaries (delayed-reads) ----

  /**
   * The stale-read story: the leader is paused; the others' messages to it stall (their
   * acknowledgements already on the wire arrive after the pause, followed by news of the new
   * term) or are cut; the others elect a leader and commit a write meanwhile; the paused leader
   * serves a read the moment it resumes.
   */
  private deposeLeader(): void {
    const l = this.leader();
    if (!l?.core || this.net.isPaused(l.member, this.timeline.now) || this.net.isPartitioned()) return;
    const others = this.live().filter((n) => n !== l);
    const voters = l.core.view().confState.voters;
    if (others.length < 2 || voters.some((v) => { const n = this.byMember(v); return !n || !this.active(n); })) return;
    const pauseFor = 250 + this.rng.nextInt(200);
    const resume = this.timeline.now + pauseFor;
    for (const o of others) {
      if (this.rng.chance(0.1)) this.net.cutLink(l.member, o.member);
      else this.net.stall(o.member, l.member, resume + 2 + this.rng.nextInt(15));
    }
    this.net.pause(l.member, resume);
    l.clock?.pause(resume);
    this.quietUntil = resume + 60;
    this.stories.push({ at: this.timeline.now + 110 + this.rng.nextInt(40), run: () => {
      const target = this.live().filter((n) => n !== l && this.active(n) && n.core!.role() === 'voter');
      if (target.length > 0) this.startScripted({ kind: 'write', value: 100 + this.rng.nextInt(1000) }, this.rng.pick(target));
    } });
    this.stories.push({ at: resume, run: () => {
      if (l.phase === 'up' && l.core?.view().role === 'leader') this.startScripted({ kind: 'read' }, l);
    } });
    this.faults.add('pause');
    this.faults.add('stall');
    this.log(`${l.member} (leader) paused until ${resume}, its links cut or stalled`);
  }

  /**
   * A board restarts while the answer to its last read is on the wire: F restarts, reads (its
   * first read in that process), the answer is held, F loses power and restarts, a write
   * completes elsewhere, and F reads again (its first read again) as the old answer arrives.
   */
  private startRestartStory(): void {
    const l = this.leader();
    if (!l || this.story || this.net.isPartitioned()) return;
    const followers = this.live().filter((n) => n !== l && this.active(n) && n.core!.view().role === 'follower');
    if (followers.length === 0) return;
    const f = this.rng.pick(followers);
    this.story = { phase: 'restarted', f, since: this.timeline.now };
    this.reserved.add(f.board);
    this.quietUntil = this.timeline.now + 1000;
    this.crash(f, false, 'restarts (story: an answer on the wire)');
    f.downUntil = this.timeline.now + 20;
  }

  private advanceStories(): void {
    for (const s of this.stories) if (s.at === this.timeline.now) s.run();
    this.stories = this.stories.filter((s) => s.at > this.timeline.now);
    const st = this.story;
    if (!st) return;
    const f = st.f;
    const knowsLeader = f.phase === 'up' && this.active(f) && f.core!.view().role === 'follower' && f.core!.view().leader !== null;
    const end = (): void => {
      this.net.release(this.timeline.now + 1);
      this.reserved.delete(f.board);
      this.story = undefined;
      this.quietUntil = this.timeline.now;
    };
    if (this.timeline.now - st.since > 900) return end();
    if (st.phase === 'restarted' && knowsLeader) {
      this.net.hold((m) => m.type === 'read-index-response' && m.to === f.member);
      if (!this.startScripted({ kind: 'read' }, f)) return end();
      st.phase = 'answer-held';
    } else if (st.phase === 'answer-held' && this.net.heldCount > 0) {
      this.crash(f, true, 'loses power (story: its read answer is on the wire)');
      f.downUntil = this.timeline.now + 20;
      const others = this.live().filter((n) => n !== f && this.active(n));
      if (others.length === 0 || !this.startScripted({ kind: 'write', value: 100 + this.rng.nextInt(1000) }, this.rng.pick(others))) return end();
      st.phase = 'writing';
    } else if (st.phase === 'writing' && knowsLeader && this.clients.every((c) => !c.scripted || c.op?.kind !== 'write')) {
      this.startScripted({ kind: 'read' }, f);
      this.net.release(this.timeline.now + 1);
      end();
    }
  }

  private partition(): void {
    const ids = this.live().map((n) => n.member);
    const a = ids.filter(() => this.rng.chance(0.5));
    const b = ids.filter((id) => !a.includes(id));
    this.net.partition([a, b]);
    this.faults.add('partition');
    this.log(`partition [${a.join(',')}] | [${b.join(',')}]`);
    for (const x of a) for (const y of b) this.reportLink('unreachable', this.byMember(x)!, this.byMember(y)!);
  }

  private stallLink(): void {
    const up = this.live();
    if (up.length < 2) return;
    const [a, b] = [this.rng.pick(up), this.rng.pick(up)];
    if (a === b) return;
    const until = this.timeline.now + 50 + this.rng.nextInt(450);
    this.net.stall(a.member, b.member, until);
    this.faults.add('stall');
    this.log(`link ${a.member}>${b.member} stalls until ${until}`);
  }

  private pauseOne(): void {
    const up = this.live();
    if (up.length === 0) return;
    const sn = this.rng.pick(up);
    if (this.net.isPaused(sn.member, this.timeline.now)) return;
    const until = this.timeline.now + 30 + this.rng.nextInt(270);
    this.net.pause(sn.member, until);
    sn.clock?.pause(until);
    this.faults.add('pause');
    this.log(`${sn.member} paused until ${until}`);
  }

  private transfer(): void {
    const l = this.leader();
    if (!l?.core) return;
    const voters = l.core.view().confState.voters.filter((v) => v !== l.member);
    if (voters.length === 0) return;
    const to = this.rng.pick(voters);
    if (l.core.loop.submit({ type: 'transfer-leadership', to })) {
      this.faults.add('transfer');
      this.log(`transfer ${l.member} -> ${to}`);
    }
  }

  private changeMembership(): void {
    const l = this.leader();
    if (!l?.core) return;
    const cs = l.core.view().confState;
    if (cs.votersOutgoing.length > 0) return;
    const rng = this.rng;
    const choice = rng.nextInt(5);
    let cc: ConfChange | undefined;
    let kind: FaultKind = 'conf-change';
    if (choice === 0 && this.spares.length > 0) {
      const id = this.spares.shift()!;
      this.addNode(id, false);
      cc = { transition: 'auto', changes: [{ kind: 'add-learner', node: id }], context: encodeMemberContext({ requestId: null, addresses: { [id]: { host: 'sim', port: 2000 } } }) };
    } else if (choice === 1 && cs.learners.length > 0 && cs.voters.length < 9) {
      cc = { transition: rng.chance(0.5) ? 'auto' : 'joint-implicit', changes: [{ kind: 'add-voter', node: rng.pick(cs.learners) }] };
      kind = 'promote-learner';
    } else if (choice === 2 && cs.voters.length > 3) {
      const victim = rng.chance(0.4) ? l.member : rng.pick(cs.voters);
      cc = { transition: 'auto', changes: [{ kind: 'remove-node', node: victim }] };
      if (victim === l.member) kind = 'remove-leader';
    } else if (choice === 3 && cs.voters.length > 3) {
      cc = { transition: 'auto', changes: [{ kind: 'add-learner', node: rng.pick(cs.voters) }] };
    } else if (choice === 4 && cs.learners.length > 0 && cs.voters.length > 3) {
      cc = { transition: 'auto', changes: [{ kind: 'add-voter', node: rng.pick(cs.learners) }, { kind: 'remove-node', node: rng.pick(cs.voters) }] };
    }
    if (!cc) return;
    if (l.core.loop.submit({ type: 'conf-change', requestId: `conf-${this.timeline.now}`, change: cc })) {
      this.faults.add(kind);
      this.faults.add('conf-change');
      this.log(`${l.member} proposes ${JSON.stringify(cc.changes)}`);
    }
  }

  private heal(): void {
    this.healed = true;
    this.net.healAll(this.timeline.now);
    this.net.faults = { dropRate: 0, duplicateRate: 0, maxDelay: this.net.faults.maxDelay };
    for (const sn of this.nodes.values()) {
      sn.disk.faults.failNextFsync = false;
      sn.disk.faults.capacityBytes = Infinity;
      sn.disk.faults.readOnly = false;
      if (sn.phase === 'down' || sn.phase === 'failed') sn.downUntil = this.timeline.now;
    }
    this.log('all faults healed');
  }

  async shutdown(): Promise<void> {
    for (const sn of this.nodes.values()) this.kill(sn);
    await this.timeline.settle().catch(() => {});
  }

  result(failure: string | undefined): SimResult {
    const l = this.leader();
    const cs = l?.core?.view().confState;
    return {
      seed: this.opts.seed,
      ok: failure === undefined,
      ...(failure !== undefined ? { failure } : {}),
      trace: this.trace,
      faults: this.faults,
      stats: { voters: cs?.voters.length ?? 0, learners: cs?.learners.length ?? 0, ops: this.history.length, applied: this.checker.appliedCount, time: this.timeline.now },
      profile: this.profile,
    };
  }
}
