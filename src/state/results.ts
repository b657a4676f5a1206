// What applying a log entry produces, and what queries return.
import type { FieldError, ObjectKind, ObjectValue } from '../model/index.ts';

/** Stable codes of a rejected command: identical on every board for the same entry. */
export const APPLY_ERROR_CODES = [
  /** The bytes are not a command envelope (no request id could be read). */
  'DECODE_FAILED',
  /** The value fails its schema, or a scene level lies outside its zone's limits. */
  'INVALID',
  /** update/delete of an object that does not exist. */
  'NOT_FOUND',
  /** create of an id that exists, or a unique field (serial number, keypad button number) already used. */
  'ALREADY_EXISTS',
  /** ifRevision given and different from the object's current revision. */
  'REVISION_MISMATCH',
  /** A referenced object (parent area, area, device, zone, scene) does not exist. */
  'REFERENCE_MISSING',
  /** A referenced object exists but does not fit (wrong device kind, area cycle). */
  'REFERENCE_INVALID',
  /** Delete or update would break objects that refer to this one. */
  'STILL_REFERENCED',
  /** A database constraint caught what the checks above did not (a bug, but deterministic). */
  'CONSTRAINT',
  /** A request id remembered for a different command. */
  'REQUEST_ID_REUSED',
  /** A join token that is unknown, expired or spent by another board. */
  'JOIN_REFUSED',
  /** A bounded table (outstanding join tokens) is full. */
  'LIMIT_REACHED',
] as const;
export type ApplyErrorCode = (typeof APPLY_ERROR_CODES)[number];

export interface ApplyError {
  readonly code: ApplyErrorCode;
  readonly message: string;
  /** Position of the failing command inside a batch (0 for a single command). */
  readonly commandIndex?: number;
  readonly kind?: ObjectKind;
  readonly id?: string;
  /** Field-level problems (INVALID, and the field a reference error is about). */
  readonly fields?: readonly FieldError[];
  /** REVISION_MISMATCH: the object's revision now (0 when it does not exist). */
  readonly currentRevision?: number;
}

export type ChangeOp = 'create' | 'update' | 'delete';

/** One object written by an applied command: publish `value` as retained state (null clears it). */
export interface Change {
  readonly kind: ObjectKind;
  readonly id: string;
  readonly op: ChangeOp;
  readonly value: ObjectValue | null;
  readonly revision: number;
}

/** What the client who sent a request learns; stored for exactly-once retries. */
export type Outcome =
  | { readonly ok: true; readonly revision: number }
  | { readonly ok: false; readonly error: ApplyError };

export interface ApplyResult {
  /** The log index applied (also the revision of anything written). */
  readonly index: number;
  /** Null when the entry could not be decoded. */
  readonly requestId: string | null;
  readonly outcome: Outcome;
  /** True when the request id was seen before: `outcome` is the original one and nothing changed now. */
  readonly duplicate: boolean;
  /** In apply order; empty when rejected or duplicate. */
  readonly changes: readonly Change[];
}

export interface StoredObject<V extends ObjectValue = ObjectValue> {
  readonly kind: ObjectKind;
  readonly id: string;
  readonly value: V;
  readonly revision: number;
  readonly createdRevision: number;
}

export interface ChangeRecord {
  readonly revision: number;
  readonly kind: ObjectKind;
  readonly id: string;
  readonly op: ChangeOp;
}

export interface ChangesPage {
  readonly changes: readonly ChangeRecord[];
  /** More changes exist after the last one returned: ask again from its revision. */
  readonly more: boolean;
  /** The applied index when answered: with `more` false, the client is current up to here. */
  readonly appliedIndex: number;
}

export interface ListPage<V extends ObjectValue = ObjectValue> {
  readonly items: readonly StoredObject<V>[];
  /** Pass as `after` to get the next page; null on the last page. */
  readonly next: string | null;
  /** The applied index when answered (follow with changes since it). */
  readonly appliedIndex: number;
}

export type ObjectCounts = Readonly<Record<ObjectKind, number>>;
