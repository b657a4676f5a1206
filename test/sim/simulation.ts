// One deterministic simulation run: a cluster, a faulty network, crashes, membership changes and clients.
import { RaftNode } from '../../src/raft/node.ts';
import { MemoryStorage } from '../../src/raft/memory-storage.ts';
import { SeededRandom } from '../../src/raft/random.ts';
import type { RaftBugs } from '../../src/raft/config.ts';
import type { ConfState, Entry, NodeId } from '../../src/raft/types.ts';
import { decodeConfChange, type ConfChange } from '../../src/raft/conf-change.ts';
import { SimNetwork } from './network.ts';
import { SafetyChecker, SafetyViolation } from './invariants.ts';
import { RegisterMachine, decodeCommand, encodeCommand, type OpResult, type RegisterOp } from './register.ts';
import { checkLinearizable, type HistoryOp } from './linearizability.ts';
import { checkCommitDurable, memoryView, persistedView, type LogView } from './durability.ts';
import type { Ready } from '../../src/raft/node.ts';
import { ReadContexts } from '../../src/board/read-context.ts';

export interface SimOptions {
  readonly seed: number;
  readonly bugs?: RaftBugs;
  /** Time units with faults before everything heals. */
  readonly faultTime?: number;
  /** Time units after healing within which every operation must complete. */
  readonly livenessBound?: number;
  /**
   * Bug-hunting profile: 5 voters, one entry per append, frequent crashes and
   * leader changes. Used to show that subtle broken behaviours get caught.
   * Shorthand for `profile: 'stress'`.
   */
  readonly stress?: boolean;
  /** Fault profile; by default the seed picks one (about one seed in four runs 'leader-churn'). */
  readonly profile?: SimProfile;
  /**
   * Leaders write their log in parallel with replicating it (the board's mode): their
   * appends leave before the Ready is persisted, and some leaders crash right then,
   * losing the entries they just sent.
   */
  readonly parallelLeaderWrite?: boolean;
  /** TEST ONLY: deliberately broken behaviours of the code around the core (see SimHarnessBugs). */
  readonly harnessBugs?: SimHarnessBugs;
}

/** TEST ONLY: broken board-side behaviours, to prove the checkers catch them. */
export interface SimHarnessBugs {
  /** Read contexts numbered r1, r2, ... per process, starting again at every start (the old board scheme). */
  readonly perProcessReadCounter?: boolean;
}

/** Where a board's own read contexts come from (the board's scheme, or the planted bug's). */
interface ReadContextSource {
  next(): { context: Uint8Array; key: string };
}

class PerProcessCounter implements ReadContextSource {
  private seq = 0;
  next(): { context: Uint8Array; key: string } {
    const key = `r${++this.seq}`;
    return { context: new TextEncoder().encode(key), key };
  }
}

/**
 * - mixed: 3, 5 or 7 voters plus learners, every fault kind at moderate rates.
 * - stress: 5 voters, one entry per append, frequent crashes, leaders killed after applying.
 * - leader-churn: Figure 8's adversary. 5 voters, one entry per append; leaders often lose power
 *   soon after election or right after applying, taking their unsent messages with them, so terms
 *   end with entries on a minority and restarted boards bring back stale-term entries.
 * - delayed-reads: many concurrent linearizable reads on several boards while some messages stay
 *   on the wire for many election timeouts, across elections, crashes and restarts.
 */
export type SimProfile = 'mixed' | 'stress' | 'leader-churn' | 'delayed-reads';

export type FaultKind =
  | 'drop' | 'duplicate' | 'reorder' | 'partition' | 'crash' | 'conf-change' | 'remove-leader'
  | 'promote-learner' | 'transfer' | 'snapshot' | 'compaction' | 'power-cut'
  | 'long-delay' | 'stall' | 'pause' | 'link-cut';

export interface SimResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly failure?: string;
  readonly trace: readonly string[];
  readonly faults: ReadonlySet<FaultKind>;
  readonly stats: { voters: number; learners: number; ops: number; applied: number; time: number };
  readonly profile: SimProfile;
}

interface SimNode {
  readonly id: NodeId;
  readonly storage: MemoryStorage;
  node: RaftNode | undefined;
  sm: RegisterMachine;
  conf: ConfState;
  incarnation: number;
  /** Read requests waiting for the state machine to reach their index. */
  reads: { client: number; index: number }[];
  /** This process's read contexts, and the client reads waiting under each (as the board's ReadWaiters). */
  contexts: ReadContextSource;
  readsByContext: Map<string, { client: number; seq: number; attempt: number }>;
  decommissioned: boolean;
  downUntil: number;
  /** leader-churn: when this leader loses power (Infinity = not scheduled). */
  crashAt: number;
  /** parallelLeaderWrite: a Ready whose early messages left and whose persisting is still under way. */
  inflight: Ready | undefined;
}

