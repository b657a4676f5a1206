import t from 'tap';
import { StateMachine } from '../../src/state/index.ts';
import { loadSqlJs } from '../../src/state/sqljs.ts';
import { APPLICATION_ID, MIGRATIONS, MIGRATIONS_TABLE_SQL, SCHEMA_VERSION } from '../../src/state/schema.ts';
import { Driver, house } from './driver.ts';

const cs = (voters: string[], learners: string[] = []) => ({ voters, learners, votersOutgoing: [], learnersNext: [], autoLeave: false });
const ctx = (addresses: Record<string, unknown>) => JSON.stringify({ requestId: 'x', addresses });

t.test('membership is stored, carries addresses, travels in snapshots', async (t) => {
  const sm = await StateMachine.create();
  t.teardown(() => sm.close());
  t.equal(sm.confState(), null);
  t.same(sm.members(), []);
  sm.applyMembership(1, cs(['b1']), ctx({ b1: { host: '10.0.0.1', port: 1883 } }));
  sm.applyMembership(2, cs(['b1', 'b2'], ['x1']), ctx({ b2: { host: 'board-2.local', port: 1884 }, x1: { host: 'bad host', port: 1 }, zz: { host: 'h', port: 2 } }));
  t.same(sm.members(), [
    { id: 'b1', role: 'voter', host: '10.0.0.1', port: 1883 },
    { id: 'b2', role: 'voter', host: 'board-2.local', port: 1884 },
    { id: 'x1', role: 'learner', host: null, port: null },
  ]);
  t.equal(sm.appliedIndex(), 2);
  sm.applyMembership(3, cs(['b2'], ['x1']), 'not json');
  t.same(sm.members().map((m) => m.id), ['b2', 'x1'], 'a removed member and its address are gone');
  t.same(sm.confState(), cs(['b2'], ['x1']));
  const copy = await StateMachine.restore(sm.export());
  t.same(copy.members(), sm.members());
  t.same(copy.confState(), sm.confState());
  copy.close();
});

t.test('an image of schema version 1 is migrated on restore', async (t) => {
  const SQL = await loadSqlJs();
  const old = new SQL.Database();
  old.run(`PRAGMA application_id = ${APPLICATION_ID}`);
  old.exec(MIGRATIONS_TABLE_SQL);
  old.exec(MIGRATIONS[0]!.sql);
  old.run("INSERT INTO migrations (version, name) VALUES (1, 'initial lighting schema')");
  old.run("INSERT INTO meta (key, value) VALUES ('max_requests', 100), ('max_changes', 100)");
  old.run("INSERT INTO areas (id, name, type, parent, created_revision, revision) VALUES ('hq', 'HQ', 'building', NULL, 1, 1)");
  old.run("UPDATE meta SET value = 1 WHERE key = 'applied_index'");
  old.run('PRAGMA user_version = 1');
  const image = old.export();
  old.close();
  t.ok(SCHEMA_VERSION >= 2);
  const sm = await StateMachine.restore(image);
  t.teardown(() => sm.close());
  t.equal(sm.appliedIndex(), 1);
  t.equal(sm.get('area', 'hq')?.value.name, 'HQ');
  sm.applyMembership(2, cs(['b1']), undefined);
  t.same(sm.members(), [{ id: 'b1', role: 'voter', host: null, port: null }]);
  const d = new Driver(sm);
  const r = d.send(house()[1]!);
  t.equal(r.outcome.ok, true, 'applies continue on the migrated schema');
});

t.test('an image without its bookkeeping rows is rejected', async (t) => {
  const sm = await StateMachine.create();
  const image = sm.export();
  sm.close();
  const SQL = await loadSqlJs();
  const db = new SQL.Database(image);
  db.run("DELETE FROM meta WHERE key = 'max_requests'");
  const broken = db.export();
  db.close();
  await t.rejects(StateMachine.restore(broken), { code: 'IMAGE_INVALID', message: /bookkeeping/ });
});
