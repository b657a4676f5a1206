// npm run sim:scale -- [--boards 100,250,1000] [--seed N]
//
// The scale model: what the leader does per committed write as an installation
// grows (5 voters, the rest external boards). Deterministic, at the level of the
// Raft core (RaftNode and the board's LogStore; no disk, no state machine, so a
// thousand boards fit in one process): one round is one network hop (1 ms),
// every message sent in a round arrives in the next; the board's timing (a tick
// every 100 ms, a heartbeat every 3 ticks, 256 KiB per message, parallel leader
// write). Workload: bursts of 200 writes of 256 bytes every 2 s, arriving at the
// leader 20 per round (16 clients' worth). Per committed write it reports the
// leader's messages and bytes (encoded as the transport sends them; heartbeats
// counted too) and the rounds from proposal until the last board applied it.
import { RaftNode } from '../../src/raft/node.ts';
import { SeededRandom } from '../../src/raft/random.ts';
import type { ConfState, Message, NodeId } from '../../src/raft/types.ts';
import { encodeMessage } from '../../src/transport/codec.ts';
import { MemoryLog } from '../helpers/memory-log.ts';

export interface ScaleOptions {
  readonly boards: number;
  readonly seed: number;
  /** Bursts of `burstSize` writes, `burstEveryRounds` apart. */
  readonly bursts?: number;
  readonly burstSize?: number;
  readonly burstEveryRounds?: number;
}

export interface ScaleResult {
  readonly boards: number;
  readonly writes: number;
  /** Leader's outbound messages and bytes per committed write (appends, heartbeats, everything). */
  readonly leaderMessagesPerWrite: number;
  readonly leaderBytesPerWrite: number;
  /** Rounds (1 ms hops) from proposal until the last board applied the write. */
  readonly roundsToAllApplied: { p50: number; p99: number; max: number };
}

const VOTERS = 5;
const ROUNDS_PER_TICK = 100;
const ARRIVALS_PER_ROUND = 20;
/** Rounds after the last burst for the slowest board to catch up before the run gives up. */
const DRAIN_ROUNDS = 20_000;

interface Board {
  readonly node: RaftNode;
  readonly log: MemoryLog;
  applied: number;
}

