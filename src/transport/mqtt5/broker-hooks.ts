// Wraps the integrator's aedes hooks with what the MQTT 5 adapter and the request gateway need:
// remember who authenticated, unwrap property envelopes published by v5 sessions, hand
// authorized requests to the gateway, and wrap properties again for deliveries to v5 sessions.
import type { AedesOptions, Client } from 'aedes';
import type { IPublishPacket } from 'mqtt-packet';
import { carriedProperties, type PropertyEnvelope } from './property-envelope.ts';
import type { PublishAuthorizer, RequestGateway } from './request-gateway.ts';

export type BrokerHooks = Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward' | 'preConnect'>;
type AuthorizePublish = NonNullable<AedesOptions['authorizePublish']>;

export interface HookDeps {
  readonly envelope: PropertyEnvelope;
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
}

export function composeHooks(user: BrokerHooks | undefined, deps: HookDeps): ComposedHooks {
  // Keyed by the aedes client object, so entries go away with the connection.
  const usernames = new WeakMap<Client, string | undefined>();
  const userAuthorizePublish = user?.authorizePublish ?? defaultAuthorizePublish;

  const hooks: BrokerHooks = {
    authenticate(client, username, password, callback) {
      const done: typeof callback = (error, success) => {
        if (!error && success) usernames.set(client, username);
        callback(error, success);
      };
      if (user?.authenticate) user.authenticate(client, username, password, done);
      else done(null, true);
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
  if (user?.preConnect) hooks.preConnect = user.preConnect;

  const authorizePublish: PublishAuthorizer = (client, packet) => new Promise<boolean>((resolve) => {
    try {
      userAuthorizePublish(client, packet as IPublishPacket & { cmd: 'publish' } as Parameters<AuthorizePublish>[1], (error) => resolve(!error));
    } catch {
      resolve(false);
    }
  });
  return { hooks, authorizePublish };
}
