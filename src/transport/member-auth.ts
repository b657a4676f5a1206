// Broker hooks that reserve the Raft topics of a board's broker for cluster members.
//
// A member logs in with username = its board id, password = its own member secret (the
// installation keeps only the secret's SHA-256, per board) and client id = raftlight-<cluster>-<id>. Members may publish only to the broker owner's raft
// topics and subscribe only to their own; nobody else may touch raftlight/<cluster>/raft/#.
// Everything else (non-member logins, non-raft topics) is delegated to a fallback, so the
// API's own rules compose with these; without a fallback it is refused.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AedesOptions, Client } from 'aedes';
import type { NodeId } from '../raft/types.ts';
import { validateNodeId } from './codec.ts';
import {
  chunkTopic, filterTouchesRaft, isRaftTopic, memberClientId, memberIdFromClientId, messageTopic, parseRaftTopic,
  validateClusterName,
} from './peer-topics.ts';
import { defaultMaxPayloadBytes } from './peer-limits.ts';

type Authenticate = NonNullable<AedesOptions['authenticate']>;
type AuthorizePublish = NonNullable<AedesOptions['authorizePublish']>;
type AuthorizeSubscribe = NonNullable<AedesOptions['authorizeSubscribe']>;
type AuthorizeForward = NonNullable<AedesOptions['authorizeForward']>;

export interface BrokerAuthHooks {
  authenticate: Authenticate;
  authorizePublish: AuthorizePublish;
  authorizeSubscribe: AuthorizeSubscribe;
  /** Defence in depth: aedes calls it per delivered packet (needs broker.ts to pass it through). */
  authorizeForward: AuthorizeForward;
}

export type AuthEventCode =
  | 'AUTH_MEMBER_REFUSED'
  | 'AUTH_RESERVED_CLIENT_ID'
  | 'AUTH_RAFT_PUBLISH_REFUSED'
  | 'AUTH_RAFT_PAYLOAD_TOO_LARGE'
  | 'AUTH_RAFT_SUBSCRIBE_REFUSED';

export interface AuthEvent {
  readonly code: AuthEventCode;
  readonly clientId: string;
  readonly detail: string;
}

export interface MemberAuthOptions {
  readonly cluster: string;
  /** The board whose broker these hooks guard: members may publish only to its raft topics. */
  readonly self: NodeId;
  /** The SHA-256 (hex) of board `id`'s member secret; undefined for a board that is not a member. */
  readonly verifierOf: (id: NodeId) => string | undefined;
  /** Largest payload accepted on a raft topic; bigger ones close the publisher's connection. */
  readonly maxRaftPayloadBytes?: number;
  /** Rules for non-member logins and non-raft topics. Missing hooks refuse. */
  readonly fallback?: Partial<Pick<BrokerAuthHooks, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>>;
  /** Called for every refusal (rate-limit in the caller if it logs to disk). */
  readonly log?: (event: AuthEvent) => void;
}

export interface MemberAuthCounters {
  authRefused: number;
  publishRefused: number;
  oversizedRefused: number;
  subscribeRefused: number;
}

export interface MemberAuth {
  /** Pass to startBroker({ hooks }) (authorizeForward is extra, see BrokerAuthHooks). */
  readonly hooks: BrokerAuthHooks;
  /** The board id of an authenticated member client, or undefined. */
  memberOf(client: Client | null): NodeId | undefined;
  /** Closes member sessions whose credential is gone (removed member); returns how many. */
  disconnectRevoked(): number;
  readonly counters: Readonly<MemberAuthCounters>;
}

function digest(secret: string | Uint8Array): Buffer {
  return createHash('sha256').update(secret).digest();
}

