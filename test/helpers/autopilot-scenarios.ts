// Autopilot with real board processes: the scenarios of issue 14, written once and run both by
// the tap tests (boards from the sources, short quiet times) and by scripts/check-autopilot.ts
// (the built image, after the build, with the full quiet minute). 5 voters and 4 external
// boards over two domains, short autopilot times (dead-voter 3 s, stabilisation 2 s), ticks of
// 50 ms: an election timeout is 10 ticks, randomized to 500–1000 ms.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Installation } from '../../src/bench/launcher.ts';
import { WriteLoad } from './write-load.ts';

export const TICK_MS = 50;
export const ELECTION_TICKS = 10;
export const DEAD_VOTER_MS = 3_000;
export const STABILISATION_MS = 2_000;
/**
 * "One election": the longest randomized election timeout (2 × 10 ticks) plus a heartbeat
 * round for the vote and the first commit: the longest a write may fail when a leader is lost.
 */
export const ONE_ELECTION_MS = 2 * ELECTION_TICKS * TICK_MS + 3 * TICK_MS;

export const AUTOPILOT_ARGS = [
  '--autopilot', '--autopilot-dead-voter-ms', String(DEAD_VOTER_MS), '--autopilot-stabilisation-ms', String(STABILISATION_MS),
];
export const domainOf = (id: string): string => (['v1', 'v2', 'v3', 'e1', 'e2'].includes(id.split('.')[0]!) ? 'A' : 'B');
export const boardArgs = (id: string): string[] => ['--domain', domainOf(id)];

export interface ScenarioEnv {
  /** An installation of `voters` founders and `externals` boards that join later (started by the scenario). */
  make(voters: number, externals: number, extraArgs: string[]): Promise<Installation>;
  check(name: string, ok: boolean, detail: string): void;
  note(line: string): void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Decision { action: string; member: string; with?: string; outcome: string; reason: string }
interface MemberRow { id: string; role: string; condition: string; why: string }

/** The leader's status (retried while there is none). */
export async function leaderStatus(inst: Installation, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const leader = await inst.waitForLeader(Math.max(1_000, deadline - Date.now()));
    const s = await inst.status(leader);
    if (s !== null && s.raftRole === 'leader') return s;
    if (Date.now() > deadline) throw new Error(`no leader status within ${timeoutMs} ms`);
  }
}

const decisionsOf = (s: Record<string, unknown>): Decision[] => ((s.autopilot as { decisions?: Decision[] } | null)?.decisions ?? []);
const membersOf = (s: Record<string, unknown>): MemberRow[] => ((s.autopilot as { members?: MemberRow[] } | null)?.members ?? []);
const describe = (ds: readonly Decision[]): string => ds.map((d) => `${d.action} ${d.member}${d.with ? `→${d.with}` : ''} ${d.outcome}`).join('; ');

/** Healthy voters as the leader's autopilot sees them. */
async function healthyVoters(inst: Installation): Promise<string[]> {
  const s = await leaderStatus(inst).catch(() => ({} as Record<string, unknown>));
  return membersOf(s).filter((m) => m.role === 'voter' && m.condition === 'healthy').map((m) => m.id);
}

/** Waits until the leader sees `voters` healthy voters and every running external board eligible. */
async function settled(inst: Installation, voters: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const s = await leaderStatus(inst).catch(() => null);
    if (s) {
      const ms = membersOf(s);
      const running = (id: string): boolean => inst.boards.has(id.split('.')[0]!) && inst.isRunning(id.split('.')[0]!);
      const healthyVoters = ms.filter((m) => m.role === 'voter' && m.condition === 'healthy').length;
      const externalsReady = ms.filter((m) => m.role === 'external' && running(m.id)).every((m) => m.condition === 'healthy');
      if (healthyVoters === voters && ms.filter((m) => m.role === 'voter').length === voters && externalsReady && (s.autopilot as { changing?: boolean }).changing !== true) return true;
    }
    await sleep(250);
  }
  return false;
}

async function startExternals(inst: Installation): Promise<void> {
  const ids = [...inst.boards.values()].filter((b) => b.role === 'external').map((b) => b.id);
  for (const e of ids) await inst.start(e);
  for (const e of ids) await inst.waitForRole(e, 'external', 60_000);
}

/**
 * Two voters (the leader and one of the other domain) lose power for good: within the
 * dead-voter time plus 15 s there are again 5 healthy voters over both domains, and writes
 * fail for no longer than one election. They return: as external boards, and nothing changes
 * for `quietMs`.
 */
