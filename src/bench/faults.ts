// The fault schedule: each named fault happens at a fixed fraction of the run
// and is undone later, so every run ends with the whole installation up.
import type { Installation } from './launcher.ts';
import { getJson } from './http-client.ts';

export const FAULT_NAMES = ['kill-voter', 'kill-leader', 'partition-voter', 'externals-offline'] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

export interface FaultEvent {
  t: number;
  fault: FaultName;
  action: string;
  boards: string[];
  /** Measured duration: time to a new leader, or catch-up time of returning boards. */
  ms?: number;
}

/** When each fault starts and ends, as fractions of the run's duration. */
export const FAULT_WINDOWS: Record<FaultName, [number, number]> = {
  'kill-voter': [0.15, 0.3],
  'kill-leader': [0.35, 0.45],
  'partition-voter': [0.5, 0.62],
  'externals-offline': [0.68, 0.8],
};

export function parseFaults(list: readonly string[]): FaultName[] {
  for (const f of list) {
    if (!(FAULT_NAMES as readonly string[]).includes(f)) throw new Error(`unknown fault "${f}" (known: ${FAULT_NAMES.join(', ')})`);
  }
  return list as FaultName[];
}

export interface Partitioner {
  partition(id: string): void;
  heal(id: string): void;
  readonly how: string;
}

/** Without network namespaces a partition is approximated by freezing the board (SIGSTOP/SIGCONT). */
export function freezePartitioner(inst: Installation): Partitioner {
  return {
    how: 'SIGSTOP/SIGCONT (no --netns: the board is frozen, not cut off)',
    partition: (id) => inst.get(id).process?.kill('SIGSTOP'),
    heal: (id) => inst.get(id).process?.kill('SIGCONT'),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

async function statusOf(inst: Installation, id: string): Promise<Record<string, unknown> | null> {
  return inst.isRunning(id) ? getJson(inst.get(id).url + '/v1/status', 1000) : null;
}

async function currentLeader(inst: Installation, voters: string[]): Promise<{ id: string; term: number } | null> {
  let best: { id: string; term: number } | null = null;
  for (const id of voters) {
    const s = await statusOf(inst, id);
    if (s?.raftRole === 'leader' && typeof s.term === 'number' && (!best || s.term > best.term)) best = { id, term: s.term };
  }
  return best;
}

export async function runFaults(inst: Installation, faults: readonly FaultName[], durationMs: number, t0: number, partitioner: Partitioner, record: (e: FaultEvent) => void): Promise<void> {
  const voters = [...inst.boards.values()].filter((b) => b.role === 'voter').map((b) => b.id);
  const externals = [...inst.boards.values()].filter((b) => b.role === 'external').map((b) => b.id);
  const at = (frac: number): Promise<void> => sleep(t0 + frac * durationMs - Date.now());
  const now = (): number => (Date.now() - t0) / 1000;
  const plan = [...faults].sort((a, b) => FAULT_WINDOWS[a][0] - FAULT_WINDOWS[b][0]);
  for (const f of plan) {
    const [from, to] = FAULT_WINDOWS[f];
    await at(from);
    const leader = await currentLeader(inst, voters);
    const follower = voters.find((v) => v !== leader?.id && inst.isRunning(v));
    if (f === 'kill-voter' || f === 'kill-leader') {
      const victim = f === 'kill-leader' ? leader?.id : follower;
      if (victim === undefined) {
        record({ t: now(), fault: f, action: 'skipped: no suitable voter', boards: [] });
        continue;
      }
      const killedAt = Date.now();
      await inst.stop(victim, 'SIGKILL');
      record({ t: now(), fault: f, action: 'SIGKILL', boards: [victim] });
      if (f === 'kill-leader') {
        const others = voters.filter((v) => v !== victim);
        for (;;) {
          const l = await currentLeader(inst, others);
          if (l && l.term > (leader?.term ?? 0)) {
            record({ t: now(), fault: f, action: `new leader ${l.id}`, boards: [l.id], ms: Date.now() - killedAt });
            break;
          }
          if (Date.now() - killedAt > 60_000) {
            record({ t: now(), fault: f, action: 'no new leader within 60 s', boards: [] });
            break;
          }
          await sleep(50);
        }
      }
      await at(to);
      await inst.start(victim);
      record({ t: now(), fault: f, action: 'restarted', boards: [victim] });
    } else if (f === 'partition-voter') {
      if (follower === undefined) continue;
      partitioner.partition(follower);
      record({ t: now(), fault: f, action: `partitioned (${partitioner.how})`, boards: [follower] });
      await at(to);
      partitioner.heal(follower);
      record({ t: now(), fault: f, action: 'healed', boards: [follower] });
    } else {
      const off = externals.slice(0, Math.max(1, Math.floor(externals.length / 2)));
      if (off.length === 0 || externals.length === 0) {
        record({ t: now(), fault: f, action: 'skipped: no external boards', boards: [] });
        continue;
      }
      await Promise.all(off.map((id) => inst.stop(id, 'SIGTERM')));
      record({ t: now(), fault: f, action: 'stopped', boards: off });
      await at(to);
      const back = Date.now();
      await Promise.all(off.map((id) => inst.start(id)));
      const target = (await currentLeader(inst, voters)) ? await leaderCommit(inst, voters) : 0;
      await Promise.all(off.map((id) => inst.waitForApplied(id, target, 120_000).catch(() => 0)));
      record({ t: now(), fault: f, action: `restarted, caught up to ${target}`, boards: off, ms: Date.now() - back });
    }
  }
}

async function leaderCommit(inst: Installation, voters: string[]): Promise<number> {
  const l = await currentLeader(inst, voters);
  if (!l) return 0;
  const s = await statusOf(inst, l.id);
  return typeof s?.commitIndex === 'number' ? s.commitIndex : 0;
}
