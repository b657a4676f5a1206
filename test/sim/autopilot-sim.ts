// The autopilot profile of the deterministic simulation: the real Raft core on every node
// and the real autopilot policy (src/board/autopilot.ts) on whichever node leads, while
// voters and external boards die for good, die and return, are partitioned away, and new
// boards join. Everything comes from one seed. Besides Raft's safety properties it checks
// autopilot's promises:
//   quorum      no autopilot change leaves fewer live voters than a quorum of the new
//               configuration when the old one had a quorum of live voters (ground truth);
//   guard       no change while fewer than a quorum of voters are healthy as the leader sees them;
//   promote     only boards caught up and in contact for the whole stabilisation time;
//   replace     a voter is demoted for being dead only when no eligible board could take its
//               seat first (or the good voters are already enough);
//   converge    once faults stop: the target voter count for the boards alive (5, or the odd
//               number below), every voter alive, and no domain holding two voters more than a
//               domain that has a live external board (spreadGap 0), within a stated bound;
//   no flapping after converging, nothing changes for a quiet minute.
import { RaftNode } from '../../src/raft/node.ts';
import { MemoryLog } from '../helpers/memory-log.ts';
import { SeededRandom } from '../../src/raft/random.ts';
import type { ConfState, Entry, NodeId } from '../../src/raft/types.ts';
import { decodeConfChange, type ConfChange } from '../../src/raft/conf-change.ts';
import {
  AutopilotTracker, assess, spreadGap, type AutopilotAssessment, type AutopilotBugs, type AutopilotSettings,
} from '../../src/board/autopilot.ts';
import { changeOf } from '../../src/board/autopilot-runner.ts';
import { SimNetwork } from './network.ts';
import { SafetyViolation } from './invariants.ts';
import { SafetyChecker } from './core-checker.ts';

/** One time unit is 10 ms; a tick 5 units (50 ms); an election timeout 10 ticks (0.5–1 s). */
const MS_PER_UNIT = 10;
const TICK = 5;
const ROUND = 100; // autopilot runs every second
export const simAutopilotSettings: AutopilotSettings = {
  enabled: true, targetVoters: 5, stabilisationMs: 3_000, catchUpEntries: 20, deadVoterMs: 6_000, removeAfterMs: null,
  contactMs: 1_000,
};
/** After faults stop, the installation must have converged within this long (simulated). */
export const CONVERGE_BOUND_MS = 60_000;
const QUIET_MS = 60_000;

export interface AutopilotSimOptions {
  readonly seed: number;
  readonly bugs?: AutopilotBugs;
  /** Simulated milliseconds of faults. */
  readonly faultMs?: number;
}

export interface AutopilotSimResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly failure?: string;
  readonly trace: readonly string[];
  /** Simulated ms from the end of faults until converged (null when it did not). */
  readonly convergeMs: number | null;
  readonly changes: number;
  readonly voters: number;
  readonly boards: number;
}

interface Node {
  readonly id: NodeId;
  readonly domain: string;
  readonly storage: MemoryLog;
  raft: RaftNode | undefined;
  /** Down until then (Infinity: dead for good). */
  downUntil: number;
  /** When this node last heard from each peer (as a transport's lastHeardMsAgo). */
  readonly heard: Map<NodeId, number>;
  conf: ConfState;
  incarnation: number;
  /** When it last died, and when its links were last cut (the checker's grace for "nobody could know yet"). */
  diedAt: number;
  cutAt: number;
}

export function runAutopilotSimulation(opts: AutopilotSimOptions): AutopilotSimResult {
  const sim = new AutopilotSim(opts);
  try {
    sim.run();
    return sim.result();
  } catch (err) {
    return sim.result(err instanceof SafetyViolation ? err.message : err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err));
  }
}

