// Autopilot with real board processes (from the sources), 5 voters and 4 external boards over
// two domains, with short autopilot times (dead-voter 3 s, stabilisation 2 s) so CI stays fast.
import t from 'tap';
import { startInstallation, dumpLogsOnFailure } from '../helpers/installation.ts';
import type { Installation } from '../../src/bench/launcher.ts';

const DEAD_VOTER_MS = 3_000;
const domainOf = (id: string): string => (['v1', 'v2', 'v3', 'e1', 'e2'].includes(id) ? 'A' : 'B');

/** Writes one at a time through the live boards; records the longest stretch without a successful write. */
class Writer {
  ok = 0;
  longestGapMs = 0;
  private lastOk = performance.now();
  private running = true;
  readonly done: Promise<void>;
  constructor(private readonly inst: Installation) {
    this.done = this.loop();
  }
  private async loop(): Promise<void> {
    let n = 0;
    while (this.running) {
      const via = [...this.inst.boards.keys()].filter((id) => this.inst.isRunning(id))[n++ % 5] ?? 'v1';
      try {
        const r = await this.inst.json(via, '/v1/areas', {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id: `a${n}`, name: 'x', type: 'room', parent: null }),
          signal: AbortSignal.timeout(3_000),
        } as RequestInit);
        if (r.status === 201) {
          const now = performance.now();
          this.longestGapMs = Math.max(this.longestGapMs, now - this.lastOk);
          this.lastOk = now;
          this.ok++;
        }
      } catch {
        /* counted as a gap */
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

async function leaderStatus(inst: Installation): Promise<Record<string, unknown>> {
  const leader = await inst.waitForLeader(30_000);
  return (await inst.json(leader, '/v1/status')).body;
}

async function healthyVoters(inst: Installation): Promise<string[]> {
  const s = await leaderStatus(inst).catch(() => ({} as Record<string, unknown>));
  const rows = (s.installation ?? []) as Array<{ id: string; role: string; health: string }>;
  return rows.filter((r) => r.role === 'voter' && r.health === 'ok').map((r) => r.id);
}

t.test('two voters killed for good are replaced, spread over both domains, and their return causes no churn', async (t) => {
  const inst = await startInstallation(t, 5, 4, [
    '--autopilot', '--autopilot-dead-voter-ms', String(DEAD_VOTER_MS), '--autopilot-stabilisation-ms', '2000',
  ], { boardArgs: (id) => ['--domain', domainOf(id)] });
  dumpLogsOnFailure(t, inst);
  const leader = await inst.waitForLeader();
  for (const e of ['e1', 'e2', 'e3', 'e4']) inst.start(e);
  for (const e of ['e1', 'e2', 'e3', 'e4']) await inst.waitForRole(e, 'external');
  await new Promise((r) => setTimeout(r, 3_000));
  const writer = new Writer(inst);
  // The leader and one voter of the other domain lose power for good.
  const other = ['v1', 'v2', 'v3', 'v4', 'v5'].find((v) => v !== leader && domainOf(v) !== domainOf(leader))!;
  const killedAt = performance.now();
  await inst.stop(leader, 'SIGKILL');
  await inst.stop(other, 'SIGKILL');
  t.comment(`killed ${leader} (${domainOf(leader)}) and ${other} (${domainOf(other)})`);
  let restoredMs: number | null = null;
  for (let i = 0; i < 200 && restoredMs === null; i++) {
    const healthy = await healthyVoters(inst);
    if (healthy.length === 5 && !healthy.includes(leader) && !healthy.includes(other)) restoredMs = performance.now() - killedAt;
    else await new Promise((r) => setTimeout(r, 250));
  }
  t.ok(restoredMs !== null && restoredMs < DEAD_VOTER_MS + 15_000, `5 healthy voters again after ${Math.round(restoredMs ?? -1)} ms (bound ${DEAD_VOTER_MS + 15_000})`);
  const s = await leaderStatus(inst);
  const voters = (s.voters as string[]);
  t.ok(voters.filter((v) => domainOf(v) === 'A').length >= 2 && voters.filter((v) => domainOf(v) === 'B').length >= 2, `voters ${voters.join(',')} spread over both domains`);
  const decisions = ((s.autopilot as { decisions: Array<{ action: string; member: string; with?: string; outcome: string; reason: string }> }).decisions);
  t.ok(decisions.some((d) => d.action === 'swap' && d.outcome === 'done'), `decisions: ${decisions.map((d) => `${d.action} ${d.member}${d.with ? `→${d.with}` : ''} ${d.outcome}`).join('; ')}`);
  // The dead boards come back: as external boards, and nothing changes.
  inst.start(leader);
  inst.start(other);
  await inst.waitForRole(leader, 'external');
  await inst.waitForRole(other, 'external');
  const before = decisions.length;
  await new Promise((r) => setTimeout(r, 10_000));
  const after = await leaderStatus(inst);
  t.equal((after.autopilot as { decisions: unknown[] }).decisions.length, before, 'no churn for 10 s after they returned');
  await writer.stop();
  t.comment(`writes: ${writer.ok} ok; longest stretch without a successful write ${Math.round(writer.longestGapMs)} ms`);
  t.ok(writer.ok > 0);
});
