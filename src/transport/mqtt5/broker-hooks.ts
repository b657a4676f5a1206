// Wraps the integrator's aedes hooks with what the MQTT 5 adapter and the request gateway need:
// remember who authenticated, unwrap property envelopes published by v5 sessions, hand
// authorized requests to the gateway, and wrap properties again for deliveries to v5 sessions.
import type { AedesOptions, Client } from 'aedes';
import type { IPublishPacket } from 'mqtt-packet';
import { carriedProperties, type PropertyEnvelope } from './property-envelope.ts';
import type { PublishAuthorizer, RequestGateway } from './request-gateway.ts';

export type BrokerHooks = Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward' | 'preConnect'>;
type AuthorizePublish = NonNullable<AedesOptions['authorizePublish']>;

/** A publish refused with the MQTT 5 reason code a client should see. */
export interface PublishVerdict {
  readonly reasonCode: number;
  readonly reason: string;
}

export interface HookDeps {
  readonly envelope: PropertyEnvelope;
  /**
   * A client logged in: may its session start (caps per class and address)? A refusal
   * names the MQTT 5 reason code; MQTT 3.1.1 clients get "server unavailable".
   */
  admitSession?(client: Client): PublishVerdict | null;
  /** Largest will message a client may leave (it is kept in memory until the client goes). */
  readonly maxWillBytes: number;
  /** True when the client is the internal session of an MQTT 5 connection. */
  isV5Session(client: Client): boolean;
  /** Set once the gateway exists (it needs the aedes instance these hooks configure). */
  gateway(): RequestGateway | undefined;
}

/** aedes's own default: $SYS is the broker's. */
const defaultAuthorizePublish: AuthorizePublish = (_client, packet, callback) => {
  callback(packet.topic.startsWith('$SYS/') ? new Error('$SYS/ topic is reserved') : null);
};

export interface ComposedHooks {
  readonly hooks: BrokerHooks;
  /** The integrator's publish rule as a promise, used to vet response topics. */
  readonly authorizePublish: PublishAuthorizer;
  /**
   * The integrator's publish rule for an MQTT 5 session's publish, answered at once when the rule
   * answers synchronously: a refusal (sent as PUBACK/PUBREC or DISCONNECT reason) or null (pass it on).
   */
  vetPublish(conn: object, packet: IPublishPacket): PublishVerdict | null;
}

/** The reason code carried by a refusal (an Error with a numeric reasonCode), else "not authorized". */
export function verdictOf(error: Error): PublishVerdict {
  const code = (error as Error & { reasonCode?: unknown }).reasonCode;
  return { reasonCode: typeof code === 'number' ? code : 0x87, reason: error.message };
}

export function composeHooks(user: BrokerHooks | undefined, deps: HookDeps): ComposedHooks {
  // Keyed by the aedes client object, so entries go away with the connection.
  const usernames = new WeakMap<Client, string | undefined>();
  // The aedes client of each connection stream (MQTT 5 sessions look theirs up to vet publishes).
  const clientsByConn = new WeakMap<object, Client>();
  const userAuthorizePublish = user?.authorizePublish ?? defaultAuthorizePublish;

  const hooks: BrokerHooks = {
    authenticate(client, username, password, callback) {
      const done: typeof callback = (error, success) => {
        if (!error && success) {
          const refused = deps.admitSession?.(client) ?? null;
          if (refused !== null) {
            (client.conn as { connackReason?: number }).connackReason = refused.reasonCode;
            callback(Object.assign(new Error(refused.reason), { returnCode: 3 as const }), false);
            return;
          }
          usernames.set(client, username);
          clientsByConn.set(client.conn, client);
        }
        callback(error, success);
      };
      if (user?.authenticate) user.authenticate(client, username, password, done);
      else done(null, true);
    },
    preConnect(client, packet, callback) {
      // Sessions end with their connection: nothing is queued for clients that are gone.
      packet.clean = true;
      const will = packet.will;
      const willBytes = will ? (typeof will.payload === 'string' ? Buffer.byteLength(will.payload) : will.payload.byteLength) : 0;
      if (willBytes > deps.maxWillBytes) return callback(new Error(`will message of ${willBytes} bytes (limit ${deps.maxWillBytes})`), false);
      if (user?.preConnect) return user.preConnect(client, packet, callback);
      callback(null, true);
    },
    authorizePublish(client, packet, callback) {
      if (client && deps.isV5Session(client)) {
        const raw = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
        const { payload, properties } = deps.envelope.unwrap(raw);
        if (properties) {
          packet.payload = payload;
          packet.properties = properties;
        }
      }
      // Only the board retains (its own state and status topics): a client's retained
      // message would stay in memory with no owner and no bound.
      if (client !== null && packet.retain) {
        return callback(Object.assign(new Error('retained messages are not accepted from clients: only the board retains its own topics'), { reasonCode: 0x9a }));
      }
      userAuthorizePublish(client, packet, (error) => {
        const gateway = deps.gateway();
        if (!error && client && gateway?.matches(packet.topic)) gateway.handle(client, packet, usernames.get(client));
        callback(error);
      });
    },
    authorizeForward(client, packet) {
      const forwarded = user?.authorizeForward ? user.authorizeForward(client, packet) : packet;
      if (!forwarded || !deps.isV5Session(client)) return forwarded;
      const carried = carriedProperties(forwarded.properties);
      if (!carried) return forwarded;
      const raw = typeof forwarded.payload === 'string' ? Buffer.from(forwarded.payload) : forwarded.payload;
      return { ...forwarded, payload: deps.envelope.wrap(raw, carried) };
    },
  };
  if (user?.authorizeSubscribe) hooks.authorizeSubscribe = user.authorizeSubscribe;

  const authorizePublish: PublishAuthorizer = (client, packet) => new Promise<boolean>((resolve) => {
    try {
      userAuthorizePublish(client, packet as IPublishPacket & { cmd: 'publish' } as Parameters<AuthorizePublish>[1], (error) => resolve(!error));
    } catch {
      resolve(false);
    }
  });
  const vetPublish = (conn: object, packet: IPublishPacket): PublishVerdict | null => {
    const client = clientsByConn.get(conn);
    if (client === undefined) return null;
    let verdict: PublishVerdict | null = null;
    try {
      userAuthorizePublish(client, packet as Parameters<AuthorizePublish>[1], (error) => {
        if (error) verdict = verdictOf(error);
      });
    } catch (error) {
      verdict = verdictOf(error as Error);
    }
    return verdict;
  };
  return { hooks, authorizePublish, vetPublish };
}
