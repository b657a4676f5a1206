// Commands: what clients ask for, what goes into the Raft log, what the state
// machine applies. A tagged union on `type`.
import type { ObjectId, RequestId } from './ids.ts';
import type { ObjectKind } from './kinds.ts';
import type { AccessCommand } from './access-commands.ts';

/** Bytes of one encoded envelope (bounds a log entry; a scene of 512 levels is ~20 KiB). */
export const MAX_COMMAND_BYTES = 64 * 1024;
/** Commands in one batch (bounds the work of one apply). */
export const MAX_BATCH_COMMANDS = 256;

export interface CreateCommand {
  readonly type: 'create';
  readonly kind: ObjectKind;
  readonly id: ObjectId;
  /** The object as sent; validated by the kind's schema when applied. */
  readonly value: unknown;
  /** Only 0 is meaningful on create ("must not exist"); create fails on an existing id anyway. */
  readonly ifRevision?: number;
}

/** Replaces the whole value (PUT semantics). */
export interface UpdateCommand {
  readonly type: 'update';
  readonly kind: ObjectKind;
  readonly id: ObjectId;
  readonly value: unknown;
  /** Apply only if the object's current revision equals this. */
  readonly ifRevision?: number;
}

export interface DeleteCommand {
  readonly type: 'delete';
  readonly kind: ObjectKind;
  readonly id: ObjectId;
  readonly ifRevision?: number;
}

export type ObjectCommand = CreateCommand | UpdateCommand | DeleteCommand;

/** Several commands applied in order, all or nothing. Later commands see earlier ones. */
export interface BatchCommand {
  readonly type: 'batch';
  readonly commands: readonly ObjectCommand[];
}

/** What clients may ask for through the API. */
export type ClientCommand = ObjectCommand | BatchCommand;

export type Command = ClientCommand | AccessCommand;

/** What is proposed to Raft: a command and the client's request id (exactly-once). */
export interface CommandEnvelope {
  readonly requestId: RequestId;
  readonly command: Command;
}

/** The object commands of a command, in apply order (none for an access command). */
export function flattenCommand(command: Command): readonly ObjectCommand[] {
  if (command.type === 'batch') return command.commands;
  if (command.type === 'issue-join-token' || command.type === 'join') return [];
  return [command];
}
