// The fault schedule: each named fault happens at a fixed fraction of the run
// and is undone later, so every run ends with the whole installation up.
import type { Installation } from './launcher.ts';
import { getJson } from './http-client.ts';

export const FAULT_NAMES = ['kill-voter', 'kill-leader', 'partition-voter', 'externals-offline', 'replace-voters'] as const;
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
  // Voters killed for good: autopilot must replace them (dead-voter time 30 s by default, so a
  // run of two minutes or more); they return at 70 % of the run, as external boards, and the rest shows whether anything churns.
  'replace-voters': [0.2, 0.7],
};

/** Voters killed for good by the replace-voters fault: the leader and one follower. */
export const REPLACED_VOTERS = 2;

/** The installation's voters as the leader sees them at one moment (t in s from the run's start). */
export interface VoterSample {
  t: number;
  /** Voters in the configuration; null while no board leads. */
  voters: number | null;
  /** Their ids, sorted and joined with spaces ('' while no board leads). */
  ids: string;
  /** Voters the leader's autopilot counts healthy (in contact, caught up); 0 while no board leads. */
  healthy: number;
  leader: string | null;
}

/** How often the voter series is sampled. */
export const VOTER_SAMPLE_MS = 500;
/** Voter samples kept at most (a 3-hour run at 2 a second). */
export const MAX_VOTER_SAMPLES = 21_600;

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

/** The leader among all running boards (external boards may have become voters) and its status. */
async function leaderStatus(inst: Installation): Promise<Record<string, unknown> | null> {
  let best: Record<string, unknown> | null = null;
  for (const id of inst.boards.keys()) {
    const s = await statusOf(inst, id);
    if (s?.raftRole === 'leader' && typeof s.term === 'number' && (best === null || s.term > (best.term as number))) best = s;
  }
  return best;
}

/** One voter sample now: the leader's configuration and its autopilot's healthy voters. */
async function sampleVoters(inst: Installation, t: number): Promise<VoterSample> {
  const s = await leaderStatus(inst);
  if (s === null) return { t, voters: null, ids: '', healthy: 0, leader: null };
  const ids = Array.isArray(s.voters) ? (s.voters as string[]) : null;
  return { t, voters: ids?.length ?? null, ids: ids === null ? '' : [...ids].sort().join(' '), healthy: healthyOf(s), leader: typeof s.id === 'string' ? s.id : null };
}

/** Healthy voters in a leader's status: its autopilot's count, else its members' health. */
function healthyOf(s: Record<string, unknown>): number {
  const pilot = s.autopilot as { healthyVoters?: unknown } | null;
  if (typeof pilot?.healthyVoters === 'number') return pilot.healthyVoters;
  const rows = (s.installation ?? []) as Array<{ role?: string; health?: string }>;
  return rows.filter((r) => r.role === 'voter' && r.health === 'ok').length;
}

/** Samples the voters every VOTER_SAMPLE_MS until `until` (epoch ms) into `sink`. */
async function followVoters(inst: Installation, t0: number, until: number, sink: VoterSample[]): Promise<void> {
  while (Date.now() < until && sink.length < MAX_VOTER_SAMPLES) {
    const started = Date.now();
    sink.push(await sampleVoters(inst, Math.round((started - t0) / 100) / 10));
    await sleep(started + VOTER_SAMPLE_MS - Date.now());
  }
}

/**
 * Kills the leader and one follower for good (SIGKILL), waits until the leader again has as
 * many healthy voters as before, none of them a killed one (autopilot's replacement), records
 * that time, and at the window's end starts the killed boards again: they return as external
 * boards.
 */
async function replaceVoters(inst: Installation, at: (frac: number) => Promise<void>, now: () => number, record: (e: FaultEvent) => void): Promise<void> {
  const f: FaultName = 'replace-voters';
  const [, to] = FAULT_WINDOWS[f];
  const before = await leaderStatus(inst);
  const voters = Array.isArray(before?.voters) ? (before.voters as string[]) : [];
  const leader = typeof before?.id === 'string' ? before.id : null;
  const victims = [leader, ...voters.filter((v) => v !== leader)].filter((v): v is string => v !== null && inst.boards.has(v)).slice(0, REPLACED_VOTERS);
  if (victims.length < REPLACED_VOTERS || voters.length < 3) {
    record({ t: now(), fault: f, action: 'skipped: needs a leader and 3 or more voters', boards: [] });
    return;
  }
  const killedAt = Date.now();
  await Promise.all(victims.map((v) => inst.stop(v, 'SIGKILL')));
  record({ t: now(), fault: f, action: 'SIGKILL for good', boards: victims });
  let windowOver = false;
  const windowEnd = at(to).then(() => {
    windowOver = true;
  });
  let restored = false;
  while (!windowOver && !restored) {
    const s = await leaderStatus(inst);
    const current = Array.isArray(s?.voters) ? (s.voters as string[]) : null;
    const healthy = s === null ? 0 : healthyOf(s);
    if (current !== null && current.length === voters.length && healthy === voters.length && !current.some((v) => victims.includes(v))) {
      record({ t: now(), fault: f, action: `${voters.length} healthy voters again (${current.join(' ')})`, boards: current.filter((v) => !voters.includes(v)), ms: Date.now() - killedAt });
      restored = true;
    } else await sleep(250);
  }
  if (!restored) record({ t: now(), fault: f, action: `not ${voters.length} healthy voters by the window's end`, boards: [] });
  await windowEnd;
  await Promise.all(victims.map((v) => inst.start(v)));
  record({ t: now(), fault: f, action: 'restarted (they return as external boards)', boards: victims });
}

export async function runFaults(inst: Installation, faults: readonly FaultName[], durationMs: number, t0: number, partitioner: Partitioner, record: (e: FaultEvent) => void, voterSink?: VoterSample[]): Promise<void> {
  const following = voterSink !== undefined ? followVoters(inst, t0, t0 + durationMs, voterSink) : Promise.resolve();
  await runPlan(inst, faults, durationMs, t0, partitioner, record);
  await following;
}

async function runPlan(inst: Installation, faults: readonly FaultName[], durationMs: number, t0: number, partitioner: Partitioner, record: (e: FaultEvent) => void): Promise<void> {
  const voters = [...inst.boards.values()].filter((b) => b.role === 'voter').map((b) => b.id);
  const externals = [...inst.boards.values()].filter((b) => b.role === 'external').map((b) => b.id);
  const at = (frac: number): Promise<void> => sleep(t0 + frac * durationMs - Date.now());
  const now = (): number => (Date.now() - t0) / 1000;
  const plan = [...faults].sort((a, b) => FAULT_WINDOWS[a][0] - FAULT_WINDOWS[b][0]);
  for (const f of plan) {
    const [from, to] = FAULT_WINDOWS[f];
    await at(from);
    if (f === 'replace-voters') {
      await replaceVoters(inst, at, now, record);
      continue;
    }
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