export async function killTwoForGood(env: ScenarioEnv, quietMs: number): Promise<void> {
  const inst = await env.make(5, 4, AUTOPILOT_ARGS);
  const leader = await inst.waitForLeader(60_000);
  await startExternals(inst);
  env.check('settled before the fault', await settled(inst, 5, 60_000), '5 healthy voters, every external board eligible');
  const load = new WriteLoad(inst, { prefix: 'kill' });
  await sleep(1_000);
  const other = ['v1', 'v2', 'v3', 'v4', 'v5'].find((v) => v !== leader && domainOf(v) !== domainOf(leader))!;
  const killedAt = performance.now();
  await inst.stop(leader, 'SIGKILL');
  await inst.stop(other, 'SIGKILL');
  env.note(`killed ${leader} (${domainOf(leader)}) and ${other} (${domainOf(other)}) for good`);
  let restoredMs: number | null = null;
  for (let i = 0; i < 400 && restoredMs === null && performance.now() - killedAt < 60_000; i++) {
    const healthy = await healthyVoters(inst);
    if (healthy.length === 5 && !healthy.includes(leader) && !healthy.includes(other)) restoredMs = performance.now() - killedAt;
    else await sleep(100);
  }
  const bound = DEAD_VOTER_MS + 15_000;
  env.check('5 healthy voters again', restoredMs !== null && restoredMs < bound, `after ${Math.round(restoredMs ?? -1)} ms (bound: dead-voter time + 15 s = ${bound} ms)`);
  const s = await leaderStatus(inst);
  const voters = s.voters as string[];
  env.check('voters spread over both domains', voters.filter((v) => domainOf(v) === 'A').length >= 2 && voters.filter((v) => domainOf(v) === 'B').length >= 2,
    `voters ${voters.map((v) => `${v}:${domainOf(v)}`).join(' ')}`);
  const decisions = decisionsOf(s);
  env.check('the dead voters were swapped out', decisions.filter((d) => d.action === 'swap' && d.outcome === 'done').length >= 2, describe(decisions));
  const outage = load.gapAround(killedAt, 5_000);
  env.check('writes failed for no longer than one election', outage <= ONE_ELECTION_MS,
    `longest stretch without an acknowledged write after the leader died: ${Math.round(outage)} ms (one election: ${ONE_ELECTION_MS} ms)`);
  // The dead boards come back: as external boards, and nothing changes.
  await inst.start(leader);
  await inst.start(other);
  await inst.waitForRole(leader, 'external', 60_000);
  await inst.waitForRole(other, 'external', 60_000);
  const before = decisionsOf(await leaderStatus(inst)).length;
  const termBefore = (await leaderStatus(inst)).term;
  await sleep(quietMs);
  const after = await leaderStatus(inst);
  const quietDecisions = decisionsOf(after).slice(before);
  env.check(`no churn for ${quietMs / 1000} s after they returned`, quietDecisions.length === 0 && after.term === termBefore,
    `${quietDecisions.length} autopilot decisions (${describe(quietDecisions)}), term ${String(termBefore)} → ${String(after.term)}, voters ${(after.voters as string[]).join(',')}`);
  await load.stop();
  const missing = await load.missing((await inst.waitForLeader()));
  env.check('no acknowledged write lost', missing.length === 0, `${load.acked.length} acknowledged, ${missing.length} missing${missing.length ? ` (${missing.slice(0, 5).join(', ')})` : ''}; ${load.failed} failed attempts`);
}

/**
 * Every voter in turn is stopped with SIGTERM (it asks the leader to hand its seat to an
 * external board: the seat-release side message; the leader hands its own seat and its
 * leadership over) and started again, under a constant write load: every acknowledged write is
 * present afterwards, and no write fails for longer than one election.
 */
