// The publisher stages a batch of applied commands and publishes each changed
// object's retained state once (its last value), then every command's event.
import t from 'tap';
import { Aedes, type AedesPublishPacket } from 'aedes';
import { StatePublisher } from '../../src/board/publisher.ts';
import { silentLogger } from '../../src/board/log.ts';
import type { Change } from '../../src/state/results.ts';

const area = (id: string, name: string, revision: number): Change => ({ kind: 'area', id, op: 'update', value: { name, type: 'room', parent: null }, revision });

t.test('one retained publish per object per batch, every event in order', async (t) => {
  const aedes = await Aedes.createBroker();
  t.teardown(() => new Promise<void>((r) => aedes.close(() => r())));
  const seen: { topic: string; payload: string; retain: boolean }[] = [];
  const deliver = (p: AedesPublishPacket, cb: () => void): void => {
    seen.push({ topic: p.topic, payload: p.payload.toString(), retain: p.retain });
    cb();
  };
  await new Promise<void>((r) => aedes.subscribe('raftlight/c/#', deliver, () => r()));
  const publisher = new StatePublisher(aedes, 'c', silentLogger);
  // One batch, applied without yielding: a1 three times, a2 created then deleted.
  publisher.changes(10, 'r10', [area('a1', 'one', 10)]);
  publisher.changes(11, 'r11', [area('a1', 'two', 11), area('a2', 'x', 11)]);
  publisher.changes(12, 'r12', [area('a1', 'three', 12)]);
  publisher.changes(13, 'r13', [{ kind: 'area', id: 'a2', op: 'delete', value: null, revision: 13 }]);
  publisher.changes(14, 'r14', []);
  await new Promise((r) => setTimeout(r, 50));
  const states = seen.filter((m) => m.topic.includes('/state/'));
  t.same(states.map((m) => [m.topic, m.payload === '' ? '' : (JSON.parse(m.payload) as { revision: number }).revision]), [
    ['raftlight/c/state/area/a1', 12],
    ['raftlight/c/state/area/a2', ''],
  ], 'the last value of each object, once');
  const events = seen.filter((m) => m.topic === 'raftlight/c/events').map((m) => JSON.parse(m.payload) as { revision: number; requestId: string });
  t.same(events.map((e) => [e.revision, e.requestId]), [[10, 'r10'], [11, 'r11'], [12, 'r12'], [13, 'r13']], 'every event, in order, none for an entry without changes');
  t.equal(seen.findIndex((m) => m.topic.endsWith('/events')), states.length, 'states go out before the events of their batch');

  // The next batch publishes again.
  publisher.changes(15, 'r15', [area('a1', 'four', 15)]);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(seen.filter((m) => m.topic === 'raftlight/c/state/area/a1').length, 2);
});
