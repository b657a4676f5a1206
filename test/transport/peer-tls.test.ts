// Board-to-board links over TLS with a private CA: a peer whose certificate
// the CA did not sign is refused, and both sides report the failed handshake
// with the other's address and the reason (the board logs them at warn).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { startBroker, type BrokerLogEntry } from '../../src/transport/broker.ts';
import { createMemberAuth } from '../../src/transport/member-auth.ts';
import { createMqttTransport, type TransportLogEvent } from '../../src/transport/peer-mqtt-transport.ts';
import { transportLogLevel } from '../../src/board/transport-log.ts';
import { makePrivateCa } from '../helpers/private-ca.ts';
import { CLUSTER, heartbeat, secretOf, verifierOf, waitFor } from './mqtt-helpers.ts';

t.test('a TLS handshake that fails is reported on both sides', async (t) => {
  const dir = t.testdir();
  const good = makePrivateCa(`${dir}/good`);
  const bad = makePrivateCa(`${dir}/bad`, 'Wrong CA');
  const b = good.issue('b', ['127.0.0.1']);
  const brokerLogs: BrokerLogEntry[] = [];
  const authB = createMemberAuth({ cluster: CLUSTER, self: 'b', verifierOf });
  const brokerB = await startBroker({
    host: '127.0.0.1', port: 0, hooks: authB.hooks, log: (e) => brokerLogs.push(e),
    tls: { key: readFileSync(b.key), cert: readFileSync(b.cert) },
  });
  t.teardown(() => brokerB.close());
  const authA = createMemberAuth({ cluster: CLUSTER, self: 'a', verifierOf });
  const brokerA = await startBroker({ host: '127.0.0.1', port: 0, hooks: authA.hooks, log: () => undefined });
  t.teardown(() => brokerA.close());
  const logs: TransportLogEvent[] = [];
  const a = createMqttTransport({
    cluster: CLUSTER, self: 'a', memberSecret: secretOf('a'), aedes: brokerA.aedes,
    peers: new Map([['b', { host: '127.0.0.1', port: brokerB.port }]]), tls: { ca: readFileSync(bad.caCert) }, log: (e) => logs.push(e),
  });
  t.teardown(() => a.close());
  a.send(heartbeat('a', 'b', 1));
  await waitFor('the dialer reports the handshake', () => logs.some((l) => l.code === 'PEER_TLS_FAILED'));
  const mine = logs.find((l) => l.code === 'PEER_TLS_FAILED')!;
  t.match(mine.detail, new RegExp(`TLS handshake with 127\\.0\\.0\\.1:${brokerB.port} failed: .*certificate`), mine.detail);
  t.equal(transportLogLevel(mine.code), 'warn', 'the board logs it at warn');
  await waitFor('the listener reports it', () => brokerLogs.some((l) => l.kind === 'connection-closed' && l.code === 'TLS_HANDSHAKE_FAILED'));
  const theirs = brokerLogs.find((l) => l.kind === 'connection-closed' && l.code === 'TLS_HANDSHAKE_FAILED') as { message: string; remote: string };
  t.match(theirs.remote, /^127\.0\.0\.1:\d+$/, 'with the peer address');
  t.match(theirs.message, /TLS handshake failed: /);
});
