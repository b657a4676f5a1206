// A 3-voter installation with external boards, as real processes on loopback:
// writes through any board, a leader killed and replaced, an external board
// catching up after an absence, by log and by snapshot.
import t from 'tap';
import { startInstallation, dumpLogsOnFailure } from '../helpers/installation.ts';
import type { Installation } from '../../src/bench/launcher.ts';

const post = (inst: Installation, id: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  inst.json(id, path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

async function writeAreas(inst: Installation, via: string, from: number, count: number): Promise<number> {
  let revision = 0;
  for (let i = from; i < from + count; i++) {
    const r = await post(inst, via, '/v1/areas', { id: `room-${i}`, name: `Room ${i}`, type: 'room', parent: null });
    if (r.status !== 201) throw new Error(`write ${i} failed: ${r.status} ${JSON.stringify(r.body)}`);
    revision = r.body.revision as number;
  }
  return revision;
}

t.test('3 voters and 2 external boards replicate, survive a leader kill, and catch up', async (t) => {
  const inst = await startInstallation(t, 3, 2, ['--snapshot-entries', '100', '--compact-keep-entries', '10']);
  dumpLogsOnFailure(t, inst);
  const leader = await inst.waitForLeader();
  t.ok(leader, `leader elected: ${leader}`);
  for (const e of ['e1', 'e2']) await inst.start(e);
  await inst.waitForRole('e1', 'external');
  await inst.waitForRole('e2', 'external');

  const follower = ['v1', 'v2', 'v3'].find((v) => v !== leader)!;
  const created = await post(inst, follower, '/v1/areas', { id: 'lobby', name: 'Lobby', type: 'room', parent: null });
  t.equal(created.status, 201, 'a write through a follower is committed');
  const rev = created.body.revision as number;

  const other = ['v1', 'v2', 'v3'].find((v) => v !== leader && v !== follower)!;
  const read = await inst.json(other, '/v1/areas/lobby?consistency=linearizable');
  t.equal(read.status, 200, 'a linearizable read on another voter sees it');
  t.equal((read.body.value as { name: string }).name, 'Lobby');

  await inst.waitForApplied('e1', rev);
  const local = await inst.json('e1', '/v1/areas/lobby?consistency=local');
  t.equal(local.status, 200, 'the external board serves it locally');

  const peers = await inst.json(leader, '/v1/peers');
  const members = peers.body.members as Array<{ id: string; role: string; progress: { match: number } | null }>;
  t.same(members.map((m) => `${m.id}:${m.role}`).sort(), ['e1:external', 'e2:external', 'v1:voter', 'v2:voter', 'v3:voter']);
  t.ok(members.every((m) => m.progress !== null), 'the leader reports progress for every member');

  // Kill the leader: a new one is elected and writes continue.
  const killedAt = Date.now();
  await inst.stop(leader, 'SIGKILL');
  const next = await inst.waitForLeader(30_000, [leader]);
  const electionMs = Date.now() - killedAt;
  t.not(next, leader, `new leader ${next} after ${electionMs} ms`);
  t.comment(`leader re-election after SIGKILL: ${electionMs} ms`);
  const after = await writeAreas(inst, next, 0, 20);
  t.ok(after > rev, 'writes continue with the new leader');
  await inst.waitForApplied('e2', after);
  t.pass('the external board follows the new leader by itself');

  // An external board away during many writes catches up (by snapshot: the log is compacted every 100 entries).
  await inst.stop('e1', 'SIGTERM');
  const last = await writeAreas(inst, next, 100, 250);
  await inst.start(leader); // the old leader returns too
  await inst.start('e1');
  const caughtUpAt = Date.now();
  await inst.waitForApplied('e1', last, 60_000);
  t.comment(`external board caught up 250 writes in ${Date.now() - caughtUpAt} ms after restart`);
  const list = await inst.json('e1', '/v1/areas?consistency=local&limit=1000');
  t.equal((list.body.items as unknown[]).length, 1 + 20 + 250, 'the external board has every area');
  await inst.waitForApplied(leader, last, 60_000);
  const oldLeaderStatus = await inst.status(leader);
  t.equal(oldLeaderStatus?.role, 'voter', 'the old leader rejoined as a voter');
  const ext = await inst.status('e1');
  t.ok((ext?.firstIndex as number) > 100, `the external board restored a snapshot (its log starts at ${ext?.firstIndex})`);
  t.ok(inst.get('e1').logTail.some((l) => l.includes('installed snapshot')), 'the external board logged the snapshot install');
});
