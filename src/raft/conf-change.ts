// Membership changes: their wire encoding (entry data) and their effect on a ConfState.
import type { ConfState, NodeId } from './types.ts';
import { RaftError } from './types.ts';
import { RaftErrorCode } from './errors.ts';

export type ConfChangeKind = 'add-voter' | 'add-learner' | 'remove-node';

export interface ConfChangeSingle {
  readonly kind: ConfChangeKind;
  readonly node: NodeId;
}

/**
 * - 'auto': one change is applied directly; several go through a joint
 *   configuration that the leader leaves on its own once it is applied.
 * - 'joint-implicit': always joint, left automatically.
 * - 'joint-explicit': always joint, left by proposing a ConfChange with no changes.
 */
export type ConfChangeTransition = 'auto' | 'joint-implicit' | 'joint-explicit';

/** A ConfChange with no changes means "leave the joint configuration". */
export interface ConfChange {
  readonly transition: ConfChangeTransition;
  readonly changes: readonly ConfChangeSingle[];
  /** Opaque application text carried with the change (e.g. addresses, a request id); at most maxConfChangeContext chars. */
  readonly context?: string;
}

export const leaveJointConfChange: ConfChange = Object.freeze({ transition: 'auto', changes: [] });

const kinds: readonly string[] = ['add-voter', 'add-learner', 'remove-node'];
const transitions: readonly string[] = ['auto', 'joint-implicit', 'joint-explicit'];
/** Cap on changes in one ConfChange: a membership change touches a few boards, never thousands. */
export const maxChangesPerConfChange = 64;
/** Cap on a ConfChange's context text. */
export const maxConfChangeContext = 16 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function invalid(msg: string): RaftError {
  return new RaftError(RaftErrorCode.invalidConfChange, `invalid conf change: ${msg}`);
}

/** Entry data of a conf-change entry: UTF-8 JSON {"transition":..,"changes":[{"kind":..,"node":..}],"context"?:..}. */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  validateConfChange(cc);
  return encoder.encode(
    JSON.stringify({
      transition: cc.transition,
      changes: cc.changes.map((c) => ({ kind: c.kind, node: c.node })),
      ...(cc.context !== undefined ? { context: cc.context } : {}),
    }),
  );
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  let v: unknown;
  try {
    v = JSON.parse(decoder.decode(data));
  } catch {
    throw invalid('entry data is not UTF-8 JSON');
  }
  if (typeof v !== 'object' || v === null) throw invalid('not an object');
  const o = v as { transition?: unknown; changes?: unknown; context?: unknown };
  if (!Array.isArray(o.changes)) throw invalid('changes is not an array');
  const changes = o.changes.map((c: unknown): ConfChangeSingle => {
    const x = (typeof c === 'object' && c !== null ? c : {}) as { kind?: unknown; node?: unknown };
    return { kind: x.kind as ConfChangeKind, node: x.node as NodeId };
  });
  if (o.context !== undefined && typeof o.context !== 'string') throw invalid('context must be a string');
  const cc: ConfChange = {
    transition: o.transition as ConfChangeTransition,
    changes,
    ...(o.context !== undefined ? { context: o.context } : {}),
  };
  validateConfChange(cc);
  return cc;
}

export function validateConfChange(cc: ConfChange): void {
  if (!transitions.includes(cc.transition)) throw invalid(`unknown transition ${String(cc.transition)}`);
  if (!Array.isArray(cc.changes)) throw invalid('changes is not an array');
  if (cc.changes.length > maxChangesPerConfChange) throw invalid(`more than ${maxChangesPerConfChange} changes`);
  if (cc.context !== undefined && (typeof cc.context !== 'string' || cc.context.length > maxConfChangeContext)) {
    throw invalid(`context must be a string of at most ${maxConfChangeContext} characters`);
  }
  for (const c of cc.changes) {
    if (!kinds.includes(c.kind)) throw invalid(`unknown kind ${String(c.kind)}`);
    if (typeof c.node !== 'string' || c.node.length === 0) throw invalid('node must be a non-empty string');
  }
}