export async function rollingRestart(env: ScenarioEnv): Promise<void> {
  const inst = await env.make(5, 4, AUTOPILOT_ARGS);
  await inst.waitForLeader(60_000);
  await startExternals(inst);
  env.check('settled before the restarts', await settled(inst, 5, 60_000), '5 healthy voters, every external board eligible');
  const load = new WriteLoad(inst, { prefix: 'roll' });
  await sleep(1_000);
  const gaps: string[] = [];
  let worst = 0;
  for (const v of ['v1', 'v2', 'v3', 'v4', 'v5']) {
    const before = await leaderStatus(inst);
    const wasLeader = before.id === v;
    const seen = decisionsOf(before).length;
    const t0 = performance.now();
    await inst.stop(v, 'SIGTERM');
    const stopMs = performance.now() - t0;
    const tail = inst.get(v).logTail;
    const handedOver = tail.some((l) => l.includes('seat hand-over before stopping') && l.includes('"handedOver":true'));
    const after = await leaderStatus(inst);
    // The leader's decisions; a leader that stopped took its own decisions with it: its log has them.
    const swap = decisionsOf(after).slice(Math.max(0, seen - 1)).find((d) => d.action === 'swap' && d.member === v && d.reason.includes('is stopping'));
    const swapLine = tail.find((l) => l.includes(`autopilot: swap ${v} → `) && l.includes(' done '));
    const swapped = swap !== undefined ? `${swap.member}→${swap.with} ${swap.outcome}` : swapLine !== undefined ? `${/swap (\S+ → \S+)/.exec(swapLine)?.[1] ?? ''} done (its own log)` : 'no swap decision';
    const voters = after.voters as string[];
    env.check(`${v}${wasLeader ? ' (the leader)' : ''} handed its seat over before stopping`,
      handedOver && (swap?.outcome === 'done' || swapLine !== undefined) && !voters.includes(v) && voters.length === 5,
      `${swapped}; stopped in ${Math.round(stopMs)} ms; voters now ${voters.join(',')}${wasLeader ? `; leader now ${String(after.id)}` : ''}`);
    await inst.start(v);
    await inst.waitForRole(v, 'external', 60_000);
    const settledAgain = await settled(inst, 5, 60_000);
    const gap = load.gapAround(t0, stopMs + 2_000);
    worst = Math.max(worst, gap);
    gaps.push(`${v}${wasLeader ? '*' : ''} ${Math.round(gap)}`);
    env.check(`${v} back as an external board, 5 healthy voters`, settledAgain, `voters ${((await leaderStatus(inst)).voters as string[]).join(',')}`);
  }
  await load.stop();
  env.check('no write failed for longer than one election', worst <= ONE_ELECTION_MS,
    `longest stretch without an acknowledged write per stop (ms; * the leader): ${gaps.join(', ')}; whole run ${Math.round(load.longestGapMs())} ms (one election: ${ONE_ELECTION_MS} ms)`);
  const missing = await load.missing(await inst.waitForLeader());
  env.check('no acknowledged write lost', missing.length === 0, `${load.acked.length} acknowledged, ${missing.length} missing${missing.length ? ` (${missing.slice(0, 5).join(', ')})` : ''}; ${load.failed} failed attempts`);
}

/** A voter is missing for good; a new board starts with --join and its join token: it becomes a voter once stable. */
export async function joinWhileVoterMissing(env: ScenarioEnv): Promise<void> {
  const inst = await env.make(5, 1, AUTOPILOT_ARGS);
  const leader = await inst.waitForLeader(60_000);
  env.check('settled before the fault', await settled(inst, 5, 60_000), '5 healthy voters');
  // Not v1: the launcher joins new boards through the first running founder.
  const victim = ['v2', 'v3', 'v4', 'v5'].find((v) => v !== leader)!;
  await inst.stop(victim, 'SIGKILL');
  const t0 = performance.now();
  await inst.start('e1');
  await inst.waitForRole('e1', 'external', 60_000);
  env.note(`${victim} killed for good; e1 joined as an external board after ${Math.round(performance.now() - t0)} ms`);
  const deadline = t0 + DEAD_VOTER_MS + STABILISATION_MS + 30_000;
  let votedAt: number | null = null;
  while (votedAt === null && performance.now() < deadline) {
    const s = await inst.status('e1');
    if (s?.role === 'voter') votedAt = performance.now();
    else await sleep(200);
  }
  const s = await leaderStatus(inst);
  env.check('the joined board became a voter once stable', votedAt !== null,
    `e1 a voter ${Math.round((votedAt ?? NaN) - t0)} ms after it was started (stabilisation ${STABILISATION_MS} ms, dead-voter ${DEAD_VOTER_MS} ms); decisions: ${describe(decisionsOf(s))}`);
  env.check('5 healthy voters without the missing one', await settled(inst, 5, 30_000), `voters ${(s.voters as string[]).join(',')}`);
}

/**
 * A voter loses its state (its log and snapshots are gone): it comes back as a new incarnation
 * `<board>.<suffix>`, is admitted again with a join token, and autopilot replaces the old
 * voter entry at once (superseded) and then removes it.
 */
