// The founding snapshot of a new installation.
import type { ConfState, Snapshot } from './types.ts';

/**
 * A new cluster's boards all start from this identical snapshot (index 1,
 * term 1) that carries the initial membership, with hard state
 * { term: 1, vote: null, commit: 1 }. A board joining later starts empty and
 * receives the leader's snapshot, so every log replay sees a full configuration.
 */
export function bootstrapSnapshot(confState: ConfState): Snapshot {
  return { metadata: { index: 1, term: 1, confState }, data: new Uint8Array(0) };
}
