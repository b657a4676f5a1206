// A new board asks a voter of the installation to admit it (POST /v1/join) with
// a join token, proving nothing else: the token is the authority. It sends the
// digest of its own member secret (the secret never leaves the board) and
// receives the member digests it needs to recognise the boards that will
// contact it. Retries with backoff until admitted or refused for good.
import { digestOf } from './credentials-file.ts';
import type { Logger } from './log.ts';
import { restJson, RestClientError } from '../api/rest-client.ts';

export interface JoinOptions {
  readonly via: string;
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly joinToken: string;
  readonly memberSecret: string;
  readonly ca: string | Buffer | undefined;
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** The member digests the answer lists (id -> SHA-256 of its member secret). */
  readonly admitted: (verifiers: Map<string, string>) => void;
}

/** 'member-exists': this board id is a member whose state this board no longer holds (come back as a new incarnation). */
export type JoinResult = 'joined' | 'refused' | 'aborted' | 'member-exists';

/** HTTP statuses that retrying cannot fix. */
const FINAL = new Set([400, 401, 403, 404, 409, 421]);

export async function joinCluster(o: JoinOptions): Promise<JoinResult> {
  const url = new URL('/v1/join', o.via).toString();
  const body = { id: o.id, host: o.host, port: o.port, verifier: digestOf(o.memberSecret), token: o.joinToken };
  let delay = 500;
  for (let attempt = 1; !o.signal.aborted; attempt++) {
    try {
      const res = await restJson(url, 'POST', body, { ca: o.ca, signal: o.signal, timeoutMs: 15_000 });
      const error = res.body.error as { code?: string; message?: string } | undefined;
      if (res.status === 200) {
        o.admitted(verifiersOf(res.body.members));
        o.log.info('joined the installation as an external board', { via: o.via, attempt });
        return 'joined';
      }
      if (res.status === 409 && error?.code === 'MEMBER_EXISTS') {
        o.log.error('join refused: this board id is already a member, but this board lost what it held as that member', { via: o.via, message: error.message });
        return 'member-exists';
      }
      if (FINAL.has(res.status)) {
        o.log.error('join refused', { via: o.via, status: res.status, code: error?.code, message: error?.message });
        return 'refused';
      }
      // While the installation is still electing its first leader, refusals are expected.
      (attempt <= 5 ? o.log.info : o.log.warn)('join not accepted yet, retrying', { via: o.via, status: res.status, error });
    } catch (err) {
      if (o.signal.aborted) break;
      const tls = err instanceof RestClientError && err.code === 'TLS_FAILED';
      (tls || attempt > 5 ? o.log.warn : o.log.info)('join failed, retrying', { via: o.via, err: (err as Error).message });
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 10_000);
  }
  return 'aborted';
}

function verifiersOf(members: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!Array.isArray(members)) return out;
  for (const m of members as Array<{ id?: unknown; verifier?: unknown }>) {
    if (typeof m.id === 'string' && typeof m.verifier === 'string' && /^[0-9a-f]{64}$/.test(m.verifier)) out.set(m.id, m.verifier);
  }
  return out;
}
