// Membership context: a conf-change entry carries the addresses of the boards
// it adds (JSON in ConfChange.context), and the request id of the API call
// waiting for it. The state machine stores the addresses (they travel in
// snapshots), so any future leader can reach every member.
import type { NodeId } from '../raft/index.ts';

export interface MemberAddress {
  readonly host: string;
  readonly port: number;
}

export interface MemberContext {
  readonly requestId: string | null;
  readonly addresses: Readonly<Record<NodeId, MemberAddress>>;
}

/** Context bytes are small: a few boards per change. */
export const MAX_MEMBER_CONTEXT_CHARS = 16 * 1024;

export function encodeMemberContext(c: MemberContext): string {
  return JSON.stringify({ requestId: c.requestId, addresses: c.addresses });
}

/** Strict: anything unexpected yields an empty context rather than an exception. */
export function decodeMemberContext(text: string | undefined): MemberContext {
  const empty: MemberContext = { requestId: null, addresses: {} };
  if (text === undefined || text.length === 0 || text.length > MAX_MEMBER_CONTEXT_CHARS) return empty;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return empty;
  }
  if (typeof v !== 'object' || v === null) return empty;
  const o = v as { requestId?: unknown; addresses?: unknown };
  const addresses: Record<NodeId, MemberAddress> = {};
  if (typeof o.addresses === 'object' && o.addresses !== null) {
    for (const [id, a] of Object.entries(o.addresses as Record<string, unknown>)) {
      const addr = a as { host?: unknown; port?: unknown };
      if (typeof addr?.host === 'string' && Number.isInteger(addr.port) && (addr.port as number) > 0 && (addr.port as number) < 65536) {
        addresses[id] = { host: addr.host, port: addr.port as number };
      }
    }
  }
  return { requestId: typeof o.requestId === 'string' ? o.requestId : null, addresses };
}
