// A small in-memory cluster for scenario tests: deterministic, with a readable transcript of every delivery.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { RaftNode, type Ready } from '../../src/raft/node.ts';
import { MemoryLog } from '../helpers/memory-log.ts';
import { SeededRandom } from '../../src/raft/random.ts';
import type { RaftConfig } from '../../src/raft/config.ts';
import type { ConfState, Entry, Message, NodeId, ReadState } from '../../src/raft/types.ts';
import { decodeConfChange } from '../../src/raft/conf-change.ts';

export type NodeOptions = Partial<Omit<RaftConfig, 'id' | 'storage' | 'random'>>;

export interface Member {
  node: RaftNode;
  readonly storage: MemoryLog;
  /** Applied normal entries, as text. */
  applied: string[];
  readStates: ReadState[];
  conf: ConfState;
  up: boolean;
}

const text = new TextDecoder();
export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

export function describe(m: Message): string {
  const head = `${m.from}->${m.to} ${m.type} t${m.term}`;
  switch (m.type) {
    case 'append':
      return `${head} prev ${m.index}/${m.logTerm} [${m.entries.map((e) => `${e.index}:${e.term}`).join(' ')}] commit ${m.commit}`;
    case 'append-response':
      return m.reject ? `${head} reject ${m.index} hint ${m.rejectHint}/${m.logTerm}` : `${head} ok ${m.index}`;
    case 'vote':
    case 'pre-vote':
      return `${head} last ${m.index}/${m.logTerm}${m.transfer ? ' transfer' : ''}`;
    case 'vote-response':
    case 'pre-vote-response':
      return `${head} ${m.reject ? 'rejected' : 'granted'}`;
    case 'heartbeat':
      return `${head} commit ${m.commit}${m.readRound > 0 ? ` read round ${m.readRound}` : ''}`;
    case 'heartbeat-response':
      return `${head}${m.readRound > 0 ? ` read round ${m.readRound}` : ''}`;
    case 'snapshot':
      return `${head} ${m.snapshot.metadata.index}/${m.snapshot.metadata.term}`;
    case 'read-index':
      return `${head} ctx ${text.decode(m.context)}`;
    case 'read-index-response':
      return `${head} index ${m.index} ctx ${text.decode(m.context)}`;
    case 'transfer-leader':
      return `${head} to ${m.transferee}`;
    case 'propose':
      return `${head} ${m.entries.length} entries`;
    case 'timeout-now':
      return head;
  }
}

export class Cluster {
  readonly members = new Map<NodeId, Member>();
  readonly transcript: string[] = [];
  private queue: Message[] = [];
  private readonly cut = new Set<string>();
  private seed = 1;
  /** Messages matching this are lost (for scripting exact interleavings). */
  dropIf: ((m: Message) => boolean) | undefined = undefined;
  /** Messages matching this stay on the wire until releaseHeld() (a delayed network). */
  holdIf: ((m: Message) => boolean) | undefined = undefined;
  readonly held: Message[] = [];

  constructor(voters: NodeId[], readonly opts: NodeOptions = {}, learners: NodeId[] = []) {
    const conf: ConfState = { voters, learners, votersOutgoing: [], learnersNext: [], autoLeave: false };
    for (const id of [...voters, ...learners]) this.start(id, MemoryLog.bootstrap(conf));
  }

  /** A brand-new empty node (to be added with a conf change). */
  addEmpty(id: NodeId): Member {
    return this.start(id, new MemoryLog());
  }

  private start(id: NodeId, storage: MemoryLog): Member {
    const snap = storage.snapshot();
    const node = new RaftNode({
      electionTicks: 10, heartbeatTicks: 1, ...this.opts,
      id, storage, random: new SeededRandom(this.seed++), applied: snap.metadata.index,
    });
    const m: Member = { node, storage, applied: [], readStates: [], conf: snap.metadata.confState, up: true };
    this.members.set(id, m);
    return m;
  }

  get(id: NodeId): Member {
    const m = this.members.get(id);
    if (!m) throw new Error(`no node ${id}`);
    return m;
  }

  node(id: NodeId): RaftNode {
    return this.get(id).node;
  }

  /** Crash keeps only what was persisted; restart rebuilds the node from storage. */
  crash(id: NodeId): void {
    this.get(id).up = false;
  }

  restart(id: NodeId): void {
    const old = this.get(id);
    this.members.delete(id);
    const m = this.start(id, old.storage);
    m.applied = [];
  }

  /**
   * A damaged disk: the node restarts holding only its log up to `lastIndex`
   * (its hard state kept, its commit lowered to fit), as if the tail of its
   * write-ahead log had been cut off.
   */
  restartWithLogCutAt(id: NodeId, lastIndex: number): void {
    const old = this.get(id);
    const conf = old.storage.initialState().confState;
    const cut = MemoryLog.bootstrap(conf);
    cut.append(old.storage.entries(2, lastIndex + 1, Number.MAX_SAFE_INTEGER));
    const hs = old.storage.hardState();
    cut.setHardState({ ...hs, commit: Math.min(hs.commit, lastIndex) });
    this.members.delete(id);
    const m = this.start(id, cut);
    m.applied = [];
  }