export async function lostStateVoter(env: ScenarioEnv): Promise<void> {
  const inst = await env.make(5, 1, AUTOPILOT_ARGS);
  const leader = await inst.waitForLeader(60_000);
  await startExternals(inst);
  env.check('settled before the fault', await settled(inst, 5, 60_000), '5 healthy voters, e1 eligible');
  const victim = ['v2', 'v3', 'v4', 'v5'].find((v) => v !== leader)!;
  await inst.stop(victim, 'SIGKILL');
  const dir = inst.get(victim).dataDir;
  rmSync(join(dir, 'wal'), { recursive: true, force: true });
  rmSync(join(dir, 'snap'), { recursive: true, force: true });
  const t0 = performance.now();
  await inst.start(victim, { asJoiner: true });
  let member: string | null = null;
  const deadline = t0 + 60_000;
  while (member === null && performance.now() < deadline) {
    const st = await inst.status(victim);
    if (st && st.role === 'external' && typeof st.id === 'string') member = st.id;
    else await sleep(200);
  }
  env.check('the board came back as a new incarnation, admitted as an external board', member !== null && member.startsWith(`${victim}.`),
    `member id ${member ?? '(not admitted within 60 s)'} after ${Math.round(performance.now() - t0)} ms`);
  let replacedAt: number | null = null;
  let removedAt: number | null = null;
  let s: Record<string, unknown> = {};
  while (removedAt === null && performance.now() < deadline + 30_000) {
    s = await leaderStatus(inst);
    const voters = s.voters as string[];
    if (replacedAt === null && !voters.includes(victim) && voters.length === 5) replacedAt = performance.now();
    const members = (s.installation as Array<{ id: string }>).map((m) => m.id);
    if (replacedAt !== null && !members.includes(victim)) removedAt = performance.now();
    else await sleep(200);
  }
  const decisions = decisionsOf(s).filter((d) => d.member === victim);
  env.check('autopilot replaced the old voter entry at once', replacedAt !== null,
    `${victim} out of the voters ${Math.round((replacedAt ?? NaN) - t0)} ms after the restart (dead-voter time ${DEAD_VOTER_MS} ms); voters ${(s.voters as string[]).join(',')}; decisions: ${describe(decisions)} (${decisions.map((d) => d.reason).join(' | ')})`);
  env.check('and then removed it', removedAt !== null, `${victim} removed ${Math.round((removedAt ?? NaN) - t0)} ms after the restart`);
  env.check('5 healthy voters', await settled(inst, 5, 30_000), `voters ${((await leaderStatus(inst)).voters as string[]).join(',')}`);
}

/**
 * The leader is demoted `rounds` times under a constant write load (autopilot off; the old
 * leader is promoted back after each round): the longest stretch without an acknowledged write
 * at each hand-over, in ms.
 */
export async function demoteLeaderGaps(inst: Installation, rounds: number, note: (line: string) => void): Promise<number[]> {
  await inst.waitForLeader(60_000);
  const load = new WriteLoad(inst, { prefix: 'demote', writers: 4, pauseMs: 5 });
  await sleep(1_500);
  const gaps: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const leader = await inst.waitForLeader(30_000);
    const t0 = performance.now();
    const r = await inst.json(leader, `/v1/members/${leader}/demote`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    if (r.status !== 200) throw new Error(`demote ${leader}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    const next = await inst.waitForLeader(30_000, [leader]);
    await sleep(Math.max(0, t0 + 2_500 - performance.now()));
    const gap = load.gapAround(t0, 2_000);
    gaps.push(gap);
    note(`round ${i + 1}: ${leader} demoted, ${next} leads; longest stretch without an acknowledged write ${Math.round(gap)} ms`);
    const p = await inst.json(next, `/v1/members/${leader}/promote`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    if (p.status !== 200) throw new Error(`promote ${leader}: HTTP ${p.status} ${JSON.stringify(p.body)}`);
    await inst.waitForRole(leader, 'voter', 30_000);
    await sleep(700);
  }
  await load.stop();
  const missing = await load.missing(await inst.waitForLeader());
  if (missing.length > 0) throw new Error(`${missing.length} acknowledged writes missing: ${missing.slice(0, 5).join(', ')}`);
  note(`${load.acked.length} writes acknowledged, all present; ${load.failed} failed attempts`);
  return gaps;
}
