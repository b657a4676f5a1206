import t from 'tap';
import { Driver, create, house, remove, update } from './driver.ts';
import { StateImageError, StateMachine } from '../../src/state/index.ts';
import type { ObjectKind } from '../../src/model/index.ts';

const KINDS: ObjectKind[] = ['area', 'device', 'zone', 'scene', 'button'];

function everything(sm: StateMachine): unknown {
  return {
    applied: sm.appliedIndex(),
    counts: sm.counts(),
    lists: KINDS.map((k) => sm.list(k, { limit: 1000 })),
    changes: sm.changesSince(0),
  };
}

t.test('export -> restore gives the same answers, and applies continue identically', async (t) => {
  const a = await Driver.create();
  house().forEach((c) => a.ok(c));
  a.send(remove('area', 'r1')); // rejected, still an entry
  const image = a.sm.export();
  const b = new Driver(await StateMachine.restore(image));
  t.teardown(() => {
    a.sm.close();
    b.sm.close();
  });
  t.same(everything(b.sm), everything(a.sm));
  const next = [
    update('zone', 'z1', { name: 'D', type: 'led', device: 'dim1', minLevel: 0, maxLevel: 100 }),
    create('device', 'sh1', { name: 'Blind', kind: 'shade', serialNumber: 'SN-7', model: 'QS', area: 'r1' }),
    remove('button', 'b1'),
    create('button', 'b1', { device: 'dim1', number: 1, scene: 's1' }),
  ];
  next.forEach((c, i) => t.same(b.send(c, `after-${i}`), a.send(c, `after-${i}`)));
  t.same(everything(b.sm), everything(a.sm));
  // A request id remembered before the snapshot is still a duplicate after restore.
  t.equal(b.send(create('area', 'hq', { name: 'HQ', type: 'building' }), 'req-1').duplicate, true);
});

t.test('export does not disturb the machine: statements, foreign keys, further applies', async (t) => {
  const plain = await Driver.create();
  const exporting = await Driver.create();
  t.teardown(() => {
    plain.sm.close();
    exporting.sm.close();
  });
  const commands = house();
  for (const c of commands) {
    plain.ok(c);
    exporting.ok(c);
    exporting.sm.export();
    t.ok(exporting.sm.get(c.kind, c.id), 'queries work right after export');
  }
  // A dangling reference would need foreign keys off; the checks come first, but the pragma must also hold.
  const fk = (exporting.sm as unknown as { db: { all(sql: string): unknown[][] } }).db.all('PRAGMA foreign_keys');
  t.same(fk, [[1]], 'foreign_keys still on after export');
  t.same(Buffer.from(exporting.sm.export()), Buffer.from(plain.sm.export()), 'exports leave no trace in the image');
  t.match(exporting.send(remove('area', 'r1')).outcome, { ok: false, error: { code: 'STILL_REFERENCED' } });
});

t.test('corrupt images are rejected with a clear error', async (t) => {
  const d = await Driver.create();
  t.teardown(() => d.sm.close());
  house().forEach((c) => d.ok(c));
  const good = d.sm.export();

  const expectImageError = async (bytes: Uint8Array, code: string, message: RegExp): Promise<void> => {
    const err = await StateMachine.restore(bytes).then(
      (sm) => {
        sm.close();
        return null;
      },
      (e: unknown) => e,
    );
    t.ok(err instanceof StateImageError, `rejected: ${String(err)}`);
    t.match(err, { code, message });
  };

  await expectImageError(new Uint8Array(), 'IMAGE_INVALID', /not an SQLite database/);
  await expectImageError(new TextEncoder().encode('hello world'.repeat(100)), 'IMAGE_INVALID', /not an SQLite database/);
  await expectImageError(good.slice(0, 4096), 'IMAGE_INVALID', /damaged|integrity|cannot/);

  // Damage in the middle: overwrite a page of table b-tree content.
  const smashed = good.slice();
  for (let i = 8 * 4096; i < 9 * 4096; i++) smashed[i] = (i * 7) & 0xff;
  await expectImageError(smashed, 'IMAGE_INVALID', /damaged|integrity|malformed/);

  // Another SQLite database is not a state image.
  const SQL = await (await import('../../src/state/sqljs.ts')).loadSqlJs();
  const other = new SQL.Database();
  other.run('CREATE TABLE x (a)');
  await expectImageError(other.export(), 'IMAGE_INVALID', /not a raftlight state database/);
  other.close();

  // A newer schema version.
  const newer = new SQL.Database(good);
  newer.run('PRAGMA user_version = 99');
  await expectImageError(newer.export(), 'IMAGE_TOO_NEW', /schema version 99/);
  newer.close();

  // The good image still restores.
  const ok = await StateMachine.restore(good);
  t.equal(ok.appliedIndex(), 9);
  ok.close();
});

t.test('changes since a revision, bounded log, COMPACTED', async (t) => {
  const d = await Driver.create({ maxChanges: 300 });
  t.teardown(() => d.sm.close());
  d.ok(create('area', 'hq', { name: 'HQ', type: 'building' }));
  // 300 rooms in one batch (revision 2), then single updates (revisions 3..).
  const rooms = Array.from({ length: 256 }, (_, i) => create('area', `room${i}`, { name: `R${i}`, type: 'room', parent: 'hq' }));
  d.ok({ type: 'batch', commands: rooms });
  for (let i = 0; i < 40; i++) d.ok(update('area', `room${i}`, { name: `R${i}!`, type: 'room', parent: 'hq' }));
  // 297 records: nothing pruned yet.
  t.equal(d.sm.changesSince(0).changes.length, 297);
  const page = d.sm.changesSince(1, 256);
  t.equal(page.more, true);
  t.equal(page.changes.length, 256, 'the page ends on a whole revision');
  t.ok(page.changes.every((c) => c.revision === 2));
  const page2 = d.sm.changesSince(2, 256);
  t.same(page2.changes.map((c) => c.revision), Array.from({ length: 40 }, (_, i) => i + 3));
  t.equal(page2.more, false);
  t.equal(page2.appliedIndex, 42);
  for (let i = 40; i < 61; i++) d.ok(update('area', `room${i}`, { name: `R${i}!`, type: 'room', parent: 'hq' }));
  // Index 63, 318 records: over the cap, but pruning waits for an index divisible by 64.
  t.equal(d.sm.changesSince(0).changes.length, 318);
  d.ok(update('area', 'room61', { name: 'R61!', type: 'room', parent: 'hq' }));
  // Index 64, 319 records > 300: whole revisions pruned from the oldest: revision 1 and the batch at revision 2.
  t.throws(() => d.sm.changesSince(1), { code: 'COMPACTED', message: /list the objects again/ });
  const rest = d.sm.changesSince(2);
  t.equal(rest.changes.length, 62);
  t.equal(rest.changes[0]!.revision, 3);
  t.same(d.sm.changesSince(64), { changes: [], more: false, appliedIndex: 64 });
  t.throws(() => d.sm.changesSince(-1), { code: 'INVALID_QUERY' });
});