interface Client {
  readonly id: number;
  seq: number;
  op: RegisterOp | undefined;
  call: number;
  attempt: number;
  nodeId: NodeId | undefined;
  retryAt: number;
  /** Driven by an adversary (delayed-reads), not by the random client loop. */
  readonly scripted: boolean;
}

const TICK = 5; // time units per Raft tick
const RETRY = 60; // a client retries an unanswered operation after this many time units

/** The profile a seed runs when none is forced. */
function pickProfile(rng: SeededRandom): SimProfile {
  const x = rng.next();
  return x < 0.25 ? 'leader-churn' : x < 0.45 ? 'delayed-reads' : 'mixed';
}

export function runSimulation(opts: SimOptions): SimResult {
  const sim = new Simulation(opts);
  try {
    sim.run();
    return sim.result(undefined);
  } catch (err) {
    const msg = err instanceof SafetyViolation ? err.message : err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err);
    return sim.result(msg);
  }
}

class Simulation {
  private readonly rng: SeededRandom;
  private readonly net: SimNetwork;
  private readonly checker = new SafetyChecker();
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly clients: Client[] = [];
  private readonly history: HistoryOp[] = [];
  private readonly trace: string[] = [];
  private readonly faults = new Set<FaultKind>();
  private readonly spares: NodeId[] = [];
  /** delayed-reads: reads to start at a paused leader when it resumes. */
  private scriptedOps: { node: NodeId | null; avoid: NodeId; at: number; op: RegisterOp }[] = [];
  private scriptedValue = 100;
  /** The restart story in progress (see startRestartStory). */
  private story: { phase: 'restarted' | 'answer-held' | 'writing'; f: NodeId; since: number } | undefined;
  /** Nodes random clients leave alone while a story uses them. */
  private readonly reserved = new Set<NodeId>();
  /** No random crash, partition, pause or membership change before this time (a story is playing out). */
  private quietUntil = 0;
  private initialMembers: NodeId[] = [];
  private initialVoters: NodeId[] = [];
  /** Commit durability is checked against the initial voters, so only until a membership change is proposed. */
  private membershipChanged = false;
  private now = 0;
  private healed = false;
  private readonly faultTime: number;
  private readonly livenessBound: number;
  private readonly electionTicks: number;
  private readonly preVote: boolean;
  private readonly checkQuorum: boolean;
  private readonly maxSizePerMsg: number;
  private readonly pReady: number;
  private readonly voterCount: number;
  private readonly learnerCount: number;
  private readonly crashRate: number;
  private readonly profile: SimProfile;
  /** Chance that a leader is killed right after applying (stress, leader-churn). */
  private readonly killAfterApply: number;
  /** leader-churn: chance that a new leader loses power within a few message delays. */
  private readonly dieYoung: number;
  private readonly maxDowntime: number;

  constructor(private readonly opts: SimOptions) {
    this.rng = new SeededRandom(opts.seed);
    const rng = this.rng;
    this.faultTime = opts.faultTime ?? 2500;
    this.livenessBound = opts.livenessBound ?? 4000;
    this.profile = opts.profile ?? (opts.stress === true ? 'stress' : pickProfile(rng));
    const focused = this.profile === 'stress' || this.profile === 'leader-churn';
    const delayedReads = this.profile === 'delayed-reads';
    this.crashRate = this.profile === 'stress' ? 0.02 : this.profile === 'leader-churn' ? 0.003 : this.profile === 'delayed-reads' ? 0.008 : 0.004;
    this.killAfterApply = this.profile === 'stress' ? 0.3 : this.profile === 'leader-churn' ? 0.15 : 0;
    this.dieYoung = this.profile === 'leader-churn' ? 0.8 : 0;
    this.maxDowntime = this.profile === 'leader-churn' || this.profile === 'delayed-reads' ? 150 : 300;
    this.voterCount = focused ? 5 : delayedReads ? rng.pick([3, 5]) : rng.pick([3, 5, 7]);
    this.learnerCount = focused ? 0 : rng.nextInt(3);
    this.electionTicks = 10;
    const mode = rng.nextInt(3);
    this.preVote = mode !== 1;
    this.checkQuorum = mode !== 2;
    // Sometimes one entry per message, which makes acknowledgements arrive entry by entry.
    this.maxSizePerMsg = focused || rng.chance(0.4) ? 1 : 4096;
    this.pReady = 0.4 + rng.next() * 0.6;
    this.net = new SimNetwork(rng, {
      dropRate: rng.next() * 0.15,
      duplicateRate: rng.next() * 0.08,
      maxDelay: 2 + rng.nextInt(14),
      // An election timeout is 10 ticks of 5 units: long delays span 1 to 10 of them.
      ...(delayedReads ? {
        longDelayRate: 0.005 + rng.next() * 0.02,
        readPathLongDelayRate: 0.05 + rng.next() * 0.25,
        longDelayMin: 50,
        longDelayMax: 400,
      } : {}),
    });
    const voters = Array.from({ length: this.voterCount }, (_, i) => `v${i + 1}`);
    const learners = Array.from({ length: this.learnerCount }, (_, i) => `l${i + 1}`);
    this.spares.push('s1', 's2');
    const conf: ConfState = { voters, learners, votersOutgoing: [], learnersNext: [], autoLeave: false };
    for (const id of [...voters, ...learners]) this.addNode(id, MemoryStorage.bootstrap(conf));
    this.initialMembers = [...voters, ...learners];
    this.initialVoters = voters;
    for (let c = 0; c < (delayedReads ? 6 : 3); c++) {
      this.clients.push({ id: c, seq: 0, op: undefined, call: 0, attempt: 0, nodeId: undefined, retryAt: 0, scripted: false });
    }
    if (delayedReads) {
      for (let k = 0; k < 3; k++) {
        this.clients.push({ id: this.clients.length, seq: 0, op: undefined, call: 0, attempt: 0, nodeId: undefined, retryAt: 0, scripted: true });
      }
    }
    this.log(`seed ${opts.seed} (${this.profile}): voters ${voters.join(',')} learners ${learners.join(',') || '-'} preVote ${this.preVote} checkQuorum ${this.checkQuorum} maxSizePerMsg ${this.maxSizePerMsg} drop ${this.net.faults.dropRate.toFixed(3)} dup ${this.net.faults.duplicateRate.toFixed(3)} delay<=${this.net.faults.maxDelay}`);
  }

