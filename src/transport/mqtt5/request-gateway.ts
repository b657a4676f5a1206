// Serves requests published under a command prefix (raftlight/<cluster>/cmd/...).
//
// MQTT 5: the request carries the Response Topic and Correlation Data properties; the handler's
// answer is published through aedes to the response topic with the same Correlation Data (the
// requester, e.g. mosquitto_rr, is subscribed to it). MQTT 3.1.1 fallback (no properties): the
// request payload is a JSON object with "responseTopic" (string) and "correlationId" (string or
// number); the answer published to responseTopic is {"correlationId": ..., "response": <handler
// output parsed as JSON, or as a string when it is not JSON>}. Failures answer with
// {"error": {"code", "message"}} (plus "correlationId" in the fallback). A request without a
// response topic is still handled; its answer is dropped.
//
// The request is an ordinary publish too (subscribers of the cmd topics see it; restrict them
// with authorizeSubscribe). A response goes out only to a topic the requester may publish to.
import type { Aedes, Client } from 'aedes';
import type { IPublishPacket } from 'mqtt-packet';
import type { BrokerLogger, RequestErrorCode } from './broker-log.ts';

export interface RequestContext {
  readonly clientId: string;
  /** The username the client authenticated with (undefined when it sent none). */
  readonly username: string | undefined;
}

export type RequestHandler = (topic: string, payload: Buffer, context: RequestContext) => Promise<Buffer>;

export interface RequestOptions {
  /** Topic prefix that marks requests, e.g. "raftlight/main/cmd/" (must end with "/"). */
  readonly prefix: string;
  readonly onRequest: RequestHandler;
  /** Requests being handled at once across all clients; more are answered BUSY. Default 32. */
  readonly maxConcurrent?: number;
  /** Requests being handled at once for one client id; more are answered BUSY. Default 4. */
  readonly maxPerClient?: number;
  /** A handler slower than this is answered TIMEOUT. Default 10 s. */
  readonly timeoutMs?: number;
}

type Reply =
  | { readonly kind: 'properties'; readonly topic: string; readonly correlationData: Buffer | undefined }
  | { readonly kind: 'json'; readonly topic: string; readonly correlationId: string | number }
  | { readonly kind: 'none' };

type ReplyBody = { readonly ok: Buffer } | { readonly error: { readonly code: string; readonly message: string } };

/** Largest request payload the fallback parses looking for responseTopic/correlationId. */
const maxFallbackJsonBytes = 256 * 1024;

