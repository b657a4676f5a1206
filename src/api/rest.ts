// REST routes over node:http. JSON in and out; errors as {"error":{"code","message",...}}.
//   GET    /health                         liveness (no auth)
//   GET    /v1/status | /v1/peers | /v1/db  board status, members and progress, SQLite copy
//   GET    /v1/changes?since=REV            committed changes after a revision
//   GET    /v1/<kind>s[?filter]             list (areas, devices, zones, scenes, buttons)
//   GET    /v1/<kind>s/<id>                 one object; ETag = its revision
//   POST   /v1/<kind>s   {"id":..., ...}    create
//   PUT    /v1/<kind>s/<id>  {...}          replace (If-Match: revision makes it conditional)
//   DELETE /v1/<kind>s/<id>                 delete (If-Match as above)
//   POST   /v1/batch {"commands":[...]}     several commands, all or nothing
//   POST   /v1/members {"id","host","port","role"}; POST /v1/members/<id>/promote|demote; DELETE /v1/members/<id>
// Reads take ?consistency=linearizable (default) or local. Writes take a Request-Id
// header for exactly-once retries, and need "Authorization: Bearer <token>" when a write token is set.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { isPlainObject } from '../model/field-reader.ts';
import type { Command, ObjectCommand, ObjectKind } from '../model/index.ts';
import { ApiError, errorBody, invalid, toApiError } from './errors.ts';
import { sendJson } from './http-server.ts';
import {
  changesSince, getObject, listObjects, listQueryFrom, parseConsistency, parseId, parseKind, parseRevision, write, type ApiResult,
} from './operations.ts';
import type { BoardServices, MemberRole } from './services.ts';

/** Largest request body accepted (a batch of 256 commands fits). */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface RestOptions {
  writeToken: string | undefined;
  health: () => Record<string, unknown>;
}

const plural: Record<string, ObjectKind> = { areas: 'area', devices: 'device', zones: 'zone', scenes: 'scene', buttons: 'button' };

async function readJson(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new ApiError('PAYLOAD_TOO_LARGE', 413, `request body over ${MAX_BODY_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ApiError('PAYLOAD_TOO_LARGE', 413, `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new ApiError('BAD_JSON', 400, 'request body is empty; send a JSON object');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError('BAD_JSON', 400, `request body is not valid JSON: ${(err as Error).message}`);
  }
}

function checkWriteAuth(req: IncomingMessage, token: string | undefined): void {
  if (token === undefined) return;
  const header = req.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
  const want = Buffer.from(token);
  if (given.length !== want.length || !timingSafeEqual(given, want)) {
    throw new ApiError('UNAUTHORIZED', 401, 'writes need "Authorization: Bearer <write token>"');
  }
}

function objectCommandFrom(input: unknown, path: string): ObjectCommand {
  if (!isPlainObject(input)) throw invalid(`${path} must be an object`);
  const { type, kind, id, value, ifRevision } = input as Record<string, unknown>;
  if (type !== 'create' && type !== 'update' && type !== 'delete') throw invalid(`${path}.type must be create, update or delete`);
  const k = parseKind(typeof kind === 'string' ? kind : undefined);
  const rev = parseRevision(ifRevision, `${path}.ifRevision`);
  const base = { kind: k, id: parseId(id), ...(rev === undefined ? {} : { ifRevision: rev }) };
  return type === 'delete' ? { type, ...base } : { type, ...base, value };
}