export function isJoint(cs: ConfState): boolean {
  return cs.votersOutgoing.length > 0;
}

/** Does this change leave a joint configuration? */
export function isLeaveJoint(cc: ConfChange): boolean {
  return cc.changes.length === 0;
}

/** Does applying cc make a joint configuration? */
export function entersJoint(cc: ConfChange): boolean {
  return cc.changes.length > 0 && (cc.transition !== 'auto' || cc.changes.length > 1);
}

interface MutableConf {
  voters: Set<NodeId>;
  learners: Set<NodeId>;
  outgoing: Set<NodeId>;
  learnersNext: Set<NodeId>;
  autoLeave: boolean;
}

function toMutable(cs: ConfState): MutableConf {
  return {
    voters: new Set(cs.voters),
    learners: new Set(cs.learners),
    outgoing: new Set(cs.votersOutgoing),
    learnersNext: new Set(cs.learnersNext),
    autoLeave: cs.autoLeave,
  };
}

function toConfState(m: MutableConf): ConfState {
  const sorted = (s: Set<NodeId>): NodeId[] => [...s].sort();
  return {
    voters: sorted(m.voters),
    learners: sorted(m.learners),
    votersOutgoing: sorted(m.outgoing),
    learnersNext: sorted(m.learnersNext),
    autoLeave: m.autoLeave,
  };
}

function applyChanges(m: MutableConf, changes: readonly ConfChangeSingle[]): void {
  for (const c of changes) {
    switch (c.kind) {
      case 'add-voter':
        m.learners.delete(c.node);
        m.learnersNext.delete(c.node);
        m.voters.add(c.node);
        break;
      case 'add-learner':
        if (m.learners.has(c.node)) break;
        m.voters.delete(c.node);
        // A voter of the outgoing configuration becomes a learner only when the joint configuration is left.
        if (m.outgoing.has(c.node)) m.learnersNext.add(c.node);
        else m.learners.add(c.node);
        break;
      case 'remove-node':
        m.voters.delete(c.node);
        m.learners.delete(c.node);
        m.learnersNext.delete(c.node);
        break;
    }
  }
}

/**
 * The configuration after applying cc to cs. Throws RAFT_INVALID_CONF_CHANGE
 * for a change that is not allowed (entering joint twice, leaving when not
 * joint, several voter changes without joint consensus, removing every voter).
 */
export function applyConfChangeToState(cs: ConfState, cc: ConfChange): ConfState {
  validateConfChange(cc);
  const m = toMutable(cs);
  const joint = m.outgoing.size > 0;
  if (isLeaveJoint(cc)) {
    if (!joint) throw invalid('cannot leave a joint configuration: not in one');
    for (const id of m.learnersNext) m.learners.add(id);
    m.learnersNext.clear();
    m.outgoing.clear();
    m.autoLeave = false;
  } else if (entersJoint(cc)) {
    if (joint) throw invalid('already in a joint configuration');
    if (m.voters.size === 0) throw invalid('cannot enter a joint configuration without voters');
    m.outgoing = new Set(m.voters);
    applyChanges(m, cc.changes);
    m.autoLeave = cc.transition !== 'joint-explicit';
  } else {
    if (joint) throw invalid('a simple change is not allowed in a joint configuration');
    const before = new Set(m.voters);
    applyChanges(m, cc.changes);
    let diff = 0;
    for (const id of before) if (!m.voters.has(id)) diff++;
    for (const id of m.voters) if (!before.has(id)) diff++;
    if (diff > 1) throw invalid('more than one voter changed without joint consensus');
  }
  if (m.voters.size === 0) throw invalid('removed all voters');
  for (const id of m.learners) {
    if (m.voters.has(id) || m.outgoing.has(id)) throw invalid(`${id} is both voter and learner`);
  }
  return toConfState(m);
}