  /** Messages delivered so far (the transcript's lines that are messages, lost ones included). */
  messageCount(): number {
    return this.transcript.filter((l) => l.includes('->')).length;
  }

  isolate(id: NodeId): void {
    for (const other of this.members.keys()) if (other !== id) this.partition([id], [other]);
  }

  partition(a: NodeId[], b: NodeId[]): void {
    for (const x of a) for (const y of b) {
      this.cut.add(`${x}>${y}`);
      this.cut.add(`${y}>${x}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  note(s: string): void {
    this.transcript.push(`# ${s}`);
  }

  private handle(id: NodeId, m: Member, rd: Ready): void {
    if (rd.snapshot) {
      m.storage.applySnapshot(rd.snapshot);
      m.conf = rd.snapshot.metadata.confState;
    }
    m.storage.append(rd.entries);
    if (rd.hardState) m.storage.setHardState(rd.hardState);
    for (const msg of rd.messages) {
      this.queue.push(msg);
      if (msg.type === 'snapshot') m.node.reportSnapshot(msg.to, true);
    }
    for (const e of rd.committedEntries) this.apply(m, e);
    m.readStates.push(...rd.readStates);
    if (rd.softState) this.transcript.push(`  ${id} is ${rd.softState.role} (leader ${rd.softState.leader ?? '-'})`);
    m.node.advance(rd);
  }

  private apply(m: Member, e: Entry): void {
    if (e.type === 'conf-change') m.conf = m.node.applyConfChange(decodeConfChange(e.data));
    else if (e.data.length > 0) m.applied.push(text.decode(e.data));
  }

  /** Process Readys and deliver messages for a few rounds only (to stop mid-flight). */
  rounds(n: number): void {
    try {
      this.stabilize(n);
    } catch {
      /* still moving: that is the point */
    }
  }

  /** Process Readys and deliver messages until nothing moves (bounded). */
  stabilize(maxRounds = 200): void {
    for (let round = 0; round < maxRounds; round++) {
      let moved = false;
      for (const [id, m] of this.members) {
        if (!m.up) continue;
        while (m.node.hasReady()) {
          this.handle(id, m, m.node.ready());
          moved = true;
        }
      }
      const batch = this.queue;
      this.queue = [];
      for (const msg of batch) {
        moved = true;
        const to = this.members.get(msg.to);
        if (this.holdIf?.(msg)) {
          this.transcript.push(`  ${describe(msg)} (held on the wire)`);
          this.held.push(msg);
          continue;
        }
        if (!to || !to.up || this.cut.has(`${msg.from}>${msg.to}`) || this.dropIf?.(msg)) {
          this.transcript.push(`  ${describe(msg)} (lost)`);
          continue;
        }
        this.transcript.push(describe(msg));
        to.node.step(msg);
      }
      if (!moved) return;
    }
    throw new Error('cluster did not stabilize');
  }

  /** Delivers the held messages now (they were already on the wire: partitions do not stop them). */
  releaseHeld(): void {
    for (const msg of this.held.splice(0)) {
      const to = this.members.get(msg.to);
      if (!to || !to.up) continue;
      this.transcript.push(`${describe(msg)} (released)`);
      to.node.step(msg);
    }
    this.stabilize();
  }

  tick(id: NodeId, n = 1): void {
    for (let i = 0; i < n; i++) this.node(id).tick();
  }

  /** Tick every running node n times, stabilizing after each tick. */
  tickAll(n: number): void {
    for (let i = 0; i < n; i++) {
      for (const m of this.members.values()) if (m.up) m.node.tick();
      this.stabilize();
    }
  }

  campaign(id: NodeId): void {
    this.node(id).campaign();
    this.stabilize();
  }

  propose(id: NodeId, data: string): void {
    this.node(id).propose(bytes(data));
    this.stabilize();
  }

  leader(): NodeId | undefined {
    let best: Member | undefined;
    let bestId: NodeId | undefined;
    for (const [id, m] of this.members) {
      const st = m.node.status();
      if (m.up && st.role === 'leader' && (!best || st.term > best.node.status().term)) {
        best = m;
        bestId = id;
      }
    }
    return bestId;
  }
}

/**
 * Compare a transcript with test/raft/golden/<name>.txt. Set UPDATE_GOLDEN=1
 * to (re)write it after reading the story and agreeing with it.
 */
export function golden(name: string, transcript: readonly string[]): { actual: string; expected: string } {
  const file = new URL(`./golden/${name}.txt`, import.meta.url);
  const actual = transcript.join('\n') + '\n';
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, actual);
  // A missing golden file is a failure, never a silent first write.
  if (!existsSync(file)) return { actual, expected: `(missing test/raft/golden/${name}.txt: run with UPDATE_GOLDEN=1 after reading the story)\n` };
  return { actual, expected: readFileSync(file, 'utf8') };
}
