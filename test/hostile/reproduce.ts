// Runs each attack of the hostile-input suite once against an installation of
// an image (3 voters, 1 external board) and prints the evidence: what the
// board answered, RSS before and after, whether the boards' data still agree.
//   npx tsx test/hostile/reproduce.ts --image images/linux-x64/raftlight [--legacy]
// --legacy: the image predates member credentials (a shared default secret,
// boards bootstrapped with --peers and joined with --join alone).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Installation, sleep } from '../../src/bench/launcher.ts';
import {
  clearRetained, declaredHugeHttpRequest, declaredHugeMqttPacket, forgedAppend, idleConnections, memoryOf, rawExchange,
  retainedFlood, slowloris, tryConnect,
} from './attacks.ts';
import { boardsAgree, waitForAllApplied } from './evidence.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const image = resolve(arg('image') ?? 'images/linux-x64/raftlight');
const legacy = process.argv.includes('--legacy');
const root = mkdtempSync(join(tmpdir(), 'raftlight-reproduce-'));
const out = (line: string): void => void process.stdout.write(line + '\n');

const inst = new Installation({ command: image, args: [], root, cluster: 'attack', extraArgs: ['--tick-ms', '50', '--log-level', 'warn'], logTailLines: 200 });
const rss = (id: string): string => {
  const m = memoryOf(inst.get(id).process!.pid!);
  return `${m.rssMiB} MiB (anon ${m.anonMiB})`;
};