export function createRestHandler(services: BoardServices, options: RestOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://board');
    const parts = url.pathname.split('/').filter((p) => p !== '');
    const method = req.method ?? 'GET';
    try {
      if (method === 'GET' && parts.join('/') === 'v1/db') {
        const bytes = services.exportDatabase();
        res.writeHead(200, {
          'content-type': 'application/vnd.sqlite3',
          'content-length': bytes.byteLength,
          'content-disposition': `attachment; filename="raftlight-${services.cluster}.db"`,
        });
        res.end(bytes);
        return;
      }
      const result = await route(method, parts, url.searchParams, req);
      const headers: Record<string, string> = {};
      if (result.revision !== undefined) headers.etag = `"${result.revision}"`;
      sendJson(res, result.status, result.body, headers);
    } catch (err) {
      const e = toApiError(err);
      sendJson(res, e.status, errorBody(e));
    }
  };

  async function route(method: string, parts: string[], params: URLSearchParams, req: IncomingMessage): Promise<ApiResult> {
    const [root, a, b, c] = parts;
    if (root === 'health' && parts.length === 1 && method === 'GET') {
      // A board that is stopping or stopped for good answers 503, so a supervisor or a load balancer sees it.
      const body = options.health();
      return { status: body['status'] === 'ok' ? 200 : 503, body };
    }
    if (root !== 'v1') throw new ApiError('NOT_FOUND', 404, `no route for ${method} /${parts.join('/')}`);
    const consistency = (): ReturnType<typeof parseConsistency> => parseConsistency(params.get('consistency'));
    const requestId = req.headers['request-id'];
    if (a === 'status' && !b && method === 'GET') return { status: 200, body: services.status() };
    if (a === 'peers' && !b && method === 'GET') return { status: 200, body: services.peers() };
    if (a === 'changes' && !b && method === 'GET') {
      const since = parseRevision(params.get('since') ?? '0', 'since') ?? 0;
      const limit = params.get('limit');
      return changesSince(services, since, limit === null ? undefined : Number(limit), consistency());
    }
    if (a === 'batch' && !b && method === 'POST') {
      checkWriteAuth(req, options.writeToken);
      const body = await readJson(req);
      if (!isPlainObject(body) || !Array.isArray(body.commands)) throw invalid('body must be {"commands": [ ... ]}');
      const command: Command = { type: 'batch', commands: body.commands.map((x, i) => objectCommandFrom(x, `commands[${i}]`)) };
      return write(services, command, requestId ?? body.requestId);
    }
    if (a === 'members') return members(method, b, c, req);
    const kind = a !== undefined ? plural[a] : undefined;
    if (kind === undefined) throw new ApiError('NOT_FOUND', 404, `no route for ${method} /${parts.join('/')}`);
    if (b === undefined) {
      if (method === 'GET') return listObjects(services, kind, listQueryFrom(params), consistency());
      if (method === 'POST') {
        checkWriteAuth(req, options.writeToken);
        const body = await readJson(req);
        if (!isPlainObject(body)) throw invalid('body must be a JSON object with an "id" and the object\'s fields');
        const { id, ...value } = body;
        return write(services, { type: 'create', kind, id: parseId(id), value }, requestId);
      }
    } else if (c === undefined) {
      const id = parseId(b);
      if (method === 'GET') return getObject(services, kind, id, consistency());
      const ifMatch = parseRevision(req.headers['if-match'], 'If-Match');
      const cond = ifMatch === undefined ? {} : { ifRevision: ifMatch };
      if (method === 'PUT') {
        checkWriteAuth(req, options.writeToken);
        const value = await readJson(req);
        return write(services, { type: 'update', kind, id, value, ...cond }, requestId);
      }
      if (method === 'DELETE') {
        checkWriteAuth(req, options.writeToken);
        return write(services, { type: 'delete', kind, id, ...cond }, requestId);
      }
    }
    throw new ApiError('METHOD_NOT_ALLOWED', 405, `${method} is not allowed on /${parts.join('/')}`);
  }

  async function members(method: string, id: string | undefined, action: string | undefined, req: IncomingMessage): Promise<ApiResult> {
    checkWriteAuth(req, options.writeToken);
    if (method === 'POST' && id === undefined) {
      const body = await readJson(req);
      if (!isPlainObject(body)) throw invalid('body must be {"id","host","port","role"}');
      const role = (body.role ?? 'external') as MemberRole;
      if (role !== 'external' && role !== 'voter') throw invalid('role must be external or voter');
      const port = body.port;
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw invalid('port must be 1..65535');
      if (typeof body.host !== 'string' || body.host === '') throw invalid('host is required');
      return { status: 200, body: await services.changeMember('add', { id: parseId(body.id), host: body.host, port, role }) };
    }
    if (id !== undefined && method === 'POST' && (action === 'promote' || action === 'demote')) {
      return { status: 200, body: await services.changeMember(action, { id: parseId(id) }) };
    }
    if (id !== undefined && action === undefined && method === 'DELETE') {
      return { status: 200, body: await services.changeMember('remove', { id: parseId(id) }) };
    }
    throw new ApiError('NOT_FOUND', 404, `no route for ${method} /v1/members${id ? '/' + id : ''}${action ? '/' + action : ''}`);
  }
}
