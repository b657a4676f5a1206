// --compare etcd watches every member: the parser of the gateway's watch
// stream, and a real 3-member etcd cluster whose writes are seen on all three.
import t from 'tap';
import { startEtcd } from '../../src/bench/etcd-sut.ts';
import { prefixRangeEnd, watchRevisions } from '../../src/bench/etcd-watch.ts';

t.test('range end of a prefix', async (t) => {
  t.equal(Buffer.from(prefixRangeEnd('bench-'), 'base64').toString(), 'bench.');
});

t.test('watch lines: created, events, garbage', async (t) => {
  t.same(watchRevisions('{"result":{"header":{"revision":"1"},"created":true}}'), { created: true, revisions: [] });
  t.same(watchRevisions('{"result":{"events":[{"kv":{"mod_revision":"7"}},{"kv":{"mod_revision":"8"}}]}}'), { created: false, revisions: [7, 8] });
  t.same(watchRevisions('{"result":{"events":[{"kv":{"mod_revision":"x"}},{}]}}'), { created: false, revisions: [] }, 'bad revisions are skipped');
  t.equal(watchRevisions('{"error":{"message":"boom"}}'), null);
  t.equal(watchRevisions('not json'), null);
  t.equal(watchRevisions('null'), null);
});

t.test('a real etcd cluster: every write is seen by the watch on each member', async (t) => {
  const etcd = await startEtcd(t.testdir(), 3, 4, () => undefined);
  t.teardown(() => etcd.stop());
  t.equal(etcd.watched, 3, 'one watch per member');
  const revisions: number[] = [];
  for (let seq = 0; seq < 20; seq++) {
    const r = await etcd.sut.writer(seq);
    t.ok(r.ok, `write ${seq}`);
    if (r.revision !== null) revisions.push(r.revision);
  }
  t.equal(revisions.length, 20);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && revisions.some((r) => etcd.watcher.completedAt(r, 3) === null)) await new Promise((r) => setTimeout(r, 50));
  t.same(revisions.filter((r) => etcd.watcher.completedAt(r, 3) === null), [], 'every revision arrived on all 3 members');
  t.equal(etcd.watcher.malformed, 0);
  await etcd.watcher.close();
});
