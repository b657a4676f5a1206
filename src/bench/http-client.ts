// A lean keep-alive HTTP client for the load generator: node:http with one
// agent per target, so 64 concurrent writers reuse 64 sockets.
import { Agent, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface HttpReply {
  status: number;
  body: string;
}

/** Cap: at most this many sockets per host, i.e. the largest --clients the bench accepts. */
export const MAX_SOCKETS_PER_HOST = 512;
const agent = new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_HOST });
let httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_HOST });

let trustedCa: Buffer | undefined;

/** https URLs are verified against this CA (boards whose certificates a private CA signed). */
export function trustCa(ca: Buffer): void {
  trustedCa = ca;
  httpsAgent.destroy();
  httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_HOST, ca });
}

/** Replies larger than this are cut (the bench only reads small JSON answers). */
const MAX_REPLY_BYTES = 1 << 20;

/**
 * One request. A request that fails with ECONNRESET / "socket hang up" on a
 * reused keep-alive socket is sent once more, on a new connection: the server
 * closed that idle socket as we wrote to it, so it never saw the request (the
 * documented Node keep-alive race, not a failure of the system under test).
 * Resending on another pooled socket could meet the same race again (seen
 * under bursts: 1-5 writes in 36,000 failed so).
 */
export async function httpRequest(url: string, method: string, body?: string, timeoutMs = 10_000, headers: Record<string, string> = {}): Promise<HttpReply> {
  try {
    return await once(url, method, body, timeoutMs, headers);
  } catch (err) {
    const e = err as Error & { code?: string; reusedSocket?: boolean };
    if (e.reusedSocket && (e.code === 'ECONNRESET' || e.message === 'socket hang up')) return once(url, method, body, timeoutMs, headers, false);
    throw err;
  }
}

function once(url: string, method: string, body: string | undefined, timeoutMs: number, headers: Record<string, string>, pooled = true): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const secure = u.protocol === 'https:';
    // Unpooled (agent false): a connection of its own, verified against the same CA.
    const req = (secure ? httpsRequest : request)({
      host: u.hostname, port: u.port, path: u.pathname + u.search, method, agent: pooled ? (secure ? httpsAgent : agent) : false,
      ...(secure && !pooled && trustedCa !== undefined ? { ca: trustedCa } : {}),
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }), ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_REPLY_BYTES) chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', (err: Error & { reusedSocket?: boolean }) => {
      err.reusedSocket = req.reusedSocket;
      reject(err);
    });
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export async function getJson(url: string, timeoutMs = 5_000): Promise<Record<string, unknown> | null> {
  try {
    const r = await httpRequest(url, 'GET', undefined, timeoutMs);
    if (r.status !== 200) return null;
    const v: unknown = JSON.parse(r.body);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function closeHttpClient(): void {
  agent.destroy();
  httpsAgent.destroy();
}
