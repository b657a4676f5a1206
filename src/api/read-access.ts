// Who may read a board's data over HTTP (the live stream today; REST reads when they get
// the same rule). One function, so the installation's read-access policy plugs in here.
// The rule now mirrors the MQTT one (src/board/api-auth.ts): reads are open unless a write
// token is set and anonymous reads are off; then a request needs the token as a bearer token.
import type { IncomingMessage } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';

export interface ReadAccessOptions {
  readonly writeToken: string | undefined;
  readonly anonymousRead: boolean;
}

/** Whether this request may read; false means 401 with the UNAUTHORIZED code. */
export type ReadAccess = (req: IncomingMessage) => boolean;

const digest = (v: string): Buffer => createHash('sha256').update(v).digest();

export function bearerToken(req: IncomingMessage): string | null {
  const header = req.headers.authorization ?? '';
  return header.startsWith('Bearer ') ? header.slice(7) : null;
}

export function createReadAccess(o: ReadAccessOptions): ReadAccess {
  const token = o.writeToken;
  if (o.anonymousRead || token === undefined) return () => true;
  const want = digest(token);
  return (req) => {
    const given = bearerToken(req);
    return given !== null && timingSafeEqual(digest(given), want);
  };
}

/** The installation's read rule (src/api/access.ts) as a ReadAccess. */
export function readAccessFrom(policy: { requireRead(authorization: string | undefined): void }): ReadAccess {
  return (req) => {
    try {
      policy.requireRead(req.headers.authorization);
      return true;
    } catch {
      return false;
    }
  };
}
