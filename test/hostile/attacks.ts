// The attacks of the hostile-input suite, as plain functions an attacker on the
// LAN could run: each takes addresses and whatever credentials the attacker
// holds, does one thing, and reports what the board answered. They run against
// any build (the reproduction script uses them on old images too).
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { encodeBatch, encodeMessage } from '../../src/transport/codec.ts';
import { defaultMaxPayloadBytes } from '../../src/transport/peer-limits.ts';
import { encodeCommand } from '../../src/model/index.ts';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
  /** PEM CA when the port speaks TLS. */
  readonly ca?: Buffer | undefined;
  /** Source address to dial from (127.0.0.2... stand for other machines on loopback). */
  readonly localAddress?: string | undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function mqttUrl(e: Endpoint): string {
  return `${e.ca ? 'mqtts' : 'mqtt'}://${e.host}:${e.port}`;
}

/** Connects and reports the outcome: connected, or refused with the reason the broker gave. */
export async function tryConnect(e: Endpoint, opts: mqtt.IClientOptions, timeoutMs = 4_000): Promise<{ client: mqtt.MqttClient | null; refusal: string | null }> {
  return new Promise((resolve) => {
    const c = mqtt.connect(mqttUrl(e), {
      reconnectPeriod: 0, connectTimeout: timeoutMs, ...(e.ca ? { ca: e.ca } : {}),
      ...(e.localAddress ? { localAddress: e.localAddress } : {}), ...opts,
    } as mqtt.IClientOptions);
    let settled = false;
    const done = (client: mqtt.MqttClient | null, refusal: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (client === null) c.end(true);
      resolve({ client, refusal });
    };
    const timer = setTimeout(() => done(null, 'timeout'), timeoutMs + 500);
    c.once('connect', () => done(c, null));
    c.once('error', (err) => done(null, err.message));
    c.once('close', () => done(null, 'closed'));
  });
}

export interface ForgedAppend {
  readonly cluster: string;
  /** The board attacked (the raft topic it listens on). */
  readonly target: string;
  /** Member login the attacker uses: board id and that board's secret (or the old shared one). */
  readonly loginAs: string;
  readonly secret: string;
  /** The sender the message claims. */
  readonly claimFrom: string;
  readonly term: number;
  /** The entry is placed right after (index, logTerm) and committed at once. */
  readonly index: number;
  readonly logTerm: number;
  /** The object the forged entry creates. */
  readonly areaId: string;
}

/** One crafted append carrying a create the cluster never committed. */
export async function forgedAppend(e: Endpoint, f: ForgedAppend): Promise<{ sent: boolean; refusal: string | null }> {
  const data = encodeCommand({ requestId: `forged-${f.areaId}`, command: { type: 'create', kind: 'area', id: f.areaId, value: { name: 'Forged', type: 'room', parent: null } } });
  const msg = encodeMessage({
    type: 'append', from: f.claimFrom, to: f.target, term: f.term, logTerm: f.logTerm, index: f.index, commit: f.index + 1,
    entries: [{ term: f.term, index: f.index + 1, type: 'normal', data }],
  });
  const { client, refusal } = await tryConnect(e, { clientId: `raftlight-${f.cluster}-${f.loginAs}`, username: f.loginAs, password: f.secret });
  if (client === null) return { sent: false, refusal };
  const closed = new Promise<string>((r) => client.once('close', () => r('closed')));
  client.publish(`raftlight/${f.cluster}/raft/${f.target}`, Buffer.from(encodeBatch([msg], defaultMaxPayloadBytes)));
  const outcome = await Promise.race([closed, sleep(800).then(() => 'open')]);
  client.end(true);
  return { sent: true, refusal: outcome === 'closed' ? 'connection closed after the publish' : null };
}

