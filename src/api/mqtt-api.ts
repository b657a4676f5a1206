// Requests over MQTT: publish JSON to raftlight/<cluster>/cmd/<op> with an MQTT 5
// response topic and correlation data (mosquitto_rr does this); the answer is
// the same JSON the REST API gives ({"error":{...}} on failure).
//   cmd/create  {"kind","id","value","requestId"?}      cmd/update {"kind","id","value","ifRevision"?,"requestId"?}
//   cmd/delete  {"kind","id","ifRevision"?,"requestId"?} cmd/batch  {"commands":[...],"requestId"?}
//   cmd/get     {"kind","id","consistency"?}             cmd/list   {"kind", filters..., "consistency"?}
//   cmd/changes {"since","limit"?}                        cmd/status, cmd/peers  {}
// Writes need the write token as the MQTT password; reads need a connection (the
// broker lets clients in only with read access, see src/api/access.ts).
import type { RequestContext, RequestOptions } from '../transport/broker.ts';
import { isPlainObject } from '../model/field-reader.ts';
import type { ObjectCommand } from '../model/index.ts';
import { ApiError, errorBody, invalid, toApiError } from './errors.ts';
import {
  changesSince, getObject, listObjects, listQueryFrom, parseConsistency, parseId, parseKind, parseRevision, write, type ApiResult,
} from './operations.ts';
import type { BoardServices } from './services.ts';

export interface MqttApiOptions {
  cluster: string;
  services: () => BoardServices;
  /** Whether the requesting client may write (logged in with the write token, or writes are open). */
  isWriter: (context: RequestContext) => boolean;
}

const writeOps = new Set(['create', 'update', 'delete', 'batch']);

function objectCommand(type: string, body: Record<string, unknown>, path: string): ObjectCommand {
  const kind = parseKind(typeof body.kind === 'string' ? body.kind : undefined);
  const id = parseId(body.id);
  const rev = parseRevision(body.ifRevision, `${path}ifRevision`);
  const cond = rev === undefined ? {} : { ifRevision: rev };
  if (type === 'create') return { type, kind, id, value: body.value, ...cond };
  if (type === 'update') return { type, kind, id, value: body.value, ...cond };
  if (type === 'delete') return { type, kind, id, ...cond };
  throw invalid(`${path}type must be create, update or delete`);
}

export function createMqttApi(o: MqttApiOptions): { requests: RequestOptions; handle(op: string, payload: Buffer, ctx: RequestContext): Promise<unknown> } {
  const prefix = `raftlight/${o.cluster}/cmd/`;

  async function run(op: string, payload: Buffer, ctx: RequestContext): Promise<ApiResult> {
    const services = o.services();
    const text = payload.toString('utf8').trim();
    if (text === '') throw new ApiError('EMPTY_REQUEST', 400, 'empty request: send a JSON object ({} for status and peers)');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new ApiError('BAD_JSON', 400, `request is not valid JSON: ${(err as Error).message}`);
    }
    if (!isPlainObject(body)) throw invalid('request must be a JSON object');
    if (writeOps.has(op) && !o.isWriter(ctx)) {
      throw new ApiError('UNAUTHORIZED', 401, 'writes need the write token as MQTT password');
    }
    const consistency = parseConsistency(typeof body.consistency === 'string' ? body.consistency : undefined);
    switch (op) {
      case 'create':
      case 'update':
      case 'delete':
        return write(services, objectCommand(op, body, ''), body.requestId);
      case 'batch': {
        if (!Array.isArray(body.commands)) throw invalid('batch needs "commands": [ ... ]');
        const commands = body.commands.map((c, i) => {
          if (!isPlainObject(c) || typeof c.type !== 'string') throw invalid(`commands[${i}] must be an object with a type`);
          return objectCommand(c.type, c, `commands[${i}].`);
        });
        return write(services, { type: 'batch', commands }, body.requestId);
      }
      case 'get':
        return getObject(services, parseKind(typeof body.kind === 'string' ? body.kind : undefined), parseId(body.id), consistency);
      case 'list':
        return listObjects(services, parseKind(typeof body.kind === 'string' ? body.kind : undefined), listQueryFrom(body), consistency);
      case 'changes':
        return changesSince(services, parseRevision(body.since ?? 0, 'since') ?? 0, typeof body.limit === 'number' ? body.limit : undefined, consistency);
      case 'status':
        return { status: 200, body: services.status() };
      case 'peers':
        return { status: 200, body: services.peers() };
      default:
        throw new ApiError('NOT_FOUND', 404, `unknown operation "${op}" (create, update, delete, batch, get, list, changes, status, peers)`);
    }
  }

  async function handle(op: string, payload: Buffer, ctx: RequestContext): Promise<unknown> {
    try {
      return (await run(op, payload, ctx)).body;
    } catch (err) {
      return errorBody(toApiError(err));
    }
  }

  return {
    handle,
    requests: {
      prefix,
      async onRequest(topic, payload, ctx) {
        const op = topic.slice(prefix.length);
        return Buffer.from(JSON.stringify(await handle(op, payload, ctx)));
      },
    },
  };
}
