// MQTT rules for everyone who is not a member board (members are handled by the
// transport's member auth, which calls these for non-member logins and non-raft
// topics). The access policy is the REST API's (src/api/access.ts):
//  - login: the password is the token; without one a client connects only when
//    anonymous reads are on (or writes are open); a wrong token is refused;
//  - subscribe: any topic but the raft tree (member auth keeps that);
//  - publish: nobody but the board publishes state/, events, status/ or raft/;
//    cmd/ requests are checked per operation by the request handler (and the
//    broker refuses every client's retained publish: only the board retains).
import type { AedesOptions, Client } from 'aedes';
import type { AccessPolicy, Grant } from '../api/access.ts';

export interface ApiAuthOptions {
  readonly cluster: string;
  readonly access: AccessPolicy;
}

type Hooks = Required<Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'>>;

/** What each connected non-member client may do (weak: forgotten on disconnect). */
const grants = new WeakMap<Client, Grant>();
/** Clients that logged in with a token (their sessions count apart from anonymous ones). */
const tokenHolders = new WeakSet<Client>();

/** The connection-cap class of a non-member client's session. */
export function sessionClassOf(client: Client): 'client' | 'anonymous' {
  return tokenHolders.has(client) ? 'client' : 'anonymous';
}

export function grantOfClient(client: Client | null | undefined): Grant {
  return client ? grants.get(client) ?? 'none' : 'none';
}

export function isWriter(client: Client | null | undefined): boolean {
  return grantOfClient(client) === 'write';
}

/** Why a publish was refused, with the MQTT 5 reason code a client should see. */
export class PublishRefusal extends Error {
  constructor(readonly reasonCode: number, message: string) {
    super(message);
    this.name = 'PublishRefusal';
  }
}

export function apiAuthHooks(o: ApiAuthOptions): Hooks {
  const prefix = `raftlight/${o.cluster}/`;
  const reserved = ['state/', 'events', 'status/', 'raft/', 'raft'];
  return {
    authenticate(client, _username, password, done) {
      const grant = o.access.grantOf(password);
      if (grant === 'bad-token') return done(Object.assign(new Error('bad username or password'), { returnCode: 4 as const }), false);
      if (grant === 'none') return done(Object.assign(new Error('credentials required'), { returnCode: 5 as const }), false);
      grants.set(client, grant);
      if (password !== undefined && password.length > 0) tokenHolders.add(client);
      return done(null, true);
    },
    authorizePublish(client, packet, callback) {
      if (client === null) return callback(null); // the board itself
      const topic = packet.topic;
      if (topic.startsWith(prefix) && reserved.some((r) => topic.slice(prefix.length).startsWith(r))) {
        return callback(new PublishRefusal(0x87, `${topic} is published by the board only`));
      }
      if (topic.startsWith('$')) return callback(new PublishRefusal(0x90, `${topic}: topics starting with $ are the broker's`));
      callback(null);
    },
    authorizeSubscribe(client, sub, callback) {
      const grant = grantOfClient(client);
      if (grant === 'none') return callback(null, null);
      callback(null, sub);
    },
  };
}