class AutopilotSim {
  private readonly rng: SeededRandom;
  private readonly net: SimNetwork;
  private readonly checker = new SafetyChecker();
  private readonly nodes = new Map<NodeId, Node>();
  private readonly trace: string[] = [];
  private readonly s = simAutopilotSettings;
  private now = 0;
  private healedAt: number | null = null;
  private convergedAt: number | null = null;
  private lastChangeAt = 0;
  private changes = 0;
  private writes = 0;
  private nextId = 1;
  private readonly domains: string[];
  private readonly checkQuorum: boolean;
  /** The autopilot of the node that leads, with the term it leads in. */
  private pilot: { id: NodeId; term: number; tracker: AutopilotTracker; contactSince: Map<NodeId, number> } | undefined;
  private readonly faultUnits: number;
  /** The voters after the last change autopilot proposed. */
  private proposedVoters: NodeId[] | null = null;

  constructor(private readonly opts: AutopilotSimOptions) {
    this.rng = new SeededRandom(opts.seed);
    this.faultUnits = (opts.faultMs ?? 240_000) / MS_PER_UNIT;
    this.domains = ['A', 'B', 'C'].slice(0, 2 + this.rng.nextInt(2));
    this.checkQuorum = this.rng.chance(0.7);
    this.net = new SimNetwork(this.rng, { dropRate: this.rng.next() * 0.05, duplicateRate: 0.01, maxDelay: 2 + this.rng.nextInt(6) });
    const voters = Array.from({ length: this.rng.pick([1, 3, 5]) }, () => `n${this.nextId++}`);
    const externals = Array.from({ length: 2 + this.rng.nextInt(5) }, () => `n${this.nextId++}`);
    const conf: ConfState = { voters, learners: externals, votersOutgoing: [], learnersNext: [], autoLeave: false };
    for (const id of [...voters, ...externals]) this.add(id, MemoryLog.bootstrap(conf));
    this.log(`seed ${opts.seed}: voters ${voters.join(',')} externals ${externals.join(',')} domains ${[...this.nodes.values()].map((n) => `${n.id}:${n.domain}`).join(' ')} checkQuorum ${this.checkQuorum}`);
  }

  private log(s: string): void {
    this.trace.push(`[${this.now * MS_PER_UNIT} ms] ${s}`);
    if (this.trace.length > 80) this.trace.shift();
  }

  private add(id: NodeId, storage: MemoryLog): void {
    const n: Node = {
      id, domain: this.rng.pick(this.domains), storage, raft: undefined, downUntil: 0, heard: new Map(),
      conf: storage.initialState().confState, incarnation: 0, diedAt: -Infinity, cutAt: -Infinity,
    };
    this.nodes.set(id, n);
    this.start(n);
  }

  private start(n: Node): void {
    n.incarnation++;
    const snap = n.storage.snapshot();
    n.conf = n.storage.initialState().confState;
    n.heard.clear();
    n.raft = new RaftNode({
      id: n.id, storage: n.storage, random: new SeededRandom(this.opts.seed * 7919 + n.incarnation * 31 + Number(n.id.slice(1))),
      electionTicks: 10, heartbeatTicks: 1, preVote: true, checkQuorum: this.checkQuorum, maxInflightMsgs: 8,
      applied: snap.metadata.index,
    });
    this.checker.resetApplied(n.id, n.raft.raft.log.applied);
  }

  private up(n: Node): boolean {
    return n.raft !== undefined;
  }

  private leader(): Node | undefined {
    let best: Node | undefined;
    for (const n of this.nodes.values()) {
      if (n.raft?.raft.role === 'leader' && (!best || n.raft.raft.term > best.raft!.raft.term)) best = n;
    }
    return best;
  }

  run(): void {
    const end = this.faultUnits + (CONVERGE_BOUND_MS + QUIET_MS) / MS_PER_UNIT;
    for (; this.now < end; this.now++) {
      if (this.healedAt === null && this.now >= this.faultUnits) this.heal();
      if (this.healedAt === null) this.injectFaults();
      else this.restartTheDown();
      this.step();
      if (this.now % ROUND === 0) this.autopilotRound();
      if (this.healedAt !== null) this.checkConvergence();
    }
    if (this.convergedAt === null) {
      throw new SafetyViolation('converge', `not converged ${CONVERGE_BOUND_MS} ms after faults stopped: ${this.describe()}`);
    }
  }

