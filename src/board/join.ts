// A new board asks a member (any of them; the cluster forwards to its leader)
// to add it as an external board, retrying with backoff until it is accepted.
import type { Logger } from './log.ts';

export interface JoinOptions {
  via: string;
  id: string;
  host: string;
  port: number;
  token: string | undefined;
  signal: AbortSignal;
  log: Logger;
}

export async function joinCluster(o: JoinOptions): Promise<boolean> {
  const url = new URL('/v1/members', o.via).toString();
  let delay = 500;
  for (let attempt = 1; !o.signal.aborted; attempt++) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) },
        body: JSON.stringify({ id: o.id, host: o.host, port: o.port, role: 'external' }),
        signal: AbortSignal.any([o.signal, AbortSignal.timeout(10_000)]),
      });
      const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
      if (res.ok || body.error?.code === 'ALREADY_EXISTS') {
        o.log.info('joined the cluster as an external board', { via: o.via, attempt });
        return true;
      }
      // While the cluster is still electing its first leader, refusals are expected.
      (attempt <= 5 ? o.log.info : o.log.warn)('join refused, retrying', { via: o.via, status: res.status, error: body.error });
      if (res.status === 400 || res.status === 401) return false;
    } catch (err) {
      if (o.signal.aborted) break;
      (attempt <= 5 ? o.log.info : o.log.warn)('join failed, retrying', { via: o.via, err });
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 10_000);
  }
  return false;
}
