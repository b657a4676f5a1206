// The Raft core's public surface.
export * from './types.ts';
export { RaftNode } from './node.ts';
export type { Ready, SoftState, RaftStatus, PeerStatus } from './node.ts';
export type { Role } from './raft.ts';
export type { RaftConfig, RaftBugs } from './config.ts';
export { defaultConfig } from './config.ts';
export type { RandomSource } from './random.ts';
export { SeededRandom } from './random.ts';
export { bootstrapSnapshot } from './bootstrap.ts';
export { RaftErrorCode } from './errors.ts';
export type { ConfChange, ConfChangeSingle, ConfChangeKind, ConfChangeTransition } from './conf-change.ts';
export {
  encodeConfChange,
  decodeConfChange,
  applyConfChangeToState,
  leaveJointConfChange,
  maxChangesPerConfChange,
  maxConfChangeContext,
} from './conf-change.ts';
export type { ProgressState } from './progress.ts';
