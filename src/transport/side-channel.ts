// Side messages between member boards: small payloads that ride the members-only peer
// connections next to the Raft traffic (as 'side' frames on the snapshot-chunk topic), for
// board telemetry. They are not Raft messages: never queued, never retried, never dialed
// for. A send without a usable connection, or to a socket that is backed up, is dropped and
// counted; the sender sends again on its next period.
import type { NodeId } from '../raft/types.ts';

/** Largest side payload: one side frame must fit the chunk topic's frame cap (64 KiB + 64). */
export const MAX_SIDE_PAYLOAD_BYTES = 60 * 1024;

/** `from` is the member whose authenticated connection carried the payload, never a claim inside it. */
export type SideHandler = (from: NodeId, payload: Uint8Array) => void;

export interface SideChannel {
  /** Sends at once over an existing connection; false when dropped (no connection, backed up, too large). */
  sendSide(to: NodeId, payload: Uint8Array): boolean;
  /** Sets the handler for side payloads (replaces the previous one). The payload is a view: copy to keep. */
  onSide(handler: SideHandler): void;
  readonly sideCounters: { readonly sent: number; readonly dropped: number; readonly received: number };
}