  private step(): void {
    for (const m of this.net.due(this.now)) {
      const n = this.nodes.get(m.to);
      if (!n?.raft) continue;
      n.heard.set(m.from, this.now);
      n.raft.step(m);
    }
    let k = 0;
    for (const n of this.nodes.values()) {
      k++;
      if (n.raft && (this.now + k) % TICK === 0) n.raft.tick();
    }
    // A steady trickle of writes at the leader: enough for a partitioned board to fall behind.
    const l = this.leader();
    if (l && this.now % 7 === 0) {
      try {
        l.raft!.propose(new TextEncoder().encode(`w${++this.writes}`));
      } catch {
        /* no leader or transferring: the write is dropped */
      }
    }
    for (const n of this.nodes.values()) {
      const raft = n.raft;
      if (!raft) continue;
      while (raft.hasReady()) {
        const rd = raft.ready();
        if (rd.snapshot) n.storage.applySnapshot(rd.snapshot);
        if (rd.entries.length > 0) {
          let prevTerm: number | undefined;
          try {
            prevTerm = n.storage.term(rd.entries[0]!.index - 1);
          } catch {
            prevTerm = undefined;
          }
          this.checker.onPersist(n.id, rd.entries, prevTerm);
          n.storage.append(rd.entries);
        }
        if (rd.hardState) n.storage.setHardState(rd.hardState);
        for (const m of rd.messages) {
          this.net.send(this.now, m);
          if (m.type === 'snapshot') raft.reportSnapshot(m.to, true);
        }
        if (rd.snapshot) {
          n.conf = rd.snapshot.metadata.confState;
          this.checker.resetApplied(n.id, rd.snapshot.metadata.index);
        }
        for (const e of rd.committedEntries) this.apply(n, e);
        raft.advance(rd);
      }
    }
    for (const n of this.nodes.values()) if (n.raft) this.checker.checkNode(n.id, n.raft.raft);
  }

  private apply(n: Node, e: Entry): void {
    this.checker.onApply(n.id, e, n.raft!.raft.term);
    if (e.type !== 'conf-change') return;
    let cc: ConfChange;
    try {
      cc = decodeConfChange(e.data);
    } catch {
      return;
    }
    n.conf = n.raft!.applyConfChange(cc);
  }

  // ---- the autopilot on the leader ----

  private autopilotRound(): void {
    const l = this.leader();
    if (!l) return;
    const st = l.raft!.status();
    if (!this.pilot || this.pilot.id !== l.id || this.pilot.term !== st.term) {
      this.pilot = { id: l.id, term: st.term, tracker: new AutopilotTracker(this.now * MS_PER_UNIT), contactSince: new Map() };
    }
    const nowMs = this.now * MS_PER_UNIT;
    const members = [...st.confState.voters, ...st.confState.learners].map((id) => {
      const heard = id === l.id ? this.now : l.heard.get(id);
      const pr = st.progress[id];
      return {
        id, domain: this.nodes.get(id)!.domain,
        lastContactMs: heard === undefined ? null : (this.now - heard) * MS_PER_UNIT,
        lagEntries: id === l.id ? 0 : pr ? st.lastIndex - pr.match : null,
      };
    });
    // The checker's own record of contact (for the promote rule), from the same observations.
    for (const m of members) {
      const inContact = m.lastContactMs !== null && m.lastContactMs <= this.s.contactMs;
      if (!inContact) this.pilot.contactSince.delete(m.id);
      else if (!this.pilot.contactSince.has(m.id)) this.pilot.contactSince.set(m.id, nowMs);
    }
    const o = {
      now: nowMs, self: l.id, voters: st.confState.voters, externals: st.confState.learners,
      changePending: st.confChangePending || st.confState.votersOutgoing.length > 0, members,
    };
    const a = assess(o, this.s, this.pilot.tracker, this.opts.bugs);
    if (a.change === null) return;
    this.checkChange(l, a, members);
    const { action, member } = a.change;
    try {
      l.raft!.proposeConfChange(changeOf(a.change));
      this.changes++;
      this.lastChangeAt = this.now;
      const without = st.confState.voters.filter((v) => v !== member);
      this.proposedVoters = action === 'promote' ? [...st.confState.voters, member, ...(a.change.with ? [a.change.with] : [])] : action === 'swap' ? [...without, a.change.with!] : without;
      this.log(`${l.id} autopilot: ${action} ${member}${a.change.with ? ` for ${a.change.with}` : ''} (${a.change.reason})`);
    } catch (err) {
      this.log(`${l.id} autopilot: ${action} ${member} refused: ${(err as Error).message}`);
    }
  }

