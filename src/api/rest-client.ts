// A small JSON client for a board's REST API (http or https), used by the
// command-line tools and by a board joining an installation. With https it
// verifies the board's certificate against the given CA bundle ('system': the
// system's store), so a private CA works without environment variables.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';

export interface RestClientOptions {
  /** PEM CA bundle, a path to one, or 'system'. */
  readonly ca?: string | Buffer | undefined;
  readonly token?: string | undefined;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface RestReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** Largest answer read (status and join answers are small). */
const MAX_REPLY_BYTES = 4 * 1024 * 1024;

export class RestClientError extends Error {
  constructor(readonly code: 'UNREACHABLE' | 'TLS_FAILED' | 'TLS_CA_UNREADABLE', message: string) {
    super(message);
    this.name = 'RestClientError';
  }
}

/** Reads a CA option: PEM text or a path (undefined and 'system' mean the system store). */
export function loadCa(ca: string | Buffer | undefined): Buffer | undefined {
  if (ca === undefined || ca === 'system') return undefined;
  if (Buffer.isBuffer(ca)) return ca;
  if (ca.includes('-----BEGIN')) return Buffer.from(ca);
  try {
    return readFileSync(ca);
  } catch (err) {
    throw new RestClientError('TLS_CA_UNREADABLE', `cannot read the CA bundle ${ca}: ${(err as Error).message}`);
  }
}

const tlsCodes = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME|ALTNAME|SSL|EPROTO/;

export function restJson(url: string, method = 'GET', body?: unknown, o: RestClientOptions = {}): Promise<RestReply> {
  const u = new URL(url);
  const secure = u.protocol === 'https:';
  const ca = secure ? loadCa(o.ca) : undefined;
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string | number> = { accept: 'application/json' };
  if (text !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = Buffer.byteLength(text);
  }
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  return new Promise((resolve, reject) => {
    const options = {
      host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port || (secure ? 443 : 80), path: u.pathname + u.search, method, headers,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(secure ? { ...(ca ? { ca } : {}), servername: /^[\d.]+$|:/.test(u.hostname) ? undefined : u.hostname } : {}),
    };
    const req = (secure ? httpsRequest : httpRequest)(options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_REPLY_BYTES) chunks.push(c);
      });
      res.on('end', () => {
        let parsed: Record<string, unknown> = {};
        try {
          const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (typeof v === 'object' && v !== null && !Array.isArray(v)) parsed = v as Record<string, unknown>;
        } catch {
          // not JSON: an empty body
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
      res.on('error', reject);
    });
    req.setTimeout(o.timeoutMs ?? 10_000, () => req.destroy(new Error(`no answer within ${o.timeoutMs ?? 10_000} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (o.signal?.aborted) return reject(err);
      const tls = secure && (tlsCodes.test(err.code ?? '') || tlsCodes.test(err.message));
      reject(new RestClientError(tls ? 'TLS_FAILED' : 'UNREACHABLE', tls
        ? `TLS handshake with ${u.host} failed: ${err.message}${ca === undefined ? ' (give the CA that signed its certificate with --tls-ca)' : ''}`
        : `cannot reach ${u.origin}: ${err.message}`));
    });
    req.end(text);
  });
}
