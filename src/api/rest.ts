// REST routes over node:http. JSON in and out; errors as {"error":{"code","message",...}}.
//   GET    /health                         liveness only (no auth)
//   GET    /v1/status | /v1/peers | /v1/db  board status, members and progress, SQLite copy
//   GET    /v1/changes?since=REV            committed changes after a revision
//   GET    /v1/<kind>s[?filter]             list (areas, devices, zones, scenes, buttons)
//   GET    /v1/<kind>s/<id>                 one object; ETag = its revision
//   POST   /v1/<kind>s   {"id":..., ...}    create
//   PUT    /v1/<kind>s/<id>  {...}          replace (If-Match: revision makes it conditional)
//   DELETE /v1/<kind>s/<id>                 delete (If-Match as above)
//   POST   /v1/batch {"commands":[...]}     several commands, all or nothing
//   POST   /v1/members/<id>/promote|demote; DELETE /v1/members/<id>
//   POST   /v1/join-tokens {"ttlSeconds"?}  a join token, shown once (write access)
//   POST   /v1/join {"id","host","port","verifier","token"}  a new board joins with a join token
// Reads take ?consistency=linearizable (default) or local. Writes take a Request-Id
// header for exactly-once retries. Access (src/api/access.ts): every read but /health
// needs a read or write token unless anonymous reads are on; writes need the write token.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isPlainObject } from '../model/field-reader.ts';
import { DEFAULT_JOIN_TOKEN_TTL_MS, type Command, type ObjectCommand, type ObjectKind } from '../model/index.ts';
import { ApiError, errorBody, invalid, toApiError } from './errors.ts';
import { sendJson } from './http-server.ts';
import {
  changesSince, getObject, listObjects, listQueryFrom, parseConsistency, parseId, parseKind, parseRevision, write, type ApiResult,
} from './operations.ts';
import type { BoardServices } from './services.ts';
import type { AccessPolicy } from './access.ts';

/** Largest request body accepted (a batch of 256 commands fits). */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface RestOptions {
  access: AccessPolicy;
  /** Liveness only: nothing an anonymous client should not know. */
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
        options.access.requireRead(req.headers.authorization);
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
      sendJson(res, e.status, errorBody(e), e.status === 401 ? { 'www-authenticate': 'Bearer' } : {});
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
    // A join proves itself with its join token; everything else with a read or write token.
    if (a === 'join' && !b && method === 'POST') return join(req);
    if (method === 'GET') options.access.requireRead(req.headers.authorization);
    else options.access.requireWrite(req.headers.authorization);
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
      const body = await readJson(req);
      if (!isPlainObject(body) || !Array.isArray(body.commands)) throw invalid('body must be {"commands": [ ... ]}');
      const command: Command = { type: 'batch', commands: body.commands.map((x, i) => objectCommandFrom(x, `commands[${i}]`)) };
      return write(services, command, requestId ?? body.requestId);
    }
    if (a === 'members') return members(method, b, c);
    if (a === 'join-tokens' && !b && method === 'POST') return joinToken(req);
    const kind = a !== undefined ? plural[a] : undefined;
    if (kind === undefined) throw new ApiError('NOT_FOUND', 404, `no route for ${method} /${parts.join('/')}`);
    if (b === undefined) {
      if (method === 'GET') return listObjects(services, kind, listQueryFrom(params), consistency());
      if (method === 'POST') {
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
        const value = await readJson(req);
        return write(services, { type: 'update', kind, id, value, ...cond }, requestId);
      }
      if (method === 'DELETE') {
        return write(services, { type: 'delete', kind, id, ...cond }, requestId);
      }
    }
    throw new ApiError('METHOD_NOT_ALLOWED', 405, `${method} is not allowed on /${parts.join('/')}`);
  }

  async function members(method: string, id: string | undefined, action: string | undefined): Promise<ApiResult> {
    if (method === 'POST' && id === undefined) {
      throw new ApiError('GONE', 410, 'boards join with a join token: run `raftlight join-token` against a voter, then start the new board with --join URL --join-token TOKEN');
    }
    if (id !== undefined && method === 'POST' && (action === 'promote' || action === 'demote')) {
      return { status: 200, body: await services.changeMember(action, { id: parseId(id) }) };
    }
    if (id !== undefined && action === undefined && method === 'DELETE') {
      return { status: 200, body: await services.changeMember('remove', { id: parseId(id) }) };
    }
    throw new ApiError('NOT_FOUND', 404, `no route for ${method} /v1/members${id ? '/' + id : ''}${action ? '/' + action : ''}`);
  }

  async function joinToken(req: IncomingMessage): Promise<ApiResult> {
    if (!services.issueJoinToken) throw new ApiError('NOT_FOUND', 404, 'this board issues no join tokens');
    const body = req.headers['content-length'] === '0' || req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined ? {} : await readJson(req);
    if (!isPlainObject(body)) throw invalid('body must be {"ttlSeconds": N} or empty');
    const ttl = body.ttlSeconds === undefined ? DEFAULT_JOIN_TOKEN_TTL_MS : typeof body.ttlSeconds === 'number' ? body.ttlSeconds * 1000 : NaN;
    return { status: 201, body: await services.issueJoinToken(ttl) };
  }

  async function join(req: IncomingMessage): Promise<ApiResult> {
    if (!services.join) throw new ApiError('NOT_FOUND', 404, 'this board admits no joins');
    const body = await readJson(req);
    if (!isPlainObject(body)) throw invalid('body must be {"id","host","port","verifier","token"}');
    const { id, host, port, verifier, token } = body;
    if (typeof id !== 'string' || typeof host !== 'string' || typeof port !== 'number' || typeof verifier !== 'string' || typeof token !== 'string') {
      throw invalid('body must be {"id","host","port","verifier","token"} (strings, port a number)');
    }
    return { status: 200, body: await services.join({ id, host, port, verifier, token }) };
  }
}