  /** A node alive and reachable from the leader, or one that died too recently for anyone to know. */
  private liveFor(l: Node, id: NodeId): boolean {
    const n = this.nodes.get(id)!;
    const graceUnits = (this.s.contactMs + 200) / MS_PER_UNIT;
    if (!n.raft) return this.now - n.diedAt < graceUnits;
    return this.net.connected(l.id, id) || this.now - n.cutAt < graceUnits;
  }

  private checkChange(l: Node, a: AutopilotAssessment, members: readonly { id: NodeId; lastContactMs: number | null; lagEntries: number | null }[]): void {
    const change = a.change!;
    const st = l.raft!.status();
    const voters = st.confState.voters;
    const without = voters.filter((v) => v !== change.member);
    const promotedAll = change.action === 'promote' ? [change.member, ...(change.with ? [change.with] : [])] : change.action === 'swap' ? [change.with!] : [];
    const after = change.action === 'demote' || change.action === 'remove' ? without : [...(change.action === 'swap' ? without : voters), ...promotedAll];
    const q = (n: number): number => Math.floor(n / 2) + 1;
    const byId = new Map(members.map((m) => [m.id, m]));
    const healthy = (id: NodeId): boolean => {
      const m = byId.get(id)!;
      return m.lastContactMs !== null && m.lastContactMs <= this.s.contactMs && (m.lagEntries ?? Infinity) <= this.s.catchUpEntries;
    };
    const what = `${change.action} ${change.member} by ${l.id} (${change.reason})`;
    // guard
    const healthyVoters = voters.filter(healthy).length;
    if (healthyVoters < q(voters.length)) {
      throw new SafetyViolation('autopilot guard', `${what} with only ${healthyVoters} of ${voters.length} voters healthy`);
    }
    // quorum (ground truth)
    const liveBefore = voters.filter((v) => this.liveFor(l, v)).length;
    const liveAfter = after.filter((v) => this.liveFor(l, v)).length;
    if (liveBefore >= q(voters.length) && liveAfter < q(after.length)) {
      throw new SafetyViolation('autopilot quorum', `${what}: ${liveAfter} live voters of ${after.length} after it`);
    }
    const stable = (id: NodeId): boolean => {
      const since = this.pilot!.contactSince.get(id);
      return since !== undefined && this.now * MS_PER_UNIT - since >= this.s.stabilisationMs;
    };
    // promote
    for (const p of promotedAll) {
      if (healthy(p) && stable(p)) continue;
      const m = byId.get(p)!;
      throw new SafetyViolation('autopilot promote', `${what}: ${p} lag ${m.lagEntries}, last contact ${m.lastContactMs} ms, stable ${stable(p)}`);
    }
    // replace: a dead voter leaves alone only when no board could take its seat
    if ((change.action === 'demote' || change.action === 'remove') && !healthy(change.member) && byId.get(change.member)!.lastContactMs !== 0) {
      const eligible = st.confState.learners.filter((id) => healthy(id) && stable(id));
      if (voters.includes(change.member) && eligible.length > 0) {
        throw new SafetyViolation('autopilot replace', `${what} while ${eligible.join(',')} could take its seat in the same change`);
      }
    }
  }

