// Test helpers: a board's broker (with member auth) plus its MQTT transport, on loopback.
import { startBroker, type BrokerLogEntry, type RunningBroker } from '../../src/transport/broker.ts';
import { createMemberAuth, type MemberAuth, type MemberAuthOptions } from '../../src/transport/member-auth.ts';
import { createMqttTransport, type MqttTransport, type TransportLogEvent } from '../../src/transport/peer-mqtt-transport.ts';
import type { MqttTransportLimits } from '../../src/transport/peer-limits.ts';
import type { Message, NodeId } from '../../src/raft/types.ts';

export const CLUSTER = 'c1';
import { createHash } from 'node:crypto';

export const SECRET = 'member-secret-for-tests';
/** Each test board's own member secret; the test installation knows every board's digest. */
export const secretOf = (id: NodeId): string => `${SECRET}-${id}`;
export const verifierOf = (id: NodeId): string => createHash('sha256').update(secretOf(id)).digest('hex');

export interface TestBoard {
  readonly id: NodeId;
  readonly broker: RunningBroker;
  readonly auth: MemberAuth;
  readonly transport: MqttTransport;
  readonly received: Message[];
  readonly logs: TransportLogEvent[];
  /** What the broker logged (refusals, client errors), kept off stderr. */
  readonly brokerLogs: BrokerLogEntry[];
  close(): Promise<void>;
}

export async function startBoard(id: NodeId, options: {
  port?: number;
  limits?: Partial<MqttTransportLimits>;
  fallback?: MemberAuthOptions['fallback'];
  maxRaftPayloadBytes?: number;
} = {}): Promise<TestBoard> {
  const auth = createMemberAuth({
    cluster: CLUSTER, self: id, verifierOf,
    ...(options.fallback ? { fallback: options.fallback } : {}),
    ...(options.maxRaftPayloadBytes ? { maxRaftPayloadBytes: options.maxRaftPayloadBytes } : {}),
  });
  const brokerLogs: BrokerLogEntry[] = [];
  const broker = await startBroker({ host: '127.0.0.1', port: options.port ?? 0, hooks: auth.hooks, log: (e) => brokerLogs.push(e) });
  const logs: TransportLogEvent[] = [];
  const transport = createMqttTransport({
    cluster: CLUSTER, self: id, memberSecret: secretOf(id), aedes: broker.aedes,
    ...(options.limits ? { limits: options.limits } : {}),
    log: (e) => logs.push(e),
  });
  const received: Message[] = [];
  transport.onMessage((m) => received.push(m));
  return {
    id, broker, auth, transport, received, logs, brokerLogs,
    async close() {
      await transport.close();
      await broker.close();
    },
  };
}

export function connectAll(boards: readonly TestBoard[]): void {
  const peers = new Map(boards.map((b) => [b.id, { host: '127.0.0.1', port: b.broker.port }]));
  for (const b of boards) b.transport.setPeers(new Map([...peers].filter(([id]) => id !== b.id)));
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const heartbeat = (from: NodeId, to: NodeId, commit: number): Message =>
  ({ type: 'heartbeat', from, to, term: 1, commit, readRound: 0 });
