// --compare etcd: one watch per etcd member (POST /v3/watch on the JSON
// gateway, a stream of newline-delimited JSON), so etcd carries the same
// observers as raftlight's one MQTT subscriber per board, and its propagation
// delay is measured the same way.
import { request, type ClientRequest } from 'node:http';
import type { PropagationWatcher } from './propagation.ts';

/** Cap: one gateway message (a burst's events) longer than this is dropped and counted malformed. */
export const MAX_WATCH_LINE_BYTES = 8 << 20;

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** Base64 of the first key after every key that starts with `prefix` (etcd's range_end for a prefix). */
export function prefixRangeEnd(prefix: string): string {
  const bytes = Buffer.from(prefix);
  bytes[bytes.length - 1]!++;
  return bytes.toString('base64');
}

interface WatchMessage {
  result?: { created?: boolean; canceled?: boolean; events?: { kv?: { mod_revision?: string } }[] };
  error?: { message?: string };
}

/** Revisions of the events in one gateway line; null when the line is not a watch message. */
export function watchRevisions(line: string): { created: boolean; revisions: number[] } | null {
  let m: WatchMessage;
  try {
    m = JSON.parse(line) as WatchMessage;
  } catch {
    return null;
  }
  if (typeof m !== 'object' || m === null || m.result === undefined) return null;
  const revisions: number[] = [];
  for (const e of m.result.events ?? []) {
    const r = Number(e.kv?.mod_revision);
    if (Number.isSafeInteger(r) && r > 0) revisions.push(r);
  }
  return { created: m.result.created === true, revisions };
}

/**
 * Watches every key under `prefix` on one member and records each event's
 * revision for `memberId`. Resolves true once the watch is created, false if it
 * is not within 30 s (the member then counts as not watched).
 */
export function watchEtcdMember(watcher: PropagationWatcher, memberId: string, clientUrl: string, prefix: string): Promise<boolean> {
  return new Promise((resolve) => {
    const u = new URL('/v3/watch', clientUrl);
    const body = JSON.stringify({ create_request: { key: b64(prefix), range_end: prefixRangeEnd(prefix) } });
    let settled = false;
    const settle = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(ok);
    };
    // Its own socket (agent: false): a stream that never ends must not hold one of the writers' pooled sockets.
    const req: ClientRequest = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        settle(false);
        return;
      }
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const now = Date.now();
        pending += chunk;
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          if (line.trim() === '') continue;
          const parsed = watchRevisions(line);
          if (parsed === null) {
            watcher.malformed++;
            continue;
          }
          if (parsed.created) settle(true);
          for (const r of parsed.revisions) watcher.record(memberId, r, now);
        }
        if (pending.length > MAX_WATCH_LINE_BYTES) {
          watcher.malformed++;
          pending = '';
        }
      });
      res.on('error', () => settle(false));
    });
    const timer = setTimeout(() => settle(false), 30_000);
    req.on('error', () => settle(false));
    req.end(body);
    watcher.onClose(async () => {
      req.destroy();
    });
  });
}
