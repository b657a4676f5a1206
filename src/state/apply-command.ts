// Applying one object command inside an open transaction. Throws ApplyRejection
// (nothing written by this command) or returns the change it made.
import { validateValue } from '../model/index.ts';
import type { ObjectCommand, ObjectValue } from '../model/index.ts';
import type { SqlDatabase } from './database.ts';
import { ApplyRejection } from './errors.ts';
import { checkNotReferenced, checkReferences, checkReferrersAccept } from './integrity.ts';
import type { Change } from './results.ts';
import { deleteObject, insertObject, readRevision, updateObject } from './rows.ts';

export function applyObjectCommand(db: SqlDatabase, command: ObjectCommand, revision: number): Change {
  const { kind, id } = command;
  let value: ObjectValue | null = null;
  if (command.type !== 'delete') {
    const validation = validateValue(kind, command.value);
    if (!validation.ok) {
      throw new ApplyRejection({
        code: 'INVALID',
        message: `invalid ${kind}: ${validation.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
        fields: validation.errors,
      });
    }
    value = validation.value;
  }

  const current = readRevision(db, kind, id);
  if (command.type === 'create') {
    if (current !== 0) throw new ApplyRejection({ code: 'ALREADY_EXISTS', message: `${kind} ${id} already exists`, currentRevision: current });
  } else {
    if (current === 0) throw new ApplyRejection({ code: 'NOT_FOUND', message: `${kind} ${id} does not exist` });
    if (command.ifRevision !== undefined && command.ifRevision !== current) {
      throw new ApplyRejection({
        code: 'REVISION_MISMATCH',
        message: `${kind} ${id} is at revision ${current}, not ${command.ifRevision}`,
        currentRevision: current,
      });
    }
  }

  if (value === null) {
    checkNotReferenced(db, kind, id);
    deleteObject(db, kind, id);
    return { kind, id, op: 'delete', value: null, revision };
  }
  checkReferences(db, kind, id, value);
  if (command.type === 'create') {
    insertObject(db, kind, id, value, revision);
  } else {
    checkReferrersAccept(db, kind, id, value);
    updateObject(db, kind, id, value, revision);
  }
  return { kind, id, op: command.type, value, revision };
}