  // ---- faults ----

  private injectFaults(): void {
    const rng = this.rng;
    this.restartTheDown();
    const alive = [...this.nodes.values()].filter((n) => this.up(n));
    const l = this.leader();
    // Dies for good: only while a quorum of the voters stays alive for good (else nothing could
    // recover), in every configuration a board that may come back still uses. A configuration
    // takes effect where it is applied: after a joint change commits, a board that has not yet
    // applied the step out of it still needs a quorum of the outgoing voters to elect anyone, and
    // if the boards that applied it die, nothing tells the others it was committed (seed 207).
    if (rng.chance(0.0008) && alive.length > 0) {
      const n = rng.pick(alive);
      const forGood = [...this.nodes.values()].filter((x) => x.downUntil === Infinity).map((x) => x.id);
      const keeps = (vs: readonly NodeId[]): boolean =>
        !vs.includes(n.id) || vs.filter((v) => v !== n.id && !forGood.includes(v)).length >= Math.floor(vs.length / 2) + 1;
      const inUse = [...this.nodes.values()].filter((x) => x.downUntil !== Infinity)
        .flatMap((x) => [x.conf.voters, ...(x.conf.votersOutgoing.length > 0 ? [x.conf.votersOutgoing] : [])]);
      // The configuration a change in flight leads to must keep a quorum too.
      if ([...inUse, ...this.currentVoters()].every(keeps) && (this.proposedVoters === null || keeps(this.proposedVoters))) this.kill(n, Infinity, 'dies for good');
    }
    // Dies and returns after 1 to 20 s (a restart, a power blip).
    if (rng.chance(0.0015) && alive.length > 0) this.kill(rng.pick(alive), this.now + 100 + rng.nextInt(1900), 'dies, returns later');
    // Partitions: one board cut off for a while, or a split.
    if (rng.chance(0.0006) && alive.length > 1) {
      const n = rng.pick(alive);
      this.net.partition([[n.id], [...this.nodes.keys()].filter((id) => id !== n.id)]);
      this.markCut();
      this.log(`${n.id} partitioned away`);
    }
    if (rng.chance(0.0003)) {
      const ids = [...this.nodes.keys()];
      const a = ids.filter(() => rng.chance(0.5));
      this.net.partition([a, ids.filter((id) => !a.includes(id))]);
      this.markCut();
      this.log(`split [${a.join(',')}]`);
    }
    if (this.net.isPartitioned() && rng.chance(0.002)) {
      this.net.heal();
      this.log('partition healed');
    }
    // A new board joins (as --join does: the leader adds it as an external board).
    if (rng.chance(0.0005) && l && this.nodes.size < 14) {
      const id = `n${this.nextId++}`;
      try {
        l.raft!.proposeConfChange({ transition: 'auto', changes: [{ kind: 'add-learner', node: id }] });
        this.add(id, new MemoryLog());
        this.log(`${id} joins (domain ${this.nodes.get(id)!.domain})`);
      } catch {
        /* a change is pending: it tries again later */
      }
    }
  }

  /** The voter sets of the newest configuration any running node applied (both halves when joint). */
  private currentVoters(): (readonly NodeId[])[] {
    let best: Node | undefined;
    for (const n of this.nodes.values()) if (n.raft && (!best || n.raft.raft.log.applied > best.raft!.raft.log.applied)) best = n;
    const cs = best?.raft!.status().confState;
    return cs ? [cs.voters, ...(cs.votersOutgoing.length > 0 ? [cs.votersOutgoing] : [])] : [];
  }

  private markCut(): void {
    for (const n of this.nodes.values()) n.cutAt = this.now;
  }

  private kill(n: Node, until: number, what: string): void {
    n.raft = undefined;
    n.downUntil = until;
    n.diedAt = this.now;
    this.log(`${n.id} ${what}`);
  }

