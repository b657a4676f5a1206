// Membership context: a conf-change entry carries the addresses of the boards
// it adds (JSON in ConfChange.context), and the request id of the API call
// waiting for it. The state machine stores the addresses (they travel in
// snapshots), so any future leader can reach every member.
import type { NodeId } from '../raft/index.ts';
import { addressesFromContext } from '../state/membership.ts';

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
  // The addresses are read exactly as the state machine stores them.
  const addresses = Object.fromEntries(addressesFromContext(text));
  let requestId: string | null = null;
  if (text !== undefined && text.length > 0 && text.length <= MAX_MEMBER_CONTEXT_CHARS) {
    try {
      const v = JSON.parse(text) as { requestId?: unknown } | null;
      if (v !== null && typeof v === 'object' && typeof v.requestId === 'string') requestId = v.requestId;
    } catch {
      // Not JSON: no request id (and no addresses).
    }
  }
  return { requestId, addresses };
}