async function main(): Promise<void> {
  await inst.create(3, 1);
  const leader = await inst.waitForLeader(60_000);
  const write = await inst.json(leader, '/v1/areas', { method: 'POST', headers: { 'content-type': 'application/json', ...inst.writeHeaders() }, body: JSON.stringify({ id: 'lobby', name: 'Lobby', type: 'room', parent: null }) });
  out(`setup: ${[...inst.boards.keys()].join(', ')}; leader ${leader}; first write ${write.status}`);
  await inst.start('e1');
  await inst.waitForRole('e1', 'external', 60_000);
  await waitForAllApplied(inst, write.body.revision as number);
  const voters = ['v1', 'v2', 'v3'];
  const followers = voters.filter((v) => v !== leader);
  const ep = (id: string, localAddress?: string) => ({ host: '127.0.0.1', port: inst.get(id).mqttPort, localAddress });
  const http = (id: string, localAddress?: string) => ({ host: '127.0.0.1', port: inst.get(id).httpPort, localAddress });

  // 1. Forged append against every role.
  const cases: Array<{ role: string; target: string; loginAs: string; claimFrom: string; secret: string; termBump: number }> = [];
  if (legacy) {
    const secret = 'raftlight-dev-secret';
    cases.push({ role: 'follower', target: followers[0]!, loginAs: followers[1]!, claimFrom: followers[1]!, secret, termBump: 0 });
    cases.push({ role: 'external', target: 'e1', loginAs: followers[1]!, claimFrom: followers[1]!, secret, termBump: 0 });
    cases.push({ role: 'leader', target: leader, loginAs: followers[0]!, claimFrom: followers[0]!, secret, termBump: 0 });
  } else {
    // The attacker copied the external board's own credential out of its data directory.
    const secret = inst.memberSecretOf('e1');
    for (const [role, target] of [['follower', followers[0]!], ['external', 'e1'], ['leader', leader]] as const) {
      const other = target === 'e1' ? followers[0]! : voters.find((v) => v !== target && v !== leader) ?? followers[0]!;
      cases.push({ role, target, loginAs: other, claimFrom: other, secret, termBump: 0 });
      if (target !== 'e1') {
        cases.push({ role, target, loginAs: 'e1', claimFrom: 'e1', secret, termBump: 0 });
        cases.push({ role, target, loginAs: 'e1', claimFrom: 'e1', secret, termBump: 1 });
        cases.push({ role, target, loginAs: 'e1', claimFrom: other, secret, termBump: 0 });
      }
    }
  }
  let n = 0;
  for (const c of cases) {
    const s = await inst.status(c.target);
    if (s === null) throw new Error(`${c.target} does not answer`);
    const areaId = `forged-${++n}`;
    const r = await forgedAppend(ep(c.target), {
      cluster: 'attack', target: c.target, loginAs: c.loginAs, secret: c.secret, claimFrom: c.claimFrom,
      term: (s.term as number) + c.termBump, index: s.lastIndex as number, logTerm: s.term as number, areaId,
    });
    await sleep(1_500);
    const after = await inst.json(leader, '/v1/areas', { method: 'POST', headers: { 'content-type': 'application/json', ...inst.writeHeaders() }, body: JSON.stringify({ id: `real-${n}`, name: 'Real', type: 'room', parent: null }) });
    const landed: string[] = [];
    for (const id of inst.boards.keys()) {
      const got = await inst.json(id, `/v1/areas/${areaId}?consistency=local`, { headers: inst.readHeaders() });
      if (got.status === 200) landed.push(id);
    }
    out(`forged append on ${c.role} ${c.target} (login ${c.loginAs}, from ${c.claimFrom}, term +${c.termBump}): ${r.sent ? 'published' : `login refused (${r.refusal})`}; forged object on [${landed.join(', ')}]; next real write ${after.status}`);
  }
  out(`data identical on every board: ${await boardsAgree(inst)}`);

  // 2. Retained flood: anonymous retained publishes outside raftlight/.
  const before = rss(leader);
  const flood = await retainedFlood(ep(leader), 450, 1_000_000);
  const afterFlood = rss(leader);
  await clearRetained(ep(leader), 450);
  await sleep(3_000);
  out(`retained flood on ${leader}: ${flood.acknowledged} of 450 x 1 MB acknowledged, refusal: ${flood.reason}; RSS ${before} -> ${afterFlood}; after clearing ${rss(leader)}`);

  // 3. Idle connections from another address, then clients from this one.
  const idle = await idleConnections(ep(followers[0]!, '127.0.0.2'), 1_100);
  await sleep(500);
  const anon = await tryConnect(ep(followers[0]!), { protocolVersion: 5 });
  anon.client?.end(true);
  const w3 = await inst.json(leader, '/v1/areas', { method: 'POST', headers: { 'content-type': 'application/json', ...inst.writeHeaders() }, body: JSON.stringify({ id: 'after-idle', name: 'After', type: 'room', parent: null }) });
  out(`idle flood on ${followers[0]}: ${idle.opened} opened, ${idle.alive()} still open after 0.5 s; new MQTT 5 client: ${anon.client ? 'connected' : `refused (${anon.refusal})`}; write ${w3.status}; RSS ${rss(followers[0]!)}`);
  idle.close();

  // 4. A batch of 257 commands.
  const lastBefore = (await inst.status(leader))?.lastIndex as number;
  const started = Date.now();
  const batch = await inst.json(leader, '/v1/batch', {
    method: 'POST', headers: { 'content-type': 'application/json', ...inst.writeHeaders() },
    body: JSON.stringify({ commands: Array.from({ length: 257 }, (_, i) => ({ type: 'create', kind: 'area', id: `b${i}`, value: { name: 'B', type: 'room', parent: null } })) }),
  });
  const lastAfter = (await inst.status(leader))?.lastIndex as number;
  out(`batch of 257: HTTP ${batch.status} after ${Date.now() - started} ms: ${JSON.stringify(batch.body).slice(0, 200)}; log ${lastBefore} -> ${lastAfter}`);

  // 5. Random bytes on both ports, 6. declared 100 MB packets.
  const junkMqtt = await rawExchange(ep(leader), randomBytes(4096));
  const junkHttp = await rawExchange(http(leader), randomBytes(4096));
  out(`random bytes: MQTT port answered ${junkMqtt.reply.length} bytes (closed ${junkMqtt.closedByPeer}); HTTP port answered ${JSON.stringify(junkHttp.reply.toString('latin1').split('\r\n')[0])}`);
  const hugeMqtt = await rawExchange(ep(leader), declaredHugeMqttPacket());
  const hugeHttp = await rawExchange(http(leader), declaredHugeHttpRequest(), 2_000);
  out(`declared 100 MB: MQTT closed ${hugeMqtt.closedByPeer}; HTTP answered ${JSON.stringify(hugeHttp.reply.toString('latin1').split('\r\n')[0])}; RSS ${rss(leader)}`);

  // 7. Slowloris from another address, then a request from this one.
  const slow = await slowloris(http(followers[1]!, '127.0.0.2'), 1_000, 1_000);
  await sleep(2_000);
  const t0 = Date.now();
  const ok = await inst.json(followers[1]!, '/health').catch((err: Error) => ({ status: 0, body: { error: err.message } }));
  out(`slowloris on ${followers[1]}: ${slow.opened} opened, ${slow.alive()} still open after 2 s; /health from another address ${ok.status} in ${Date.now() - t0} ms; RSS ${rss(followers[1]!)}`);
  slow.close();

  // Reads without credentials, refusals for MQTT 5 clients.
  const db = await inst.json(leader, '/v1/peers');
  out(`GET /v1/peers without credentials: ${db.status}`);
  const v5 = await tryConnect(ep(leader), { protocolVersion: 5 });
  if (v5.client) {
    const c = v5.client;
    const reason = await new Promise<string>((r) => {
      c.once('close', () => r('connection closed'));
      c.publish(`raftlight/attack/state/area/lobby`, 'x', { qos: 1 }, (err, packet) => r(err ? `error ${err.message}` : `PUBACK 0x${((packet as { reasonCode?: number })?.reasonCode ?? 0).toString(16)}`));
    });
    out(`MQTT 5 publish to a board-only topic: ${reason}`);
    c.end(true);
  }

  // Every board still up, memory, agreement.
  const w = await inst.json(leader, '/v1/areas', { method: 'POST', headers: { 'content-type': 'application/json', ...inst.writeHeaders() }, body: JSON.stringify({ id: 'final', name: 'Final', type: 'room', parent: null }) });
  if (w.status === 201) await waitForAllApplied(inst, w.body.revision as number).catch(() => undefined);
  for (const id of inst.boards.keys()) out(`${id}: ${inst.isRunning(id) ? 'up' : 'DOWN'}, RSS ${rss(id)}`);
  out(`data identical on every board: ${await boardsAgree(inst)}`);
}

main().then(
  async () => {
    await inst.stopAll('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  },
  async (err: unknown) => {
    out(`failed: ${(err as Error).stack}`);
    for (const b of inst.boards.values()) out(`--- ${b.id}\n${b.logTail.slice(-20).join('\n')}`);
    await inst.stopAll('SIGKILL');
    rmSync(root, { recursive: true, force: true });
    process.exit(1);
  },
);
