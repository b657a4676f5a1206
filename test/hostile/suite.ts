// The hostile-input suite: each attack of docs/security (forged append against
// every board role, retained flood, idle-connection flood, oversized batch,
// random bytes, declared 100 MB packets, slowloris), and after each one the
// same checks: every board is up, under its memory budget, members still
// replicate a write, a client with a token still works, and every board holds
// the same data. Runs against any running installation (SuiteTarget).
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import {
  declaredHugeHttpRequest, declaredHugeMqttPacket, forgedAppend, idleConnections, rawExchange, retainedFlood, slowloris, tryConnect,
  type Endpoint,
} from './attacks.ts';
import { Board, agreement, boardsOf, leaderOf, waitApplied, type SuiteTarget } from './target.ts';

export interface SuiteResult {
  readonly name: string;
  readonly ok: boolean;
  readonly evidence: string;
}

export interface SuiteOptions {
  /**
   * Anonymous RSS a board may reach under attack: the hard limit it runs
   * under (targets/<target>.json budgets.hardLimitMiB), which memory it
   * cannot give back must stay below. Total RSS is mostly the executable's
   * clean, reclaimable pages and says little about what an attack made it
   * allocate. (peakAnonRssMiB is the budget under ordinary bursts; a
   * retained flood left a leader ~22 MiB above it.)
   */
  readonly anonBudgetMiB: number;
  /** Connections per flood (idle, slowloris). */
  readonly floodConnections?: number;
  /** Retained publishes of 1 MB in the flood. */
  readonly retainedMessages?: number;
  readonly print?: (line: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runHostileSuite(t: SuiteTarget, o: SuiteOptions): Promise<SuiteResult[]> {
  const results: SuiteResult[] = [];
  const print = o.print ?? ((line: string) => void process.stdout.write(line + '\n'));
  const record = (name: string, ok: boolean, evidence: string): void => {
    results.push({ name, ok, evidence });
    print(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${evidence}`);
  };
  const boards = boardsOf(t);
  const byId = new Map(boards.map((b) => [b.b.id, b]));
  const mqttOf = (b: Board, localAddress?: string): Endpoint => ({ host: b.b.host, port: b.b.mqttPort, ca: t.ca, localAddress });
  const httpOf = (b: Board, localAddress?: string): Endpoint => ({ host: b.b.host, port: b.b.httpPort, ca: t.ca, localAddress });
  let writes = 0;

  /** The checks after every attack; returns the evidence line. */
  const healthy = async (attack: string): Promise<void> => {
    const down = boards.filter((b) => !b.running()).map((b) => b.b.id);
    const memory = boards.map((b) => ({ id: b.b.id, ...b.memory() }));
    const over = memory.filter((m) => m.anonMiB > o.anonBudgetMiB);
    const leader = await leaderOf(t, 30_000).catch(() => null);
    let write = 'no leader';
    let replicated = false;
    if (leader) {
      const r = await leader.write('/v1/areas', { id: `after-${++writes}`, name: 'After', type: 'room', parent: null });
      write = `write ${r.status}`;
      if (r.status === 201) replicated = await waitApplied(t, r.body.revision as number).then(() => true, () => false);
    }
    const client = await tryConnect(mqttOf(boards[0]!), { protocolVersion: 5, username: 'installer', password: t.readToken ?? t.writeToken });
    const clientOk = client.client !== null;
    client.client?.end(true);
    const agree = await agreement(t);
    const rss = memory.map((m) => `${m.id} ${m.anonMiB} (RSS ${m.rssMiB})`).join(', ');
    record(`${attack}: boards up, memory, members, clients, data`,
      down.length === 0 && over.length === 0 && replicated && clientOk && agree.same,
      `${down.length === 0 ? 'all up' : `DOWN ${down.join(',')}`}; anonymous RSS MiB ${rss} (budget ${o.anonBudgetMiB}); ${write}${replicated ? ', applied everywhere' : ', NOT applied everywhere'}; `
      + `client with token ${clientOk ? 'connects' : `refused (${client.refusal})`}; data ${agree.same ? 'identical' : 'DIFFERS'} at index ${agree.applied} (${[...new Set(agree.digests)].join(' ')})`);
  };

  // One Board object per board: leaderOf answers with a fresh one, so compare ids.
  const leader = byId.get((await leaderOf(t)).b.id)!;
  const external = boards.find((b) => b.b.role === 'external');
  const voters = boards.filter((b) => b.b.role === 'voter');
  const follower = voters.find((b) => b.b.id !== leader.b.id)!;
  const otherFollower = voters.find((b) => b.b.id !== leader.b.id && b.b.id !== follower.b.id) ?? follower;
  await healthy('before any attack');

  // 1. Forged appends with the credential copied from the external board, against every role.
  if (external) {
    const stolen = external.memberSecret();
    let n = 0;
    for (const [role, target] of [['follower', follower], ['external board', external], ['leader', leader]] as const) {
      const voter = target === follower ? otherFollower : follower;
      const attempts: Array<[string, string, number]> = target === external
        ? [[voter.b.id, voter.b.id, 0]]
        : [[voter.b.id, voter.b.id, 0], [external.b.id, external.b.id, 0], [external.b.id, external.b.id, 1], [external.b.id, voter.b.id, 0]];
      for (const [loginAs, claimFrom, bump] of attempts) {
        const s = await target.status();
        if (s === null) continue;
        const areaId = `forged-${++n}`;
        const r = await forgedAppend(mqttOf(target), {
          cluster: t.cluster, target: target.b.id, loginAs, secret: stolen, claimFrom,
          term: (s.term as number) + bump, index: s.lastIndex as number, logTerm: s.term as number, areaId,
        });
        await sleep(300);
        const landed: string[] = [];
        for (const b of boards) if ((await b.read(`/v1/areas/${areaId}?consistency=local`)).status === 200) landed.push(b.b.id);
        const refusedRaft = ((await target.status())?.refusedRaftMessages ?? {}) as Record<string, number>;
        record(`forged append on the ${role} (login ${loginAs === external.b.id ? 'as the external board' : `as voter ${loginAs}`}, from ${claimFrom}, term +${bump})`,
          landed.length === 0,
          `${r.sent ? 'published' : `login refused (${r.refusal})`}; forged object on [${landed.join(', ')}]; ${target.b.id} refused so far ${JSON.stringify(refusedRaft)}`);
      }
    }
    await healthy('forged appends');
  }

  // 2. Retained flood outside raftlight/ (1 MB each), anonymous and with the read token.
  const count = o.retainedMessages ?? 450;
  const before = leader.memory();
  const anon = await retainedFlood(mqttOf(leader), count, 1_000_000);
  const withToken = await retainedFlood(mqttOf(leader), Math.min(count, 20), 1_000_000, { username: 'u', password: t.readToken ?? t.writeToken });
  // Small ones pass the packet caps: the retain refusal itself answers them.
  const small = await retainedFlood(mqttOf(leader), count, 4_096, { username: 'u', password: t.readToken ?? t.writeToken });
  const after = leader.memory();
  record('retained flood', anon.acknowledged === 0 && withToken.acknowledged === 0 && small.acknowledged === 0,
    `anonymous: ${anon.acknowledged} of ${count} x 1 MB retained (refusal: ${anon.reason}); with a token: ${withToken.acknowledged} (refusal: ${withToken.reason}); `
    + `${count} x 4 KiB with a token: ${small.acknowledged} retained (refusal: ${small.reason}); leader RSS ${before.rssMiB} -> ${after.rssMiB} MiB`);
  await healthy('retained flood');

  // 3. Idle connections from another address; then members and clients from this one.
  const floodN = o.floodConnections ?? 1_100;
  const idleM = await idleConnections(mqttOf(follower, '127.0.0.2'), floodN);
  const idleH = await idleConnections(httpOf(follower, '127.0.0.2'), floodN);
  await sleep(500);
  const anonClient = await tryConnect(mqttOf(follower), { protocolVersion: 5 });
  const anonOk = anonClient.client !== null || anonClient.refusal !== 'timeout';
  anonClient.client?.end(true);
  record('idle-connection flood', idleM.alive() < floodN && idleH.alive() < floodN,
    `MQTT: ${idleM.opened} opened, ${idleM.alive()} still open; HTTP: ${idleH.opened} opened, ${idleH.alive()} still open; an MQTT 5 client from another address: ${anonClient.client ? 'connected' : `answered (${anonClient.refusal})`}`);
  await healthy('idle-connection flood (still open)');
  void anonOk;
  idleM.close();
  idleH.close();

  // 4. A batch over the limit.
  const lastBefore = (await leader.status())?.lastIndex as number;
  const started = Date.now();
  const batch = await leader.write('/v1/batch', { commands: Array.from({ length: 257 }, (_, i) => ({ type: 'create', kind: 'area', id: `b${i}`, value: { name: 'B', type: 'room', parent: null } })) });
  const lastAfter = (await leader.status())?.lastIndex as number;
  record('oversized batch', batch.status === 400 && lastAfter === lastBefore,
    `HTTP ${batch.status} after ${Date.now() - started} ms: ${JSON.stringify(batch.body).slice(0, 160)}; log ${lastBefore} -> ${lastAfter}`);
  await healthy('oversized batch');

  // 5. Random bytes on both ports of every board.
  const replies: string[] = [];
  for (const b of boards) {
    const m = await rawExchange(mqttOf(b), randomBytes(4096));
    const h = await rawExchange(httpOf(b), randomBytes(4096));
    replies.push(`${b.b.id}: MQTT ${m.closedByPeer ? 'closed' : 'open'}, HTTP ${JSON.stringify(h.reply.toString('latin1').split('\r\n')[0] ?? '')}`);
  }
  record('random bytes', true, replies.join('; '));
  await healthy('random bytes');

  // 6. Declared 100 MB packets.
  const hm = await rawExchange(mqttOf(leader), declaredHugeMqttPacket(), 1_000, t.ca !== undefined);
  const hh = await rawExchange(httpOf(leader), declaredHugeHttpRequest('/v1/batch', { authorization: `Bearer ${t.writeToken}` }), 2_000, t.ca !== undefined);
  const hhLine = hh.reply.toString('latin1').split('\r\n')[0] ?? '';
  record('declared 100 MB packets', hm.closedByPeer && /^HTTP\/1\.1 413/.test(hhLine),
    `MQTT: connection ${hm.closedByPeer ? 'closed' : 'still open'}; HTTP: ${JSON.stringify(hhLine)}; leader RSS ${leader.memory().rssMiB} MiB`);
  await healthy('declared 100 MB packets');

  // 7. Slowloris from another address.
  const slow = await slowloris(httpOf(otherFollower, '127.0.0.2'), floodN, 1_000);
  await sleep(2_000);
  const t0 = Date.now();
  const status = await otherFollower.read('/v1/status').catch((err: Error) => ({ status: 0, body: { error: err.message } }));
  record('slowloris', status.status === 200 && slow.alive() < floodN,
    `${slow.opened} slow requests opened, ${slow.alive()} still open after 2 s; /v1/status from another address ${status.status} in ${Date.now() - t0} ms`);
  await healthy('slowloris (still open)');
  slow.close();

  // MQTT 5 refusals carry reasons.
  const c = await tryConnect(mqttOf(leader), { protocolVersion: 5, username: 'u', password: t.writeToken });
  if (c.client) {
    const client: mqtt.MqttClient = c.client;
    const reason = await new Promise<string>((resolve) => {
      client.once('close', () => resolve('connection closed'));
      client.publish(`raftlight/${t.cluster}/state/area/lobby`, 'x', { qos: 1 }, (err, packet) => {
        // mqtt.js turns a PUBACK reason of 0x80 or more into an error carrying the code.
        const code = (err as (Error & { code?: number }) | undefined)?.code ?? (packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0;
        resolve(`PUBACK 0x${code.toString(16)}${err ? ` (${err.message})` : ''}`);
      });
    });
    record('MQTT 5 refusal', reason.startsWith('PUBACK 0x87'), `publish to a board-only topic: ${reason}, connection ${client.connected ? 'still up' : 'closed'}`);
    client.end(true);
  }
  await healthy('after the suite');
  return results;
}