  private log(s: string): void {
    this.trace.push(`[${this.now}] ${s}`);
    if (this.trace.length > 60) this.trace.shift(); // only a short trace is kept
  }

  private addNode(id: NodeId, storage: MemoryStorage): void {
    const sn: SimNode = {
      id, storage, node: undefined, sm: new RegisterMachine(), conf: storage.initialState().confState,
      incarnation: 0, reads: [], decommissioned: false, downUntil: 0, crashAt: Infinity, inflight: undefined,
      contexts: new PerProcessCounter(), readsByContext: new Map(),
    };
    this.nodes.set(id, sn);
    this.start(sn);
  }

  private start(sn: SimNode): void {
    const snap = sn.storage.snapshot();
    sn.sm = RegisterMachine.restore(snap.data);
    sn.conf = snap.metadata.confState;
    sn.reads = [];
    sn.crashAt = Infinity;
    sn.incarnation++;
    // A new process: a new read-context source and no reads waiting.
    sn.contexts = this.opts.harnessBugs?.perProcessReadCounter === true
      ? new PerProcessCounter()
      : new ReadContexts(sn.id, this.rng.nextInt(2 ** 31).toString(16));
    sn.readsByContext = new Map();
    sn.node = new RaftNode({
      id: sn.id,
      storage: sn.storage,
      random: new SeededRandom(this.opts.seed * 131 + sn.incarnation * 7 + sn.id.charCodeAt(1) * 1009),
      electionTicks: this.electionTicks,
      heartbeatTicks: 1,
      preVote: this.preVote,
      checkQuorum: this.checkQuorum,
      maxSizePerMsg: this.maxSizePerMsg,
      maxInflightMsgs: 4,
      applied: snap.metadata.index,
      parallelLeaderWrite: this.opts.parallelLeaderWrite === true,
      ...(this.opts.bugs ? { bugs: this.opts.bugs } : {}),
    });
    this.checker.resetApplied(sn.id, snap.metadata.index);
  }

