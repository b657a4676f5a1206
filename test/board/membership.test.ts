// Membership of a 5-voter installation through the API: promote an external
// board, demote a voter, remove a voter, remove the leader itself.
import t from 'tap';
import { startInstallation, dumpLogsOnFailure } from '../helpers/installation.ts';
import type { Installation } from '../../src/bench/launcher.ts';

async function member(inst: Installation, via: string, path: string, method: string, body?: unknown) {
  return inst.json(via, path, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
}

async function write(inst: Installation, via: string, id: string): Promise<number> {
  const r = await member(inst, via, '/v1/areas', 'POST', { id, name: id, type: 'room', parent: null });
  if (r.status !== 201) throw new Error(`write ${id}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.revision as number;
}

t.test('promote, demote and remove boards, including the leader', async (t) => {
  const inst = await startInstallation(t, 5, 2);
  dumpLogsOnFailure(t, inst);
  const leader = await inst.waitForLeader();
  await inst.start('e1');
  await inst.start('e2');
  await inst.waitForRole('e1', 'external');
  await inst.waitForRole('e2', 'external');
  const via = ['v1', 'v2', 'v3', 'v4', 'v5'].find((v) => v !== leader)!;

  const promoted = await member(inst, via, '/v1/members/e1/promote', 'POST');
  t.equal(promoted.status, 200, `promote through a follower: ${JSON.stringify(promoted.body)}`);
  t.ok((promoted.body.voters as string[]).includes('e1'), 'e1 is a voter');
  await inst.waitForRole('e1', 'voter');

  const demoteTarget = ['v1', 'v2', 'v3', 'v4', 'v5'].find((v) => v !== leader && v !== via)!;
  const demoted = await member(inst, via, `/v1/members/${demoteTarget}/demote`, 'POST');
  t.equal(demoted.status, 200);
  await inst.waitForRole(demoteTarget, 'external');
  t.pass(`${demoteTarget} demoted to an external board`);

  const again = await member(inst, via, `/v1/members/${demoteTarget}/demote`, 'POST');
  t.equal(again.status, 409, 'demoting an external board again is refused');
  const unknown = await member(inst, via, '/v1/members/ghost', 'DELETE');
  t.equal(unknown.status, 404, 'removing an unknown board is refused');

  const removed = await member(inst, via, '/v1/members/e2', 'DELETE');
  t.equal(removed.status, 200);
  t.notOk([...(removed.body.voters as string[])].includes('e2'));

  // Remove the leader: it hands over and the rest carry on.
  const rev = await write(inst, via, 'before-leader-removal');
  const gone = await member(inst, via, `/v1/members/${leader}`, 'DELETE');
  t.equal(gone.status, 200, `leader removal: ${JSON.stringify(gone.body)}`);
  const next = await inst.waitForLeader(30_000, [leader]);
  t.not(next, leader, `new leader ${next}`);
  const rev2 = await write(inst, next, 'after-leader-removal');
  t.ok(rev2 > rev, 'writes continue after the leader was removed');
  const peers = await inst.json(next, '/v1/peers');
  const ids = (peers.body.members as Array<{ id: string; role: string }>).map((m) => `${m.id}:${m.role}`).sort();
  t.notOk(ids.some((x) => x.startsWith(`${leader}:`)), `the removed leader is gone (${ids.join(' ')})`);
  t.ok(ids.includes('e1:voter') && ids.includes(`${demoteTarget}:external`), 'promotion and demotion held');
  await inst.waitForApplied('e1', rev2);
  await inst.waitForApplied(demoteTarget, rev2);
});