export function createMemberAuth(options: MemberAuthOptions): MemberAuth {
  const { cluster, self, fallback = {} } = options;
  validateClusterName(cluster);
  validateNodeId(self);
  const maxPayload = options.maxRaftPayloadBytes ?? defaultMaxPayloadBytes;
  // Authenticated member clients; weak, so a disconnected client is simply forgotten.
  const members = new WeakMap<Client, NodeId>();
  // The same clients with the digest they proved, to end sessions whose credential went away
  // (closed ones are dropped at every login: at most one entry per member and connection).
  const live = new Map<Client, string>();
  const counters: MemberAuthCounters = { authRefused: 0, publishRefused: 0, oversizedRefused: 0, subscribeRefused: 0 };
  const log = (code: AuthEventCode, client: Client | null, detail: string): void => {
    options.log?.({ code, clientId: client?.id ?? '(broker)', detail });
  };

  const refuseLogin = (code: 4 | 5, message: string): Parameters<Parameters<Authenticate>[3]>[0] =>
    Object.assign(new Error(message), { returnCode: code });

  const authenticate: Authenticate = (client, username, password, done) => {
    const claimsMember = memberIdFromClientId(cluster, client.id) !== null;
    if (username !== undefined && password !== undefined && isValidId(username)) {
      // Comparing fixed-size digests keeps the comparison constant-time whatever the lengths.
      const verifier = options.verifierOf(username);
      const expected = verifier === undefined ? null : Buffer.from(verifier, 'hex');
      const ok = expected !== null && expected.length === 32 && timingSafeEqual(digest(password), expected);
      if (ok && client.id === memberClientId(cluster, username)) {
        members.set(client, username);
        for (const [c] of live) if (c.closed) live.delete(c);
        live.set(client, verifier!);
        return done(null, true);
      }
      if (ok || claimsMember) {
        counters.authRefused++;
        log('AUTH_MEMBER_REFUSED', client, `member login refused for ${JSON.stringify(username)}${verifier === undefined ? ' (not a member of this board\'s installation)' : ''}`);
        return done(refuseLogin(4, 'bad member credentials or client id'), false);
      }
    }
    // Member client ids are reserved: a takeover would cut a member's session.
    if (claimsMember) {
      counters.authRefused++;
      log('AUTH_RESERVED_CLIENT_ID', client, 'member client id used without member credentials');
      return done(refuseLogin(4, 'client id reserved for cluster members'), false);
    }
    if (fallback.authenticate) return fallback.authenticate(client, username, password, done);
    counters.authRefused++;
    return done(refuseLogin(5, 'not authorized'), false);
  };

  const authorizePublish: AuthorizePublish = (client, packet, callback) => {
    if (!isRaftTopic(cluster, packet.topic)) {
      if (fallback.authorizePublish) return fallback.authorizePublish(client, packet, callback);
      return callback(new Error('publish not authorized'));
    }
    const member = client ? members.get(client) : undefined;
    const target = parseRaftTopic(cluster, packet.topic);
    if (member === undefined || target === null || target.to !== self || packet.retain || packet.qos !== 0) {
      counters.publishRefused++;
      log('AUTH_RAFT_PUBLISH_REFUSED', client, `publish to ${packet.topic} refused`);
      return callback(new Error('raft topics are reserved for cluster members'));
    }
    const size = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.byteLength;
    if (size > maxPayload) {
      counters.oversizedRefused++;
      log('AUTH_RAFT_PAYLOAD_TOO_LARGE', client, `${size} bytes on ${packet.topic} (limit ${maxPayload})`);
      return callback(new Error('raft payload too large'));
    }
    callback(null);
  };

  const authorizeSubscribe: AuthorizeSubscribe = (client, sub, callback) => {
    // Installers watch everything with `#` or `raftlight/#`: such broad filters are allowed
    // (by the fallback), and authorizeForward keeps raft traffic away from non-members.
    if (!filterTouchesRaft(cluster, sub.topic) || isBroadWildcard(cluster, sub.topic)) {
      if (fallback.authorizeSubscribe) return fallback.authorizeSubscribe(client, sub, callback);
      return callback(null, null);
    }
    const member = members.get(client);
    if (member !== undefined && (sub.topic === messageTopic(cluster, member) || sub.topic === chunkTopic(cluster, member))) {
      return callback(null, sub);
    }
    counters.subscribeRefused++;
    log('AUTH_RAFT_SUBSCRIBE_REFUSED', client, `subscription to ${sub.topic} refused`);
    // A null subscription is a SUBACK failure (0x80); the connection stays up.
    callback(null, null);
  };

  const authorizeForward: AuthorizeForward = (client, packet) => {
    if (isRaftTopic(cluster, packet.topic)) {
      const member = members.get(client);
      const target = parseRaftTopic(cluster, packet.topic);
      return member !== undefined && target !== null && target.to === member ? packet : null;
    }
    return fallback.authorizeForward ? fallback.authorizeForward(client, packet) : packet;
  };

  const disconnectRevoked = (): number => {
    let closed = 0;
    for (const [client, verifier] of live) {
      const id = members.get(client);
      if (client.closed || id === undefined) {
        live.delete(client);
      } else if (options.verifierOf(id) !== verifier) {
        live.delete(client);
        log('AUTH_MEMBER_REFUSED', client, `member ${id} is no longer a member (or its credential changed): session closed`);
        client.close();
        closed++;
      }
    }
    return closed;
  };

  return {
    hooks: { authenticate, authorizePublish, authorizeSubscribe, authorizeForward },
    memberOf: (client) => (client ? members.get(client) : undefined),
    disconnectRevoked,
    counters,
  };
}

/** `#`, `raftlight/#`, `raftlight/<cluster>/#`: filters that reach the raft tree only by a trailing `#`. */
function isBroadWildcard(cluster: string, filter: string): boolean {
  return filter === '#' || filter === 'raftlight/#' || filter === `raftlight/${cluster}/#`;
}

function isValidId(id: string): boolean {
  try {
    validateNodeId(id);
    return true;
  } catch {
    return false;
  }
}