  private restartTheDown(): void {
    for (const n of this.nodes.values()) {
      if (!n.raft && this.now >= n.downUntil) {
        this.start(n);
        this.log(`${n.id} restarts`);
      }
    }
  }

  private heal(): void {
    this.healedAt = this.now;
    this.net.healAll(this.now);
    this.net.faults = { dropRate: 0, duplicateRate: 0, maxDelay: this.net.faults.maxDelay };
    for (const n of this.nodes.values()) if (!n.raft && n.downUntil !== Infinity) n.downUntil = this.now;
    this.log('faults stop: partitions healed; boards dead for good stay dead');
  }

  // ---- convergence ----

  private checkConvergence(): void {
    const l = this.leader();
    if (!l) return;
    const st = l.raft!.status();
    const cs = st.confState;
    const alive = [...this.nodes.values()].filter((n) => this.up(n) && (cs.voters.includes(n.id) || cs.learners.includes(n.id)));
    // Fewer than three boards alive: autopilot keeps the dead voters (see the replace rule).
    const wanted = alive.length < 3 ? cs.voters.length : Math.min(this.s.targetVoters, alive.length % 2 === 1 ? alive.length : alive.length - 1);
    const votersAlive = alive.length < 3 || cs.voters.every((v) => this.up(this.nodes.get(v)!));
    const domainOf = (id: NodeId): string => this.nodes.get(id)!.domain;
    const externalsAlive = cs.learners.filter((id) => this.up(this.nodes.get(id)!));
    const gap = spreadGap(cs.voters.map(domainOf), externalsAlive.map(domainOf));
    const converged = cs.votersOutgoing.length === 0 && cs.voters.length === wanted && votersAlive && gap === 0 && !st.confChangePending;
    if (this.convergedAt === null) {
      if (converged) {
        this.convergedAt = this.now;
        this.log(`converged: ${cs.voters.length} voters (${cs.voters.map((v) => `${v}:${domainOf(v)}`).join(' ')}), ${alive.length} boards alive`);
      } else if ((this.now - this.healedAt!) * MS_PER_UNIT > CONVERGE_BOUND_MS) {
        throw new SafetyViolation('converge', `not converged ${CONVERGE_BOUND_MS} ms after faults stopped: voters ${cs.voters.map((v) => `${v}:${domainOf(v)}`).join(' ')}, wanted ${wanted}, all alive ${votersAlive}, spread gap ${gap}\n${this.describe()}`);
      }
    } else if (this.lastChangeAt > this.convergedAt) {
      throw new SafetyViolation('no flapping', `a change after converging: ${this.trace.slice(-3).join(' | ')}`);
    }
  }

  private describe(): string {
    return [...this.nodes.values()].map((n) => {
      if (!n.raft) return `${n.id}:${n.domain} down${n.downUntil === Infinity ? ' for good' : ''}`;
      const s = n.raft.status();
      const r = n.raft.raft;
      const out = s.confState.votersOutgoing.length > 0 ? ` outgoing ${s.confState.votersOutgoing}` : '';
      const drops = n.raft.dropped.total > 0 ? ` dropped ${JSON.stringify(n.raft.dropped.snapshot())}` : '';
      return `${n.id}:${n.domain} ${s.role} t${s.term} vote ${r.vote ?? '-'} lead ${r.lead ?? '-'} last ${s.lastIndex} commit ${s.commit} applied ${r.log.applied} voters ${s.confState.voters}${out} learners ${s.confState.learners}${drops}`;
    }).join('; ');
  }

  result(failure?: string): AutopilotSimResult {
    const l = this.leader();
    return {
      seed: this.opts.seed, ok: failure === undefined, ...(failure !== undefined ? { failure } : {}), trace: this.trace,
      convergeMs: this.convergedAt !== null && this.healedAt !== null ? (this.convergedAt - this.healedAt) * MS_PER_UNIT : null,
      changes: this.changes, voters: l?.raft!.status().confState.voters.length ?? 0, boards: this.nodes.size,
    };
  }
}
