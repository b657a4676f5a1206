// Who may read and who may write, decided the same way for REST and MQTT:
//  - a token is a bearer token on REST (`Authorization: Bearer <token>`, the
//    scheme in any case) and the password on MQTT;
//  - the write token grants writes and reads, the read token reads;
//  - without a token a client reads only when anonymous reads are on, and
//    writes only on a board started with --open-writes (development).
// Tokens are kept as SHA-256 digests and compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError } from './errors.ts';

export type Grant = 'none' | 'read' | 'write';

export interface AccessOptions {
  readonly writeToken: string | undefined;
  readonly readToken: string | undefined;
  readonly anonymousRead: boolean;
  readonly openWrites: boolean;
}

export class AccessPolicy {
  private readonly writeDigest: Buffer | null;
  private readonly readDigest: Buffer | null;
  readonly anonymousRead: boolean;
  readonly openWrites: boolean;

  constructor(o: AccessOptions) {
    this.writeDigest = o.writeToken === undefined ? null : digest(o.writeToken);
    this.readDigest = o.readToken === undefined ? null : digest(o.readToken);
    this.anonymousRead = o.anonymousRead;
    this.openWrites = o.openWrites;
  }

  /** What a presented token (or none) allows. A wrong token grants nothing, even where anonymous reads are on. */
  grantOf(token: string | Buffer | undefined): Grant | 'bad-token' {
    if (token === undefined || token.length === 0) {
      if (this.openWrites) return 'write';
      return this.anonymousRead ? 'read' : 'none';
    }
    const given = digest(token);
    if (this.writeDigest !== null && timingSafeEqual(given, this.writeDigest)) return 'write';
    if (this.readDigest !== null && timingSafeEqual(given, this.readDigest)) return 'read';
    return 'bad-token';
  }

  /** REST: throws 401 unless the request's Authorization header allows reading. */
  requireRead(authorization: string | undefined): void {
    const grant = this.grantOf(bearerToken(authorization));
    if (grant === 'read' || grant === 'write') return;
    throw new ApiError('UNAUTHORIZED', 401, grant === 'bad-token' ? 'the token is not valid on this board' : 'reading needs "Authorization: Bearer <read or write token>"');
  }

  /** REST: throws 401 unless the request's Authorization header allows writing. */
  requireWrite(authorization: string | undefined): void {
    if (this.grantOf(bearerToken(authorization)) === 'write') return;
    throw new ApiError('UNAUTHORIZED', 401, this.writeDigest === null
      ? 'this board has no write token configured (start it with --write-token), so it takes no writes'
      : 'writes need "Authorization: Bearer <write token>"');
  }
}

/** The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : '\u0000invalid';
}

function digest(token: string | Buffer): Buffer {
  return createHash('sha256').update(token).digest();
}