class RequestError extends Error {
  readonly code: RequestErrorCode;
  constructor(code: RequestErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export type PublishAuthorizer = (client: Client, packet: IPublishPacket) => Promise<boolean>;

export class RequestGateway {
  readonly #aedes: Aedes;
  readonly #options: Required<RequestOptions>;
  readonly #authorize: PublishAuthorizer;
  readonly #log: BrokerLogger;
  #active = 0;
  /** Active requests per client id; an entry exists only while > 0, so at most maxConcurrent entries. */
  readonly #activePerClient = new Map<string, number>();

  constructor(aedes: Aedes, options: RequestOptions, authorize: PublishAuthorizer, log: BrokerLogger) {
    if (!options.prefix.endsWith('/') || /[+#]/.test(options.prefix)) {
      throw new Error(`request prefix must end with "/" and contain no wildcard: ${JSON.stringify(options.prefix)}`);
    }
    this.#aedes = aedes;
    this.#options = { maxConcurrent: 32, maxPerClient: 4, timeoutMs: 10_000, ...options };
    this.#authorize = authorize;
    this.#log = log;
  }

  matches(topic: string): boolean {
    return topic.startsWith(this.#options.prefix);
  }

  /** Starts handling an authorized request; never throws, answers asynchronously. */
  handle(client: Client, packet: IPublishPacket, username: string | undefined): void {
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const reply = replyRoute(packet, payload);
    const clientId = client.id;
    void this.#run(client, packet.topic, payload, reply, { clientId, username })
      .catch((error: unknown) => this.#fail(packet.topic, clientId, error));
  }

  async #run(client: Client, topic: string, payload: Buffer, reply: Reply, context: RequestContext): Promise<void> {
    if (reply.kind !== 'none') await this.#checkResponseTopic(client, reply.topic);
    const perClient = this.#activePerClient.get(context.clientId) ?? 0;
    if (this.#active >= this.#options.maxConcurrent || perClient >= this.#options.maxPerClient) {
      const error = new RequestError('BUSY', 'too many requests in progress, retry later');
      this.#fail(topic, context.clientId, error);
      return this.#answer(reply, { error: { code: error.code, message: error.message } });
    }
    this.#active++;
    this.#activePerClient.set(context.clientId, perClient + 1);
    let body: ReplyBody;
    try {
      body = { ok: await this.#withTimeout(this.#options.onRequest(topic, payload, context)) };
    } catch (error) {
      // The handler's own error code (e.g. a model validation code) is what the requester sees.
      body = { error: { code: codeOf(error) ?? 'HANDLER_FAILED', message: messageOf(error) } };
      this.#fail(topic, context.clientId, error);
    } finally {
      this.#active--;
      const left = (this.#activePerClient.get(context.clientId) ?? 1) - 1;
      if (left > 0) this.#activePerClient.set(context.clientId, left);
      else this.#activePerClient.delete(context.clientId);
    }
    return this.#answer(reply, body);
  }

  async #checkResponseTopic(client: Client, topic: string): Promise<void> {
    if (topic.length === 0 || /[+#]/.test(topic) || this.matches(topic) || topic.startsWith('$')) {
      throw new RequestError('BAD_RESPONSE_TOPIC', `response topic ${JSON.stringify(topic)} is not allowed`);
    }
    const probe: IPublishPacket = { cmd: 'publish', topic, payload: Buffer.alloc(0), qos: 0, retain: false, dup: false };
    if (!(await this.#authorize(client, probe))) {
      throw new RequestError('RESPONSE_NOT_AUTHORIZED', `client may not publish to response topic ${JSON.stringify(topic)}`);
    }
  }

  #withTimeout(work: Promise<Buffer>): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new RequestError('TIMEOUT', `no answer within ${this.#options.timeoutMs} ms`)), this.#options.timeoutMs);
      work.then((value) => {
        clearTimeout(timer);
        if (Buffer.isBuffer(value)) resolve(value);
        else reject(new RequestError('HANDLER_FAILED', 'request handler did not return a Buffer'));
      }, (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  async #answer(reply: Reply, body: ReplyBody): Promise<void> {
    if (reply.kind === 'none') return;
    let payload: Buffer;
    const packet: IPublishPacket = { cmd: 'publish', topic: reply.topic, payload: Buffer.alloc(0), qos: 0, retain: false, dup: false };
    if (reply.kind === 'properties') {
      payload = 'ok' in body ? body.ok : Buffer.from(JSON.stringify({ error: body.error }));
      if (reply.correlationData) packet.properties = { correlationData: reply.correlationData };
    } else {
      const envelope = 'ok' in body
        ? { correlationId: reply.correlationId, response: parseOrString(body.ok) }
        : { correlationId: reply.correlationId, error: body.error };
      payload = Buffer.from(JSON.stringify(envelope));
    }
    packet.payload = payload;
    await new Promise<void>((resolve, reject) => {
      this.#aedes.publish(packet as IPublishPacket & { cmd: 'publish' }, (error?: Error) => {
        if (error) reject(new RequestError('PUBLISH_FAILED', error.message));
        else resolve();
      });
    });
  }

  #fail(topic: string, clientId: string, error: unknown): void {
    const code: RequestErrorCode = error instanceof RequestError ? error.code : 'HANDLER_FAILED';
    this.#log({ kind: 'request-failed', code, topic, clientId, message: messageOf(error) });
  }
}

function replyRoute(packet: IPublishPacket, payload: Buffer): Reply {
  const responseTopic = packet.properties?.responseTopic;
  if (responseTopic !== undefined) {
    return { kind: 'properties', topic: responseTopic, correlationData: packet.properties?.correlationData };
  }
  if (payload.length === 0 || payload.length > maxFallbackJsonBytes || payload[0] !== 0x7b /* { */) return { kind: 'none' };
  try {
    const json: unknown = JSON.parse(payload.toString('utf8'));
    if (json === null || typeof json !== 'object') return { kind: 'none' };
    const { responseTopic: topic, correlationId } = json as { responseTopic?: unknown; correlationId?: unknown };
    if (typeof topic !== 'string') return { kind: 'none' };
    const id = typeof correlationId === 'string' || typeof correlationId === 'number' ? correlationId : '';
    return { kind: 'json', topic, correlationId: id };
  } catch {
    return { kind: 'none' };
  }
}

function parseOrString(bytes: Buffer): unknown {
  const text = bytes.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function codeOf(error: unknown): string | undefined {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}
