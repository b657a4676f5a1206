// The stale linearizable read, replayed with real board processes. Three voters
// talk through TCP proxies that can hold each direction of each connection:
//   1. a linearizable GET on F1 is confirmed by L and F1, while F2's answer to
//      L's heartbeat is held on the wire (the F2→L direction is held);
//   2. the L–F1 link freezes and L is stopped (SIGSTOP); F1 and F2 elect a new
//      leader and x = "new" is written;
//   3. L resumes (SIGCONT) and serves its own linearizable GET; then F2's held
//      answer arrives.
// With read contexts that repeat across boards (r1, r2... per process) and
// acknowledgements credited by context, L counted F2's old answer for its new
// read and returned "old". The read must now fail or return "new".
import t from 'tap';
import { startInstallation, dumpLogsOnFailure } from '../helpers/installation.ts';
import { TcpProxy, type ProxiedConnection, type Direction } from '../helpers/tcp-proxy.ts';
import { sleep, type Installation } from '../../src/bench/launcher.ts';

const ids = ['v1', 'v2', 'v3'];

/** Whether this chunk carries traffic from board `from` to board `to` (on `server`'s proxy). */
function carries(server: string, c: ProxiedConnection, dir: Direction, from: string, to: string): boolean {
  // 'up' goes from the dialer to the proxied board, 'down' back to the dialer.
  return dir === 'up' ? c.dialer === from && server === to : c.dialer === to && server === from;
}

const put = (inst: Installation, id: string, name: string) =>
  inst.json(id, '/v1/areas/x', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, type: 'room', parent: null }) });

t.test('a deposed leader never answers a linearizable read with stale data', async (t) => {
  const proxies = new Map<string, TcpProxy>();
  for (const id of ids) proxies.set(id, await TcpProxy.start(0));
  t.teardown(async () => {
    for (const p of proxies.values()) await p.close();
  });
  const inst = await startInstallation(t, 3, 0, [], {
    peerAddressOf: (b) => {
      const p = proxies.get(b.id)!;
      p.targetPort = b.mqttPort;
      return { host: '127.0.0.1', port: p.port };
    },
  });
  dumpLogsOnFailure(t, inst);
  const l = await inst.waitForLeader();
  const [f1, f2] = ids.filter((id) => id !== l) as [string, string];
  t.comment(`leader ${l}, followers ${f1} ${f2}`);
  const created = await inst.json(l, '/v1/areas', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'x', name: 'old', type: 'room', parent: null }),
  });
  t.equal(created.status, 201, 'x = "old" written');
  await inst.waitForApplied(f1, created.body.revision as number);

  // Every proxy holds what a rule says: F2→L is held from now on (step 1).
  const rules = new Set<string>([`${f2}>${l}`]);
  const apply = (): void => {
    for (const [server, p] of proxies) {
      p.hold((c, dir) => [...rules].some((r) => {
        const [from, to] = r.split('>') as [string, string];
        return carries(server, c, dir, from, to);
      }));
    }
  };
  apply();
  const first = await inst.json(f1, '/v1/areas/x');
  t.equal(first.status, 200, `${f1}'s linearizable read confirmed by ${l} and ${f1}`);
  t.equal((first.body.value as { name: string }).name, 'old');

  // Step 2: freeze L–F1, stop L, let F1 and F2 elect and write x = "new".
  rules.add(`${l}>${f1}`).add(`${f1}>${l}`);
  apply();
  inst.get(l).process!.kill('SIGSTOP');
  let wrote = 0;
  for (let i = 0; i < 100 && wrote === 0; i++) {
    await sleep(100);
    for (const id of [f1, f2]) {
      const s = await inst.status(id);
      if (s?.raftRole === 'leader') {
        const r = await put(inst, id, 'new');
        if (r.status === 200) wrote = r.body.revision as number;
      }
    }
  }
  t.ok(wrote > 0, `x = "new" committed by the new leader at revision ${wrote}`);

  // Step 3: L resumes and reads; F2's old answer arrives just after.
  inst.get(l).process!.kill('SIGCONT');
  const read = inst.json(l, '/v1/areas/x');
  await sleep(150);
  rules.delete(`${f2}>${l}`);
  apply();
  const r = await read;
  const name = r.status === 200 ? (r.body.value as { name: string }).name : null;
  t.comment(`the deposed leader answered ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`);
  t.not(name, 'old', 'no stale value');
  t.ok(r.status !== 200 || name === 'new', 'it failed, or it served the new value');

  // Heal everything: the installation converges on "new".
  rules.clear();
  apply();
  const leader = await inst.waitForLeader();
  const after = await inst.json(leader, '/v1/areas/x');
  t.equal((after.body.value as { name: string }).name, 'new', 'the installation agrees on "new"');
});