  private live(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.node !== undefined && !n.decommissioned);
  }

  /** Running and not paused: the nodes that tick, handle Readys and take client requests. */
  private active(sn: SimNode): boolean {
    return sn.node !== undefined && !sn.decommissioned && !this.net.isPaused(sn.id, this.now);
  }

  private leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.live()) {
      const r = n.node!.raft;
      if (r.role === 'leader' && (!best || r.term > best.node!.raft.term)) best = n;
    }
    return best;
  }

  run(): void {
    const end = this.faultTime + this.livenessBound;
    while (this.now < end) {
      if (!this.healed && this.now >= this.faultTime) this.heal();
      if (!this.healed) this.injectFaults();
      this.step();
      if (this.healed && this.allClientsDone()) break;
      this.now++;
    }
    if (!this.allClientsDone()) {
      const pending = this.clients.filter((c) => c.op).map((c) => `client ${c.id} ${JSON.stringify(c.op)} via ${c.nodeId}`);
      const l = this.leader();
      throw new Error(`liveness: ${pending.length} operations still pending ${this.livenessBound} units after healing (leader ${l?.id ?? 'none'}): ${pending.join('; ')}\n${this.describeNodes()}`);
    }
    const lin = checkLinearizable(this.history);
    if (lin !== true) throw new SafetyViolation('linearizability', lin);
  }

  private describeNodes(): string {
    return [...this.nodes.values()]
      .map((sn) => {
        if (!sn.node) return `${sn.id}: down${sn.decommissioned ? ' (decommissioned)' : ''}`;
        const st = sn.node.status();
        const cs = st.confState;
        return `${sn.id}${sn.decommissioned ? ' (decommissioned)' : ''}: ${st.role} term ${st.term} lead ${st.leader} commit ${st.commit} applied ${st.applied} last ${st.lastIndex} first ${st.firstIndex} voters ${cs.voters} out ${cs.votersOutgoing} learners ${cs.learners}`;
      })
      .join('\n');
  }

  private allClientsDone(): boolean {
    return this.clients.every((c) => c.op === undefined && (c.seq >= 2 || c.scripted));
  }

  private step(): void {
    // Deliver due messages.
    for (const m of this.net.due(this.now)) {
      const sn = this.nodes.get(m.to);
      if (!sn || !sn.node || sn.decommissioned) continue;
      sn.node.step(m);
    }
    // Ticks, staggered per node.
    let k = 0;
    for (const sn of this.nodes.values()) {
      k++;
      if (this.active(sn) && (this.now + k) % TICK === 0) sn.node!.tick();
    }
    this.driveClients();
    // Ready processing; sometimes delayed, which is what a crash can lose.
    for (const sn of this.nodes.values()) {
      const node = sn.node;
      if (!node || !this.active(sn)) continue;
      if (sn.inflight) {
        this.progressInflight(sn, sn.inflight);
        continue;
      }
      if (node.hasReady() && (this.healed || this.rng.chance(this.pReady))) {
        const rd = node.ready();
        if (rd.earlyMessages.length === 0) {
          this.handleReady(sn, rd);
          continue;
        }
        // As on a board: the appends leave now, the fsync takes a while, and messages
        // keep arriving (and are stepped) until the Ready is persisted.
        for (const m of rd.earlyMessages) this.net.send(this.now, m);
        sn.inflight = rd;
      }
    }
    for (const sn of this.live()) this.checker.checkNode(sn.id, sn.node!.raft);
  }

  /** A Ready in flight finishes persisting, or (the adversary) its leader dies before its own fsync. */
  private progressInflight(sn: SimNode, rd: Ready): void {
    if (!this.healed && rd.entries.length > 0 && this.rng.chance(0.03)) {
      this.crash(sn, Infinity, 'crashes after sending appends, before persisting them');
      return;
    }
    if (!this.healed && !this.rng.chance(this.pReady)) return;
    sn.inflight = undefined;
    this.handleReady(sn, rd);
  }

  private handleReady(sn: SimNode, rd: Ready): void {
    const node = sn.node!;
    if (rd.snapshot) {
      sn.storage.applySnapshot(rd.snapshot);
      this.faults.add('snapshot');
    }
    if (rd.entries.length > 0) {
      const first = rd.entries[0] as Entry;
      let prevTerm: number | undefined;
      try {
        prevTerm = sn.storage.term(first.index - 1);
      } catch {
        prevTerm = undefined;
      }
      this.checker.onPersist(sn.id, rd.entries, prevTerm);
      sn.storage.append(rd.entries);
    }
    if (rd.hardState) sn.storage.setHardState(rd.hardState);
    for (const m of rd.messages) {
      this.net.send(this.now, m);
      if (m.type === 'snapshot') node.reportSnapshot(m.to, true);
    }
    if (rd.snapshot) {
      sn.sm = RegisterMachine.restore(rd.snapshot.data);
      sn.conf = rd.snapshot.metadata.confState;
      this.checker.resetApplied(sn.id, rd.snapshot.metadata.index);
    }
    for (const e of rd.committedEntries) this.apply(sn, e);
    // Kill a leader right after it applies, before its next messages leave (Figure 8's adversary).
    const killLeader = this.killAfterApply > 0 && !this.healed && node.raft.role === 'leader' &&
      rd.committedEntries.length > 0 && this.rng.chance(this.killAfterApply);
    for (const rs of rd.readStates) {
      // As the board does: the context names the waiting read, nothing else is checked.
      const key = new TextDecoder().decode(rs.context);
      const w = sn.readsByContext.get(key);
      if (!w) continue;
      sn.readsByContext.delete(key);
      const c = this.clients[w.client];
      if (c && c.op?.kind === 'read' && c.seq === w.seq && c.attempt === w.attempt && c.nodeId === sn.id) {
        sn.reads.push({ client: c.id, index: rs.index });
      }
    }
    node.advance(rd);
    if (rd.softState?.role === 'leader') {
      this.log(`${sn.id} leads term ${node.raft.term}`);
      // leader-churn: the term ends early, often with its first entries on a minority.
      if (!this.healed && this.rng.chance(this.dieYoung)) {
        sn.crashAt = this.rng.chance(0.7) ? this.now : this.now + 1 + this.rng.nextInt(3 * this.net.faults.maxDelay + 10);
      }
    }
    this.serveReads(sn);
    this.maybeCompact(sn);
    if (killLeader) this.crash(sn, this.now, 'loses power after applying');
    else if (sn.crashAt <= this.now) this.crash(sn, this.now, 'loses power as it wins');
  }

  private apply(sn: SimNode, e: Entry): void {
    if (this.checker.onApply(sn.id, e, sn.node!.raft.term) && !this.membershipChanged) this.checkDurable(e);
    if (e.type === 'conf-change') {
      let cc: ConfChange;
      try {
        cc = decodeConfChange(e.data);
      } catch {
        return;
      }
      sn.conf = sn.node!.applyConfChange(cc);
      this.decommissionRemoved(e.index, sn.conf);
      return;
    }
    if (e.data.byteLength === 0) return;
    const cmd = decodeCommand(e.data);
    const result = sn.sm.apply(cmd);
    const c = this.clients[cmd.client];
    if (result && c && c.op && c.seq === cmd.seq && c.nodeId === sn.id) this.complete(c, result);
  }

  /** Every voter's persisted log, plus its in-memory log while it runs. */
  private checkDurable(e: Entry): void {
    const views = new Map<NodeId, LogView[]>();
    for (const id of this.initialVoters) {
      const sn = this.nodes.get(id)!;
      const v = [persistedView(sn.storage)];
      if (sn.node) v.push(memoryView(sn.node.raft.log));
      views.set(id, v);
    }
    checkCommitDurable(e.index, e.term, this.initialVoters, views);
  }

  private serveReads(sn: SimNode): void {
    const applied = sn.node!.raft.log.applied;
    sn.reads = sn.reads.filter((r) => {
      if (applied < r.index) return true;
      const c = this.clients[r.client];
      if (c && c.op?.kind === 'read' && c.nodeId === sn.id) this.complete(c, { ok: true, value: sn.sm.value });
      return false;
    });
  }

  private complete(c: Client, result: OpResult): void {
    this.history.push({ client: c.id, op: c.op!, call: c.call, ret: this.now, result });
    c.op = undefined;
    c.seq++;
  }

  private maybeCompact(sn: SimNode): void {
    const applied = sn.node!.raft.log.applied;
    if (applied - sn.storage.firstIndex() < 12 || !this.rng.chance(0.05)) return;
    sn.storage.createSnapshot(applied, sn.conf, sn.sm.snapshot());
    sn.storage.compact(applied - this.rng.nextInt(4));
    this.faults.add('compaction');
  }

  /** The newest configuration applied anywhere, by log index. */
  private latestConf: { index: number; members: Set<NodeId> } | undefined;

  /** A node removed from every configuration is shut down once the removal is applied, as an operator would. */
  private decommissionRemoved(index: number, cs: ConfState): void {
    if (this.latestConf && index <= this.latestConf.index) return;
    const members = new Set([...cs.voters, ...cs.learners, ...cs.votersOutgoing, ...cs.learnersNext]);
    const before = this.latestConf?.members ?? new Set(this.initialMembers);
    this.latestConf = { index, members };
    for (const id of before) {
      const sn = this.nodes.get(id);
      if (sn && !members.has(id) && !sn.decommissioned) {
        sn.decommissioned = true;
        this.log(`${id} decommissioned`);
      }
    }
  }

  // ---- clients ----

  private driveClients(): void {
    // delayed-reads: the adversary's own operations (a write elsewhere while the leader sleeps, a read there as it wakes).
    for (const r of this.scriptedOps) {
      if (r.at !== this.now) continue;
      const c = this.clients.find((x) => x.scripted && x.op === undefined);
      const targets = r.node !== null
        ? [this.nodes.get(r.node)].filter((n): n is SimNode => n !== undefined && this.active(n))
        : this.live().filter((n) => n.id !== r.avoid && this.active(n));
      if (!c || targets.length === 0) continue;
      c.op = r.op;
      c.call = this.now;
      c.attempt = 0;
      this.submitTo(c, this.rng.pick(targets));
    }
    this.scriptedOps = this.scriptedOps.filter((r) => r.at > this.now);
    for (const c of this.clients) {
      if (c.scripted) {
        if (c.op !== undefined && this.now >= c.retryAt) this.submit(c);
        continue;
      }
      if (c.op === undefined) {
        if (c.seq >= 2 && !this.healed && !this.rng.chance(0.02)) continue;
        if (c.seq >= 2 && this.healed) continue;
        c.op = this.randomOp();
        c.call = this.now;
        c.attempt = 0;
        this.submit(c);
      } else if (this.now >= c.retryAt) {
        this.submit(c);
      }
    }
  }

  private randomOp(): RegisterOp {
    // delayed-reads: two reads in three operations.
    const r = this.profile === 'delayed-reads' ? (this.rng.chance(0.67) ? 2 : this.rng.nextInt(2)) : this.rng.nextInt(3);
    if (r === 0) return { kind: 'write', value: this.rng.nextInt(5) };
    if (r === 1) return { kind: 'cas', expect: this.rng.nextInt(5), value: this.rng.nextInt(5) };
    return { kind: 'read' };
  }

  private submit(c: Client): void {
    c.attempt++;
    c.retryAt = this.now + RETRY;
    const candidates = this.live().filter((n) => this.active(n) && !this.reserved.has(n.id));
    if (candidates.length === 0) return;
    this.submitTo(c, this.rng.pick(candidates));
  }

  private submitTo(c: Client, sn: SimNode): void {
    if (c.attempt === 0) c.attempt = 1;
    c.retryAt = this.now + RETRY;
    c.nodeId = sn.id;
    try {
      if (c.op!.kind === 'read') {
        const { context, key } = sn.contexts.next();
        sn.readsByContext.set(key, { client: c.id, seq: c.seq, attempt: c.attempt });
        sn.node!.readIndex(context);
      }
      else sn.node!.propose(encodeCommand({ client: c.id, seq: c.seq, op: c.op! }));
    } catch {
      // No leader known there; the retry timer picks another node later.
    }
  }

  // ---- faults ----

  private injectFaults(): void {
    const rng = this.rng;
    if (this.net.faults.dropRate > 0) this.faults.add('drop');
    if (this.net.counts.duplicated > 0) this.faults.add('duplicate');
    if (this.net.counts.reordered > 0) this.faults.add('reorder');
    for (const sn of this.nodes.values()) {
      if (!sn.node && !sn.decommissioned && this.now >= sn.downUntil) {
        this.start(sn);
        this.log(`${sn.id} restarts`);
      }
    }
    for (const sn of this.live()) if (this.now >= sn.crashAt) this.crash(sn, this.now - 1, 'loses power soon after election');
    this.advanceRestartStory();
    // While the adversary plays a story out, it keeps every other fault away (messages are still lost and delayed).
    if (this.now < this.quietUntil) return;
    if (rng.chance(this.crashRate)) this.crashOne();
    if (rng.chance(0.002)) this.partition();
    if (this.net.isPartitioned() && rng.chance(0.004)) {
      this.net.heal();
      this.log('partition healed');
    }
    if (this.profile !== 'leader-churn' && rng.chance(0.004)) this.changeMembership();
    if (rng.chance(0.002)) this.transfer();
    // Slow links and stopped processes: rare in general, the point of delayed-reads.
    const slow = this.profile === 'delayed-reads' ? 0.006 : 0.0005;
    if (rng.chance(slow)) this.stallLink();
    if (rng.chance(slow)) this.pause();
    if (rng.chance(slow)) this.cutLink();
    if (this.profile === 'delayed-reads' && rng.chance(0.03)) {
      if (rng.chance(0.5)) this.deposeLeader();
      else this.startRestartStory();
    }
    if (this.net.counts.longDelayed > 0) this.faults.add('long-delay');
  }

  /** A node, often the leader (what a delayed or paused link hurts most). */
  private victim(): SimNode | undefined {
    const l = this.leader();
    const up = this.live();
    if (up.length === 0) return undefined;
    return l && this.rng.chance(0.5) ? l : this.rng.pick(up);
  }

  /**
   * A board restarts while the answer to its last read is still on the wire:
   * F restarts, reads (its first read in that process), the answer is held on
   * the wire, F loses power and restarts, a write completes elsewhere, and F
   * reads again (again its first read) just as the old answer arrives. Read
   * contexts that repeat across restarts pair the old answer with the new read.
   */
  private startRestartStory(): void {
    const l = this.leader();
    if (!l || this.story || this.net.isPartitioned()) return;
    const followers = this.live().filter((n) => n !== l && this.active(n) && n.node!.raft.role === 'follower');
    if (followers.length === 0) return;
    const f = this.rng.pick(followers);
    this.story = { phase: 'restarted', f: f.id, since: this.now };
    this.reserved.add(f.id);
    this.quietUntil = this.now + 1000;
    this.crash(f, Infinity, 'restarts (story: an answer on the wire)');
    f.downUntil = this.now + 20;
  }

  private advanceRestartStory(): void {
    const st = this.story;
    if (!st) return;
    const f = this.nodes.get(st.f)!;
    const knowsLeader = f.node !== undefined && this.active(f) && f.node.raft.role === 'follower' && f.node.raft.lead !== null;
    const end = (): void => {
      this.net.release(this.now + 1);
      this.reserved.delete(st.f);
      this.story = undefined;
      this.quietUntil = this.now;
    };
    if (this.now - st.since > 900) return end();
    if (st.phase === 'restarted' && knowsLeader) {
      this.net.hold((m) => m.type === 'read-index-response' && m.to === st.f);
      if (!this.startScripted({ kind: 'read' }, f)) return end();
      st.phase = 'answer-held';
    } else if (st.phase === 'answer-held' && this.net.heldCount > 0) {
      this.crash(f, this.now, 'loses power (story: its read answer is on the wire)');
      f.downUntil = this.now + 20;
      const others = this.live().filter((n) => n !== f && this.active(n));
      if (others.length === 0 || !this.startScripted({ kind: 'write', value: this.scriptedValue++ }, this.rng.pick(others))) return end();
      st.phase = 'writing';
    } else if (st.phase === 'writing' && knowsLeader && this.clients.every((c) => !c.scripted || c.op?.kind !== 'write')) {
      this.startScripted({ kind: 'read' }, f);
      this.net.release(this.now + 1);
      end();
    }
  }

  /** An idle scripted client starts `op` at `sn`; false when none is idle. */
  private startScripted(op: RegisterOp, sn: SimNode): boolean {
    const c = this.clients.find((x) => x.scripted && x.op === undefined);
    if (!c) return false;
    c.op = op;
    c.call = this.now;
    c.attempt = 0;
    this.submitTo(c, sn);
    return true;
  }

  /**
   * The issue's stale-read story, as an adversary: the leader is paused; some
   * voters lose their link to it, the others' messages to it stall (their
   * acknowledgements already on the wire arrive after the pause, followed by
   * news of the new term); the others elect a new leader and commit meanwhile.
   */
  private deposeLeader(): void {
    const l = this.leader();
    if (!l || this.net.isPaused(l.id, this.now)) return;
    const others = this.live().filter((n) => n !== l);
    if (others.length < 2) return;
    // Only from a healthy cluster, so that the others can elect and commit while the leader sleeps.
    const voters = l.node!.raft.trk.voters();
    if (this.net.isPartitioned() || voters.some((v) => { const n = this.nodes.get(v); return !n || !this.active(n); })) return;
    // Long enough for the others to elect a leader and commit (an election timeout is 50 to 100 units).
    const pauseFor = 250 + this.rng.nextInt(200);
    const resume = this.now + pauseFor;
    this.quietUntil = resume + 60;
    const writeAt = this.now + 110 + this.rng.nextInt(40);
    this.scriptedOps.push({ node: null, avoid: l.id, at: writeAt, op: { kind: 'write', value: this.scriptedValue++ } });
    this.scriptedOps.push({ node: l.id, avoid: l.id, at: resume, op: { kind: 'read' } });
    // Mostly stalled (their acknowledgements already on the wire come late, then the news), some cut.
    for (const o of others) {
      if (this.rng.chance(0.1)) this.net.cutLink(l.id, o.id);
      else this.net.stall(o.id, l.id, resume + 5 + this.rng.nextInt(60));
    }
    this.net.pause(l.id, resume);
    this.faults.add('pause');
    this.faults.add('stall');
    this.log(`${l.id} (leader) paused until ${resume}, its links cut or stalled`);
  }

  private stallLink(): void {
    const a = this.victim();
    const others = this.live().filter((n) => n !== a);
    if (!a || others.length === 0) return;
    const b = this.rng.pick(others);
    const [from, to] = this.rng.chance(0.5) ? [a, b] : [b, a];
    const until = this.now + 50 + this.rng.nextInt(450);
    this.net.stall(from.id, to.id, until);
    this.faults.add('stall');
    this.log(`link ${from.id}>${to.id} stalls until ${until}`);
  }

  private pause(): void {
    const sn = this.victim();
    if (!sn || this.net.isPaused(sn.id, this.now)) return;
    const until = this.now + 30 + this.rng.nextInt(270);
    this.net.pause(sn.id, until);
    this.faults.add('pause');
    this.log(`${sn.id} paused until ${until}`);
  }

  private cutLink(): void {
    const a = this.victim();
    const others = this.live().filter((n) => n !== a);
    if (!a || others.length === 0) return;
    const b = this.rng.pick(others);
    this.net.cutLink(a.id, b.id);
    this.faults.add('link-cut');
    this.log(`link ${a.id}-${b.id} cut`);
  }

  private crashOne(): void {
    const up = this.live();
    if (up.length === 0) return;
    const sn = this.rng.pick(up);
    if (this.profile === 'leader-churn') this.crash(sn, this.now - 1, 'loses power');
    else this.crash(sn, Infinity, 'crashes');
  }

  /**
   * The process dies: unpersisted Ready content is lost with it. On a power cut
   * (`unsentSince` finite) so are its messages handed over since then, still in the send buffer.
   */
  private crash(sn: SimNode, unsentSince: number, what: string): void {
    sn.node = undefined;
    sn.inflight = undefined;
    sn.crashAt = Infinity;
    sn.downUntil = this.now + 20 + this.rng.nextInt(this.maxDowntime);
    this.faults.add('crash');
    let lost = 0;
    if (Number.isFinite(unsentSince)) {
      lost = this.net.powerCut(sn.id, unsentSince);
      this.faults.add('power-cut');
    }
    this.log(`${sn.id}${lost > 0 ? ` ${what}, ${lost} unsent messages lost` : ` ${what}`}`);
  }

  private partition(): void {
    const ids = [...this.nodes.keys()];
    const a = ids.filter(() => this.rng.chance(0.5));
    const b = ids.filter((id) => !a.includes(id));
    this.net.partition([a, b]);
    this.faults.add('partition');
    this.log(`partition [${a.join(',')}] | [${b.join(',')}]`);
  }

  private transfer(): void {
    const l = this.leader();
    if (!l) return;
    const voters = l.node!.raft.trk.voters().filter((v) => v !== l.id);
    if (voters.length === 0) return;
    const to = this.rng.pick(voters);
    try {
      l.node!.transferLeadership(to);
      this.faults.add('transfer');
      this.log(`transfer ${l.id} -> ${to}`);
    } catch {
      /* refused */
    }
  }

  private changeMembership(): void {
    const l = this.leader();
    if (!l) return;
    const cs = l.node!.raft.trk.confState();
    if (cs.votersOutgoing.length > 0) return;
    const rng = this.rng;
    const choice = rng.nextInt(5);
    let cc: ConfChange | undefined;
    let kind: FaultKind = 'conf-change';
    if (choice === 0 && this.spares.length > 0) {
      const id = this.spares.shift()!;
      this.addNode(id, new MemoryStorage());
      cc = { transition: 'auto', changes: [{ kind: 'add-learner', node: id }] };
    } else if (choice === 1 && cs.learners.length > 0 && cs.voters.length < 9) {
      cc = { transition: rng.chance(0.5) ? 'auto' : 'joint-implicit', changes: [{ kind: 'add-voter', node: rng.pick(cs.learners) }] };
      kind = 'promote-learner';
    } else if (choice === 2 && cs.voters.length > 3) {
      const victim = rng.chance(0.4) ? l.id : rng.pick(cs.voters);
      cc = { transition: 'auto', changes: [{ kind: 'remove-node', node: victim }] };
      if (victim === l.id) kind = 'remove-leader';
    } else if (choice === 3 && cs.voters.length > 3) {
      cc = { transition: 'auto', changes: [{ kind: 'add-learner', node: rng.pick(cs.voters) }] };
    } else if (choice === 4 && cs.learners.length > 0 && cs.voters.length > 3) {
      // Swap a learner in and a voter out through a joint configuration.
      cc = {
        transition: 'auto',
        changes: [
          { kind: 'add-voter', node: rng.pick(cs.learners) },
          { kind: 'remove-node', node: rng.pick(cs.voters) },
        ],
      };
    }
    if (!cc) return;
    this.membershipChanged = true;
    try {
      l.node!.proposeConfChange(cc);
      this.faults.add(kind);
      this.faults.add('conf-change');
      this.log(`${l.id} proposes ${JSON.stringify(cc.changes)}${cc.changes.length > 1 ? ' (joint)' : ''}`);
    } catch {
      /* pending or refused */
    }
  }

  private heal(): void {
    this.healed = true;
    this.net.healAll(this.now);
    this.net.faults = { dropRate: 0, duplicateRate: 0, maxDelay: this.net.faults.maxDelay };
    for (const sn of this.nodes.values()) if (!sn.node && !sn.decommissioned) this.start(sn);
    this.log('all faults healed, all nodes up');
  }

  result(failure: string | undefined): SimResult {
    let voters = 0;
    let learners = 0;
    const l = this.leader();
    if (l) {
      voters = l.conf.voters.length;
      learners = l.conf.learners.length;
    }
    return {
      seed: this.opts.seed,
      ok: failure === undefined,
      ...(failure !== undefined ? { failure } : {}),
      trace: this.trace,
      faults: this.faults,
      stats: { voters, learners, ops: this.history.length, applied: this.checker.appliedCount, time: this.now },
      profile: this.profile,
    };
  }
}