/** Retained publishes of `bytes` each outside raftlight/; counts what the broker acknowledged. */
export async function retainedFlood(e: Endpoint, count: number, bytes: number, login: mqtt.IClientOptions = {}): Promise<{ acknowledged: number; refused: number; reason: string | null }> {
  let acknowledged = 0;
  let refused = 0;
  let reason: string | null = null;
  const payload = Buffer.alloc(bytes, 0x61);
  let current: mqtt.MqttClient | null = null;
  for (let i = 0; i < count; i++) {
    if (current === null || !current.connected) {
      const r = await tryConnect(e, { protocolVersion: 5, ...login });
      if (r.client === null) {
        refused += count - i;
        reason = r.refusal;
        break;
      }
      current = r.client;
    }
    const c = current;
    const result = await new Promise<string | null>((resolve) => {
      let disconnect = '';
      c.once('disconnect', (p: mqtt.IDisconnectPacket) => {
        disconnect = `DISCONNECT 0x${(p.reasonCode ?? 0).toString(16)} "${p.properties?.reasonString ?? ''}"`;
      });
      const onClose = (): void => resolve(disconnect || 'connection closed');
      c.once('close', onClose);
      c.publish(`flood/${i}`, payload, { qos: 1, retain: true }, (err, packet) => {
        c.removeListener('close', onClose);
        const code = (packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0;
        if (err) resolve(err.message);
        else resolve(code >= 0x80 ? `PUBACK reason 0x${code.toString(16)}` : null);
      });
    });
    if (result === null) acknowledged++;
    else {
      refused++;
      reason = result;
    }
  }
  current?.end(true);
  return { acknowledged, refused, reason };
}

/** Empties the retained flood again (a retained publish with an empty payload clears a topic). */
export async function clearRetained(e: Endpoint, count: number, login: mqtt.IClientOptions = {}): Promise<void> {
  const r = await tryConnect(e, login);
  if (r.client === null) return;
  const client = r.client;
  // A broker that refuses retained publishes closes the connection: stop then.
  const closed = new Promise<'closed'>((resolve) => client.once('close', () => resolve('closed')));
  for (let i = 0; i < count; i++) {
    const outcome = await Promise.race([client.publishAsync(`flood/${i}`, Buffer.alloc(0), { qos: 1, retain: true }).catch(() => 'closed' as const), closed]);
    if (outcome === 'closed') break;
  }
  client.end(true);
}

/** Raw TCP connections that never say anything; close() ends them. */
export async function idleConnections(e: Endpoint, count: number): Promise<{ opened: number; close(): void; alive(): number }> {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) {
    const s = await new Promise<Socket | null>((resolve) => {
      const sock = tcpConnect({ host: e.host, port: e.port, ...(e.localAddress ? { localAddress: e.localAddress } : {}) }, () => resolve(sock));
      sock.once('error', () => resolve(null));
    });
    if (s === null) break;
    s.on('error', () => undefined);
    sockets.push(s);
  }
  return { opened: sockets.length, close: () => sockets.forEach((s) => s.destroy()), alive: () => sockets.filter((s) => !s.destroyed && !s.readableEnded).length };
}

/** Slowloris: HTTP requests whose headers arrive one line every `intervalMs`, never finished. */
export async function slowloris(e: Endpoint, count: number, intervalMs = 1_000): Promise<{ opened: number; close(): void; alive(): number }> {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) {
    const s = await new Promise<Socket | null>((resolve) => {
      const opts = { host: e.host, port: e.port, ...(e.localAddress ? { localAddress: e.localAddress } : {}) };
      const sock: Socket = e.ca ? tlsConnect({ ...opts, ca: e.ca }, () => resolve(sock)) : tcpConnect(opts, () => resolve(sock));
      sock.once('error', () => resolve(null));
    });
    if (s === null) break;
    s.on('error', () => undefined);
    s.write(`GET /v1/status HTTP/1.1\r\nHost: board\r\n`);
    sockets.push(s);
  }
  const timer = setInterval(() => {
    for (const s of sockets) if (!s.destroyed) s.write(`X-Slow-${randomBytes(2).toString('hex')}: 1\r\n`);
  }, intervalMs);
  return {
    opened: sockets.length,
    close: () => {
      clearInterval(timer);
      sockets.forEach((s) => s.destroy());
    },
    alive: () => sockets.filter((s) => !s.destroyed && !s.readableEnded).length,
  };
}

/** Sends bytes on a fresh connection and collects what comes back for a while. */
export async function rawExchange(e: Endpoint, bytes: Buffer, waitMs = 1_000, tls = false): Promise<{ reply: Buffer; closedByPeer: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let closedByPeer = false;
    const opts = { host: e.host, port: e.port, ...(e.localAddress ? { localAddress: e.localAddress } : {}) };
    const s: Socket = tls && e.ca ? tlsConnect({ ...opts, ca: e.ca }, () => s.write(bytes)) : tcpConnect(opts, () => s.write(bytes));
    s.on('data', (d: Buffer) => {
      if (chunks.reduce((n, c) => n + c.length, 0) < 64 * 1024) chunks.push(d);
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      closedByPeer = true;
      finish();
    });
    const timer = setTimeout(() => finish(), waitMs);
    let finished = false;
    function finish(): void {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ reply: Buffer.concat(chunks), closedByPeer });
    }
  });
}

/** An MQTT PUBLISH header that declares 100 MB of body, then a trickle of it. */
export function declaredHugeMqttPacket(): Buffer {
  const length = 100 * 1024 * 1024;
  const varint: number[] = [];
  let x = length;
  do {
    let byte = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) byte |= 0x80;
    varint.push(byte);
  } while (x > 0);
  // A CONNECT first (clients must start with it), then the oversized packet.
  return Buffer.concat([Buffer.from([0x10, ...varint]), Buffer.alloc(4096, 0x41)]);
}

/** An HTTP request that declares a 100 MB body and sends a little of it. */
export function declaredHugeHttpRequest(path = '/v1/batch', headers: Record<string, string> = {}): Buffer {
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return Buffer.from(`POST ${path} HTTP/1.1\r\nHost: board\r\nContent-Type: application/json\r\n${extra}Content-Length: ${100 * 1024 * 1024}\r\n\r\n{"commands":[`);
}

/** Resident and anonymous memory of a process, MiB. */
export function memoryOf(pid: number): { rssMiB: number; anonMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) / 1024;
  return { rssMiB: Math.round(field('VmRSS') * 10) / 10, anonMiB: Math.round(field('RssAnon') * 10) / 10 };
}
