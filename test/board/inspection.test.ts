// Live inspection with the real operator tools: mosquitto_sub sees retained
// state and events, mosquitto_rr performs a write over MQTT 5, and sqlite3
// opens the database downloaded from GET /v1/db.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startInstallation, dumpLogsOnFailure } from '../helpers/installation.ts';

for (const tool of ['mosquitto_sub', 'mosquitto_rr', 'sqlite3']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    throw new Error(`${tool} is missing: apt-get install ${tool === 'sqlite3' ? 'sqlite3' : 'mosquitto-clients'} (.ci/run installs it)`);
  }
}

function collect(cmd: string, args: string[]): { lines: string[]; stop: () => Promise<void>; waitFor: (pred: (l: string) => boolean, ms?: number) => Promise<string> } {
  const child = spawn(cmd, args);
  const lines: string[] = [];
  let partial = '';
  child.stdout.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  return {
    lines,
    stop: async () => {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill();
        await gone;
      }
    },
    waitFor: async (pred, ms = 15_000) => {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        const hit = lines.find(pred);
        if (hit !== undefined) return hit;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`not seen within ${ms} ms; got:\n${lines.join('\n')}`);
    },
  };
}

t.test('mosquitto_sub, mosquitto_rr and sqlite3 against a live installation', async (t) => {
  const inst = await startInstallation(t, 1, 1);
  dumpLogsOnFailure(t, inst);
  await inst.waitForLeader();
  await inst.start('e1');
  await inst.waitForRole('e1', 'external');
  const v1 = inst.get('v1');
  const e1 = inst.get('e1');
  const post = (path: string, body: unknown) =>
    inst.json('v1', path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  t.equal((await post('/v1/areas', { id: 'lobby', name: 'Lobby', type: 'room', parent: null })).status, 201);
  t.equal((await post('/v1/devices', { id: 'dim-1', name: 'Lobby dimmer', kind: 'dimmer', serialNumber: 'SN-0001', model: 'RRD-6NA', area: 'lobby' })).status, 201);
  t.equal((await post('/v1/zones', { id: 'downlights', name: 'Downlights', type: 'led', device: 'dim-1', minLevel: 5, maxLevel: 95 })).status, 201);

  // An installer watching the external board's broker: retained state first, then live events.
  const sub = collect('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(e1.mqttPort), '-v', '-t', 'raftlight/test/state/#', '-t', 'raftlight/test/events']);
  t.teardown(sub.stop);
  const retained = await sub.waitFor((l) => l.startsWith('raftlight/test/state/zone/downlights '));
  t.match(retained, /"minLevel":5/, 'retained zone state arrives on subscribe');

  // mosquitto_rr writes a scene through the voter's MQTT API (MQTT 5 request/response), the write token as password.
  const scene = { kind: 'scene', id: 'evening', value: { name: 'Evening', fadeSeconds: 2, levels: [{ zone: 'downlights', level: 40 }] } };
  const rr = spawnSync('mosquitto_rr', ['-h', '127.0.0.1', '-p', String(v1.mqttPort), '-t', 'raftlight/test/cmd/create', '-e', 'reply/installer-1', '-u', 'installer', '-P', inst.writeToken, '-m', JSON.stringify(scene), '-W', '15'], { encoding: 'utf8' });
  t.equal(rr.status, 0, `mosquitto_rr exits 0 (${rr.stderr})`);
  const answer = JSON.parse(rr.stdout) as { revision: number };
  t.ok(answer.revision > 0, `mosquitto_rr got the committed revision ${answer.revision}`);

  const event = await sub.waitFor((l) => l.startsWith('raftlight/test/events ') && l.includes('"evening"'));
  t.match(event, new RegExp(`"revision":${answer.revision}`), 'the event carries the revision');
  const sceneState = await sub.waitFor((l) => l.startsWith('raftlight/test/state/scene/evening '));
  t.match(sceneState, /"level":40/, 'the scene arrives as retained state on the external board');

  // Deleting clears the retained topic: a new subscriber no longer sees it.
  const del = await inst.json('v1', '/v1/scenes/evening', { method: 'DELETE' });
  t.equal(del.status, 200);
  await inst.waitForApplied('e1', del.body.revision as number);
  const fresh = spawnSync('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(e1.mqttPort), '-v', '-t', 'raftlight/test/state/#', '-W', '2'], { encoding: 'utf8' });
  t.notMatch(fresh.stdout, /state\/scene\/evening/, 'a deleted object is no longer retained');
  t.match(fresh.stdout, /state\/area\/lobby/, 'other objects still are');

  // The status topic is retained per board.
  const status = spawnSync('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(v1.mqttPort), '-t', 'raftlight/test/status/v1', '-C', '1', '-W', '10'], { encoding: 'utf8' });
  const st = JSON.parse(status.stdout) as Record<string, unknown>;
  t.equal(st.id, 'v1');
  t.ok(typeof st.commitIndex === 'number', 'status has the commit index');
  const memory = st.memory as Record<string, number | null>;
  t.ok(memory.anonRssBytes! > 0 && memory.fileRssBytes! > 0 && memory.pssBytes! > 0, 'status has anonymous, file-backed and proportional RSS');
  t.ok(memory.v8HeapUsedBytes! > 0 && memory.v8HeapUsedBytes! <= memory.v8HeapCommittedBytes!, 'V8 heap used within committed');
  t.ok(memory.wasmResidentBytes! > 0 && memory.wasmResidentBytes! <= memory.wasmReservedBytes!, 'sql.js memory: resident within reserved');
  t.ok(memory.mallocMainArenaRssBytes! > 0, 'glibc main arena found');
  t.notOk('externalBytes' in st, 'no external-memory figure (it counted reserved WASM memory as used)');

  // sqlite3 opens the database downloaded from the external board.
  const res = await fetch(`${e1.url}/v1/db`);
  t.equal(res.headers.get('content-type'), 'application/vnd.sqlite3');
  const file = join(t.testdir(), 'copy.db');
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  const q = spawnSync('sqlite3', [file, 'PRAGMA integrity_check; SELECT name FROM zones WHERE id = \'downlights\';'], { encoding: 'utf8' });
  t.equal(q.status, 0, q.stderr);
  t.same(q.stdout.trim().split('\n'), ['ok', 'Downlights'], 'sqlite3 reads the committed objects');
});