export function runScaleModel(o: ScaleOptions): ScaleResult {
  const bursts = o.bursts ?? 3;
  const burstSize = o.burstSize ?? 200;
  const burstEvery = o.burstEveryRounds ?? 2000;
  const ids: NodeId[] = Array.from({ length: o.boards }, (_, i) => (i < VOTERS ? `v${i + 1}` : `e${i + 1 - VOTERS}`));
  const confState: ConfState = { voters: ids.slice(0, VOTERS), learners: ids.slice(VOTERS), votersOutgoing: [], learnersNext: [], autoLeave: false };
  const random = new SeededRandom(o.seed);
  const boards = new Map<NodeId, Board>();
  for (const id of ids) {
    const log = MemoryLog.bootstrap(confState);
    const node = new RaftNode({
      id, storage: log, random: new SeededRandom(random.nextInt(2 ** 31)), electionTicks: 10, heartbeatTicks: 3,
      preVote: true, checkQuorum: true, maxSizePerMsg: 256 * 1024, parallelLeaderWrite: true,
    });
    boards.set(id, { node, log, applied: 1 });
  }
  const leaderId = ids[0]!;
  const leader = boards.get(leaderId)!;
  const payload = new Uint8Array(256).fill(7);
  /** Round each index was proposed in; the round the last board applied it (index 1 is the bootstrap). */
  const proposedAt = new Map<number, number>();
  const appliedBy = new Map<number, { boards: number; round: number }>();
  let measuring = false;
  let leaderMessages = 0;
  let leaderBytes = 0;
  let inbox: Message[] = [];
  let round = 0;

  const step = (): void => {
    const outbox: Message[] = [];
    for (const m of inbox) boards.get(m.to)?.node.step(m);
    for (const [id, b] of boards) {
      if (round % ROUNDS_PER_TICK === 0) b.node.tick();
      if (!b.node.hasReady()) continue;
      const rd = b.node.ready();
      const send = (msgs: readonly Message[]): void => {
        for (const m of msgs) {
          outbox.push(m);
          if (measuring && id === leaderId) {
            leaderMessages++;
            leaderBytes += encodeMessage(m).byteLength;
          }
        }
      };
      send(rd.earlyMessages);
      if (rd.snapshot) b.log.applySnapshot(rd.snapshot);
      if (rd.entries.length > 0) b.log.append(rd.entries);
      if (rd.hardState) b.log.setHardState(rd.hardState);
      send(rd.messages);
      for (const e of rd.committedEntries) {
        b.applied = e.index;
        if (!proposedAt.has(e.index)) continue;
        const a = appliedBy.get(e.index) ?? { boards: 0, round };
        appliedBy.set(e.index, { boards: a.boards + 1, round });
      }
      b.node.advance(rd);
    }
    inbox = outbox;
    round++;
  };

  leader.node.campaign();
  for (let i = 0; i < 50 * ROUNDS_PER_TICK && leader.node.status().role !== 'leader'; i++) step();
  if (leader.node.status().role !== 'leader') throw new Error(`seed ${o.seed}: ${leaderId} did not become leader`);
  // Let every board learn the leader and catch up to its first entry.
  for (let i = 0; i < 5 * ROUNDS_PER_TICK; i++) step();

  measuring = true;
  const start = round;
  const total = bursts * burstSize;
  let proposed = 0;
  const end = start + bursts * burstEvery + DRAIN_ROUNDS;
  const allApplied = (): boolean => proposed === total && [...proposedAt.keys()].every((i) => (appliedBy.get(i)?.boards ?? 0) === o.boards);
  while (round < end) {
    const sinceBurst = (round - start) % burstEvery;
    const burst = Math.floor((round - start) / burstEvery);
    if (burst < bursts && sinceBurst * ARRIVALS_PER_ROUND < burstSize) {
      for (let k = 0; k < ARRIVALS_PER_ROUND && proposed < (burst + 1) * burstSize; k++) {
        leader.node.propose(payload);
        proposedAt.set(leader.node.status().lastIndex, round);
        proposed++;
      }
    }
    step();
    // Measure whole bursts: stop once the last one is everywhere.
    if (burst >= bursts - 1 && allApplied()) break;
  }
  if (!allApplied()) throw new Error(`seed ${o.seed}: ${o.boards} boards: writes not applied everywhere within ${DRAIN_ROUNDS} rounds of the last burst`);
  const delays = [...proposedAt].map(([i, at]) => appliedBy.get(i)!.round - at).sort((a, b) => a - b);
  const pick = (q: number): number => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))]!;
  return {
    boards: o.boards,
    writes: total,
    leaderMessagesPerWrite: Number((leaderMessages / total).toFixed(2)),
    leaderBytesPerWrite: Math.round(leaderBytes / total),
    roundsToAllApplied: { p50: pick(0.5), p99: pick(0.99), max: delays.at(-1)! },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const sizes = (arg('boards') ?? '15,100,250,1000').split(',').map(Number);
  const seed = Number(arg('seed') ?? 1);
  let out = `scale model, seed ${seed}: 5 voters, bursts of 200 x 256-byte writes every 2 s (3 bursts), 1 round = 1 network hop\n`;
  out += '| boards | leader messages per write | leader bytes per write | rounds until applied on all: p50 / p99 / max |\n| --- | --- | --- | --- |\n';
  for (const boards of sizes) {
    const r = runScaleModel({ boards, seed });
    out += `| ${r.boards} | ${r.leaderMessagesPerWrite} | ${r.leaderBytesPerWrite} | ${r.roundsToAllApplied.p50} / ${r.roundsToAllApplied.p99} / ${r.roundsToAllApplied.max} |\n`;
  }
  process.stdout.write(out);
}
