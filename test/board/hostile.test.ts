// Hostile input against a live 3-voter installation: garbage and oversized
// payloads on Raft topics (from anonymous and from authenticated clients),
// bad JSON, oversized bodies, references to missing objects, raw garbage on
// both ports. Every board stays up and the committed data stays intact.
import t from 'tap';
import { connect as tcpConnect } from 'node:net';
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { startInstallation, dumpLogsOnFailure } from '../helpers/installation.ts';
import type { Installation } from '../../src/bench/launcher.ts';

const seed = Number(process.env.HOSTILE_SEED ?? 20261129);
t.comment(`HOSTILE_SEED=${seed}`);

function rawSend(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, '127.0.0.1', () => {
      s.write(bytes);
      setTimeout(() => s.destroy(), 200);
    });
    s.on('error', () => resolve());
    s.on('close', () => resolve());
  });
}

async function snapshotOf(inst: Installation, id: string): Promise<string> {
  const r = await inst.json(id, '/v1/areas?consistency=local&limit=1000');
  return JSON.stringify(r.body.items);
}

t.test('hostile input leaves every board up and the data intact', async (t) => {
  const inst = await startInstallation(t, 3, 1);
  dumpLogsOnFailure(t, inst);
  const leader = await inst.waitForLeader();
  await inst.start('e1');
  await inst.waitForRole('e1', 'external');
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    inst.json(leader, path, { method: 'POST', headers: { 'content-type': 'application/json', ...inst.writeHeaders(), ...headers }, body });
  const ok = await post('/v1/areas', JSON.stringify({ id: 'hall', name: 'Hall', type: 'room', parent: null }));
  t.equal(ok.status, 201);
  const rev = ok.body.revision as number;
  for (const v of ['v1', 'v2', 'v3']) await inst.waitForApplied(v, rev);
  const before = await snapshotOf(inst, leader);

  // REST: invalid JSON, wrong shapes, oversized bodies, missing references.
  const badJson = await post('/v1/areas', '{"id": "x", ');
  t.equal(badJson.status, 400);
  t.equal((badJson.body.error as { code: string }).code, 'BAD_JSON');
  const invalid = await post('/v1/areas', JSON.stringify({ id: 'x', name: 7, type: 'moon' }));
  t.equal(invalid.status, 400);
  t.equal((invalid.body.error as { code: string }).code, 'INVALID');
  t.ok(Array.isArray((invalid.body.error as { fields: unknown[] }).fields), 'field-level errors are listed');
  const missing = await post('/v1/devices', JSON.stringify({ id: 'd1', name: 'D', kind: 'dimmer', serialNumber: 'SN-9', model: 'M', area: 'nowhere' }));
  t.equal(missing.status, 422);
  t.equal((missing.body.error as { code: string }).code, 'REFERENCE_MISSING');
  const huge = await post('/v1/areas', JSON.stringify({ id: 'big', name: 'x'.repeat(2 * 1024 * 1024), type: 'room', parent: null }));
  t.equal(huge.status, 413);
  // Under the body cap but over the 64 KiB command limit: refused before it reaches the log.
  const levels = Array.from({ length: 512 }, (_, i) => ({ zone: `zone-${String(i).padStart(4, '0')}`, level: 50 }));
  const bigBatch = { commands: Array.from({ length: 4 }, (_, i) => ({ type: 'create', kind: 'scene', id: `s${i}`, value: { name: 'S', fadeSeconds: 1, levels } })) };
  const tooLarge = await post('/v1/batch', JSON.stringify(bigBatch));
  t.equal(tooLarge.status, 413, 'a command over the log entry limit is refused');
  t.equal((tooLarge.body.error as { code: string }).code, 'PAYLOAD_TOO_LARGE');
  const badId = await inst.json(leader, '/v1/areas/..%2F..%2Fetc', {});
  t.equal(badId.status, 400);
  const unknownKind = await inst.json(leader, '/v1/lamps', {});
  t.equal(unknownKind.status, 404);

  // Raft topics: anonymous garbage is refused and the publisher disconnected.
  const target = inst.get(leader);
  const anon = await mqtt.connectAsync(`mqtt://127.0.0.1:${target.mqttPort}`, { reconnectPeriod: 0 });
  const closed = new Promise<void>((r) => anon.once('close', () => r()));
  anon.publish(`raftlight/test/raft/${leader}`, randomBytes(512));
  await closed;
  t.pass('an anonymous publish on a raft topic closes that connection');

  // An authenticated member (the external board's credential, copied from its data directory) sending garbage and an oversized payload.
  const other = ['v1', 'v2', 'v3'].find((v) => v !== leader)!;
  const member = await mqtt.connectAsync(`mqtt://127.0.0.1:${target.mqttPort}`, {
    clientId: 'raftlight-test-e1', username: 'e1', password: inst.memberSecretOf('e1'), reconnectPeriod: 0,
  });
  let state = seed;
  const rnd = (n: number): number => ((state = (state * 1103515245 + 12345) % 2 ** 31), state % n);
  for (let i = 0; i < 50; i++) {
    const len = 1 + rnd(2048);
    const payload = Buffer.alloc(len);
    for (let j = 0; j < len; j++) payload[j] = rnd(256);
    member.publish(`raftlight/test/raft/${leader}`, payload);
  }
  member.publish(`raftlight/test/raft/${leader}`, Buffer.alloc(900 * 1024, 7));
  await new Promise((r) => setTimeout(r, 500));
  member.end(true);

  // MQTT API: garbage requests get error answers.
  const api = await mqtt.connectAsync(`mqtt://127.0.0.1:${target.mqttPort}`, { protocolVersion: 5, reconnectPeriod: 0, username: 'i', password: inst.writeToken });
  await api.subscribeAsync('reply/hostile');
  const answer = new Promise<string>((r) => api.once('message', (_t, p) => r(p.toString())));
  api.publish('raftlight/test/cmd/create', '{ not json', { properties: { responseTopic: 'reply/hostile', correlationData: Buffer.from('1') } });
  t.match(await answer, /BAD_JSON/, 'a malformed MQTT request gets a BAD_JSON answer');
  await api.endAsync();

  // Raw garbage on both ports.
  await rawSend(target.mqttPort, randomBytes(4096));
  await rawSend(target.mqttPort, Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]));
  await rawSend(target.httpPort, Buffer.from('GARBAGE / HTTP/9.9\r\n\r\n' + randomBytes(64).toString('hex')));

  // Every board is still up and agrees on the data; writes still work.
  for (const v of ['v1', 'v2', 'v3']) {
    const h = await inst.json(v, '/health');
    t.equal(h.status, 200, `${v} is up`);
    t.ok(inst.isRunning(v), `${v} process is running`);
  }
  t.equal(await snapshotOf(inst, leader), before, 'the data is unchanged');
  const after = await post('/v1/areas', JSON.stringify({ id: 'hall-2', name: 'Hall 2', type: 'room', parent: null }));
  t.equal(after.status, 201, 'writes still commit');
  for (const v of ['v1', 'v2', 'v3']) await inst.waitForApplied(v, after.body.revision as number);
  t.equal(await snapshotOf(inst, other), await snapshotOf(inst, leader), 'boards agree');
});
