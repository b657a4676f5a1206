// The operations of the API, independent of REST or MQTT: each takes plain
// parsed input, validates it at the edge with the model's schemas, and either
// proposes a command through Raft or answers a query from the applied state.
import { randomUUID } from 'node:crypto';
import { commandFingerprint } from '../state/machine.ts';
import {
  MAX_BATCH_COMMANDS, assertValid, isObjectId, isObjectKind, isRequestId,
  type ClientCommand, type ObjectCommand, type ObjectKind,
} from '../model/index.ts';
import type { ListQuery } from '../state/index.ts';
import { ApiError, invalid, statusOfCode, toApiError } from './errors.ts';
import type { BoardServices } from './services.ts';

export type Consistency = 'linearizable' | 'local';

export interface ApiResult {
  status: number;
  body: unknown;
  /** Revision of the object read or written (REST: ETag). */
  revision?: number;
}

export function parseKind(text: string | undefined): ObjectKind {
  if (text !== undefined && isObjectKind(text)) return text;
  throw new ApiError('UNKNOWN_KIND', 404, `unknown object kind "${text}" (area, device, zone, scene, button)`);
}

export function parseId(text: unknown): string {
  if (isObjectId(text)) return text;
  throw invalid(`object id ${JSON.stringify(text)} must match [A-Za-z0-9_-]{1,64}`, [{ path: 'id', message: 'must match [A-Za-z0-9_-]{1,64}' }]);
}

export function parseConsistency(text: string | null | undefined): Consistency {
  if (text === null || text === undefined || text === '' || text === 'linearizable') return 'linearizable';
  if (text === 'local') return 'local';
  throw invalid(`consistency must be linearizable or local, got "${text}"`);
}

export function parseRevision(text: unknown, what: string): number | undefined {
  if (text === undefined || text === null || text === '') return undefined;
  const s = typeof text === 'number' ? String(text) : typeof text === 'string' ? text.replace(/^W\//, '').replace(/"/g, '') : '';
  if (!/^\d{1,15}$/.test(s)) throw invalid(`${what} must be a revision number, got ${JSON.stringify(text)}`);
  return Number(s);
}

function requestIdOf(given: unknown): string {
  if (given === undefined || given === null || given === '') return randomUUID();
  if (isRequestId(given)) return given;
  throw invalid('request id must match [A-Za-z0-9_.:-]{1,64}');
}

/** Validates one object command at the API edge (the state machine validates again at apply time). */
function checkCommand(c: ObjectCommand): void {
  parseId(c.id);
  if (c.type !== 'delete') assertValid(c.kind, c.value);
}

async function barrier(services: BoardServices, consistency: Consistency): Promise<void> {
  if (consistency === 'linearizable') await services.linearizableBarrier();
}

export async function write(services: BoardServices, command: ClientCommand, requestId: unknown): Promise<ApiResult> {
  try {
    if (command.type === 'batch') {
      if (command.commands.length === 0) throw invalid('a batch needs at least one command');
      if (command.commands.length > MAX_BATCH_COMMANDS) {
        throw new ApiError('INVALID', 400, `a batch holds at most ${MAX_BATCH_COMMANDS} commands (got ${command.commands.length}): split it`, { limit: MAX_BATCH_COMMANDS });
      }
      command.commands.forEach(checkCommand);
    } else checkCommand(command);
  } catch (err) {
    throw toApiError(err);
  }
  const envelope = { requestId: requestIdOf(requestId), command };
  // A request id this board remembers for another command: refused before it reaches the log
  // (the state machine refuses it again when applied, the same way on every board).
  const remembered = services.state().requestFingerprint(envelope.requestId);
  if (remembered !== null && remembered !== '' && remembered !== commandFingerprint(envelope)) {
    throw new ApiError('REQUEST_ID_REUSED', 409, `request id ${envelope.requestId} was used for a different command; use a new request id`);
  }
  const outcome = await services.propose(envelope);
  if (!outcome.ok) {
    const { code, message, ...rest } = outcome.error;
    throw new ApiError(code, statusOfCode(code), message, { ...rest, requestId: envelope.requestId });
  }
  const status = command.type === 'create' ? 201 : 200;
  return { status, body: { revision: outcome.revision, requestId: envelope.requestId }, revision: outcome.revision };
}

export async function getObject(services: BoardServices, kind: ObjectKind, id: string, consistency: Consistency): Promise<ApiResult> {
  parseId(id);
  await barrier(services, consistency);
  const obj = services.state().get(kind, id);
  if (obj === null) throw new ApiError('NOT_FOUND', 404, `${kind} "${id}" does not exist`);
  return { status: 200, body: obj, revision: obj.revision };
}

export async function listObjects(services: BoardServices, kind: ObjectKind, query: ListQuery, consistency: Consistency): Promise<ApiResult> {
  await barrier(services, consistency);
  try {
    return { status: 200, body: services.state().list(kind, query) };
  } catch (err) {
    throw toApiError(err);
  }
}

export async function changesSince(services: BoardServices, since: number, limit: number | undefined, consistency: Consistency): Promise<ApiResult> {
  await barrier(services, consistency);
  try {
    return { status: 200, body: services.state().changesSince(since, limit) };
  } catch (err) {
    throw toApiError(err);
  }
}

/** Reads list filters from query parameters ("null" means: no parent/area). */
export function listQueryFrom(params: URLSearchParams | Record<string, unknown>): ListQuery {
  const get = (k: string): string | undefined => {
    const v = params instanceof URLSearchParams ? params.get(k) : params[k];
    return v === null || v === undefined ? undefined : String(v);
  };
  const q: { -readonly [K in keyof ListQuery]: ListQuery[K] } = {};
  const parent = get('parent');
  if (parent !== undefined) q.parent = parent === 'null' ? null : parent;
  const area = get('area');
  if (area !== undefined) q.area = area === 'null' ? null : area;
  const device = get('device');
  if (device !== undefined) q.device = device;
  const scene = get('scene');
  if (scene !== undefined) q.scene = scene;
  const after = get('after');
  if (after !== undefined) q.after = after;
  const limit = get('limit');
  if (limit !== undefined) {
    if (!/^\d{1,4}$/.test(limit)) throw invalid(`limit must be a number from 1 to 1000, got "${limit}"`);
    q.limit = Number(limit);
  }
  return q;
}
