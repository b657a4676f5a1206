// Limits and access checked at the edge, before anything reaches the Raft log:
// an oversized batch, an oversized entry, lone surrogates, a request id reused
// for another command, an empty MQTT request; reads closed to anonymous
// clients over REST and MQTT alike, with one option set.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { startInstallation, dumpLogsOnFailure } from '../helpers/installation.ts';

const READ = 'read-token-for-edge-tests-Z9';

t.test('limits at the edge and closed reads', async (t) => {
  const inst = await startInstallation(t, 1, 0, ['--no-anonymous-read', '--read-token', READ]);
  dumpLogsOnFailure(t, inst);
  await inst.waitForLeader();
  const write = (path: string, body: string, headers: Record<string, string> = {}) =>
    inst.json('v1', path, { method: 'POST', headers: { 'content-type': 'application/json', ...inst.writeHeaders(), ...headers }, body });
  const lastIndex = async (): Promise<number> => (await inst.status('v1'))?.lastIndex as number;

  const before = await lastIndex();
  const started = Date.now();
  const batch = await write('/v1/batch', JSON.stringify({ commands: Array.from({ length: 257 }, (_, i) => ({ type: 'create', kind: 'area', id: `a${i}`, value: { name: 'A', type: 'room', parent: null } })) }));
  t.equal(batch.status, 400, 'a batch of 257 commands is refused');
  t.match(batch.body, { error: { code: 'INVALID', limit: 256, message: /at most 256/ } });
  t.ok(Date.now() - started < 2_000, 'at once, not after a timeout');
  const levels = Array.from({ length: 513 }, (_, i) => ({ zone: `z${i}`, level: 50 }));
  const scene = await write('/v1/scenes', JSON.stringify({ id: 's', name: 'S', fadeSeconds: 1, levels }));
  t.equal(scene.status, 400);
  t.match(JSON.stringify(scene.body), /at most 512/, 'scene levels: the limit is named');
  const longName = await write('/v1/areas', JSON.stringify({ id: 'long', name: 'x'.repeat(129), type: 'room', parent: null }));
  t.match(longName.body, { error: { code: 'INVALID', fields: [{ path: 'name', message: /1\.\.128/ }] } });
  const surrogate = await write('/v1/areas', '{"id":"bad","name":"A\\ud800B","type":"room","parent":null}');
  t.equal(surrogate.status, 400, 'a lone surrogate is refused');
  t.match(JSON.stringify(surrogate.body), /lone surrogate/);
  const big = Array.from({ length: 4 }, (_, i) => ({ type: 'create', kind: 'area', id: `big${i}`, value: { name: 'é'.repeat(128), type: 'room', parent: null } }));
  const many = Array.from({ length: 256 }, (_, i) => big[i % 4] && { ...big[i % 4]!, id: `big${i}` });
  const large = await write('/v1/batch', JSON.stringify({ commands: many }));
  t.equal(large.status, 413, 'a batch over the 64 KiB entry limit is refused');
  t.match(large.body, { error: { code: 'PAYLOAD_TOO_LARGE', limitBytes: 65536 } });
  t.equal(await lastIndex(), before, 'none of them reached the log');

  const id = randomUUID();
  const first = await write('/v1/areas', JSON.stringify({ id: 'hall', name: 'Hall', type: 'room', parent: null }), { 'request-id': id });
  t.equal(first.status, 201);
  const retry = await write('/v1/areas', JSON.stringify({ id: 'hall', name: 'Hall', type: 'room', parent: null }), { 'request-id': id });
  t.same(retry.body, first.body, 'a retry with the same body gets the first answer');
  const reused = await write('/v1/areas', JSON.stringify({ id: 'hall-2', name: 'Hall 2', type: 'room', parent: null }), { 'request-id': id });
  t.equal(reused.status, 409, 'the same request id with another body is refused');
  t.match(reused.body, { error: { code: 'REQUEST_ID_REUSED' } });

  // Reads: closed to anonymous clients, open with the read token (scheme in any case) or the write token.
  const url = inst.get('v1').url;
  for (const path of ['/v1/db', '/v1/peers', '/v1/changes?since=0', '/v1/areas', '/v1/status']) {
    const anon = await fetch(url + path);
    t.equal(anon.status, 401, `${path} without a token: 401`);
  }
  t.equal((await fetch(`${url}/v1/db`, { headers: { authorization: `bearer ${READ}` } })).status, 200, 'the read token reads (lower-case scheme)');
  t.equal((await fetch(`${url}/v1/peers`, { headers: { authorization: `BEARER ${inst.writeToken}` } })).status, 200, 'the write token reads');
  t.equal((await fetch(`${url}/v1/areas`, { method: 'POST', headers: { authorization: `Bearer ${READ}` }, body: '{}' })).status, 401, 'the read token does not write');
  const health = await fetch(`${url}/health`);
  t.same(await health.json(), { status: 'ok' }, '/health is open and tells only liveness');

  const port = inst.get('v1').mqttPort;
  await t.rejects(mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 3000 }), 'an anonymous MQTT client is refused');
  const reader = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 5, reconnectPeriod: 0, username: 'r', password: READ });
  t.teardown(() => reader.endAsync(true));
  await reader.subscribeAsync('reply/edge');
  const ask = (topic: string, payload: string): Promise<Record<string, unknown>> => new Promise((resolve) => {
    reader.once('message', (_t, p) => resolve(JSON.parse(p.toString()) as Record<string, unknown>));
    reader.publish(topic, payload, { properties: { responseTopic: 'reply/edge', correlationData: Buffer.from('1') } });
  });
  t.match(await ask('raftlight/test/cmd/get', ''), { error: { code: 'EMPTY_REQUEST', message: /empty request/ } }, 'an empty MQTT request');
  t.match(await ask('raftlight/test/cmd/get', '{"kind":"area","id":"hall"}'), { id: 'hall' }, 'the read token reads over MQTT');
  t.match(await ask('raftlight/test/cmd/create', '{"kind":"area","id":"x","value":{"name":"X","type":"room","parent":null}}'), { error: { code: 'UNAUTHORIZED' } }, 'but does not write');
});
