// A link that swallows messages (a blackholed route) is noticed within deadLinkMs, closed,
// reported unreachable and dialed again; once the route heals, traffic flows at once.
import t from 'tap';
import { heartbeat, startBoard, waitFor } from './mqtt-helpers.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';

const limits = { deadLinkMs: 300, livenessCheckMs: 50, connectTimeoutMs: 300 };

t.test('a blackholed link is noticed, closed and redialed; it heals by itself', async (t) => {
  const a = await startBoard('a', { limits });
  const b = await startBoard('b', { limits });
  const proxy = await TcpProxy.start(b.broker.port);
  t.teardown(async () => {
    await a.close();
    await b.close();
    await proxy.close();
  });
  // a reaches b only through the proxy; b answers every heartbeat, as Raft does.
  a.transport.setPeers(new Map([['b', { host: '127.0.0.1', port: proxy.port }]]));
  b.transport.onMessage((m) => {
    b.received.push(m);
    if (m.type === 'heartbeat') b.transport.send({ type: 'heartbeat-response', from: 'b', to: 'a', term: 1, readRound: 0 });
  });
  const unreachable: string[] = [];
  a.transport.onUnreachable((p) => unreachable.push(p));
  let commit = 0;
  const ticker = setInterval(() => a.transport.send(heartbeat('a', 'b', ++commit)), 30);
  t.teardown(() => clearInterval(ticker));
  await waitFor('answers through the proxy', () => a.received.length >= 3);
  t.equal(a.transport.stats().get('b')?.deadLinks, 0, 'a live link is left alone');

  proxy.blackholeAll(true);
  const cutAt = Date.now();
  await waitFor('the dead link noticed', () => (a.transport.stats().get('b')?.deadLinks ?? 0) >= 1);
  t.comment(`noticed after ${Date.now() - cutAt} ms (deadLinkMs ${limits.deadLinkMs})`);
  await waitFor('reported unreachable (the core stops pipelining to it)', () => unreachable.includes('b'));
  t.pass('reported unreachable');
  t.ok(a.logs.some((e) => e.code === 'PEER_SILENT'), 'logged with its reason');

  const before = a.received.length;
  proxy.blackholeAll(false);
  const healedAt = Date.now();
  await waitFor('answers again after the heal', () => a.received.length > before + 2);
  t.comment(`answers flow again ${Date.now() - healedAt} ms after the heal`);
  t.ok(a.transport.stats().get('b')?.connected, 'connected again');
});

t.test('an idle link is never declared dead', async (t) => {
  const a = await startBoard('a', { limits });
  const b = await startBoard('b', { limits });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  a.transport.setPeers(new Map([['b', { host: '127.0.0.1', port: b.broker.port }]]));
  b.transport.onMessage((m) => {
    if (m.type === 'heartbeat') b.transport.send({ type: 'heartbeat-response', from: 'b', to: 'a', term: 1, readRound: 0 });
  });
  a.transport.send(heartbeat('a', 'b', 1));
  await waitFor('one answer', () => a.received.length === 1);
  await new Promise((r) => setTimeout(r, 4 * limits.deadLinkMs));
  t.equal(a.transport.stats().get('b')?.deadLinks, 0, 'silence without unanswered messages is not death');
  t.ok(a.transport.stats().get('b')?.connected, 'still connected');
});
