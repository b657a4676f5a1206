// Topic and client-id names of the board-to-board Raft traffic.
//
//   raftlight/<cluster>/raft/<board>        batches of Raft messages addressed to <board>
//   raftlight/<cluster>/raft/<board>/snap   snapshot chunk frames (data and acks) and side frames for <board>
//
// A dialing board D connected to board B's broker publishes to .../raft/B and subscribes to
// .../raft/D and .../raft/D/snap there; B publishes on its own broker to reach D.
import type { NodeId } from '../raft/types.ts';
import { CodecError, validateNodeId } from './codec.ts';
import { TransportError } from './transport.ts';

export function validateClusterName(cluster: string): void {
  try {
    validateNodeId(cluster);
  } catch (err) {
    if (err instanceof CodecError) throw new TransportError('TRANSPORT_BAD_CLUSTER', `invalid cluster name ${JSON.stringify(cluster)}`);
    throw err;
  }
}

export function raftTopicPrefix(cluster: string): string {
  return `raftlight/${cluster}/raft/`;
}

export function messageTopic(cluster: string, to: NodeId): string {
  return `raftlight/${cluster}/raft/${to}`;
}

export function chunkTopic(cluster: string, to: NodeId): string {
  return `raftlight/${cluster}/raft/${to}/snap`;
}

export function memberClientId(cluster: string, id: NodeId): string {
  return `raftlight-${cluster}-${id}`;
}

/** The board id a member client id names, or null when it is not a member client id. */
export function memberIdFromClientId(cluster: string, clientId: string): NodeId | null {
  const prefix = `raftlight-${cluster}-`;
  if (!clientId.startsWith(prefix)) return null;
  const id = clientId.slice(prefix.length);
  try {
    validateNodeId(id);
    return id;
  } catch {
    return null;
  }
}

export interface RaftTopic {
  readonly to: NodeId;
  readonly kind: 'message' | 'chunk';
}

/** Parses a concrete raft topic; null for topics outside the raft tree or of unknown shape. */
export function parseRaftTopic(cluster: string, topic: string): RaftTopic | null {
  const prefix = raftTopicPrefix(cluster);
  if (!topic.startsWith(prefix)) return null;
  const rest = topic.slice(prefix.length).split('/');
  if (rest.length === 1 && rest[0] !== '') return { to: rest[0]!, kind: 'message' };
  if (rest.length === 2 && rest[0] !== '' && rest[1] === 'snap') return { to: rest[0]!, kind: 'chunk' };
  return null;
}

/** Whether a concrete topic lies in the raft tree (raftlight/<cluster>/raft or below). */
export function isRaftTopic(cluster: string, topic: string): boolean {
  return topic === `raftlight/${cluster}/raft` || topic.startsWith(raftTopicPrefix(cluster));
}

/**
 * Whether a subscription filter can match any topic of the raft tree, wildcards included
 * ('#', 'raftlight/#', '+/+/raft/x', ...).
 */
export function filterTouchesRaft(cluster: string, filter: string): boolean {
  const want = ['raftlight', cluster, 'raft'];
  let levels = filter.split('/');
  // A shared subscription ($share/<group>/<filter>) matches what its inner filter matches.
  if (levels[0] === '$share') levels = levels.slice(2);
  for (let i = 0; i < want.length; i++) {
    const level = levels[i];
    if (level === undefined) return false;
    if (level === '#') return true;
    if (level !== '+' && level !== want[i]) return false;
  }
  return true;
}
