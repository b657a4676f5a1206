// MQTT rules for everyone who is not a member board (members are handled by
// the transport's member auth, which calls these for non-member logins and
// non-raft topics):
//  - login: anonymous allowed; with a write token set, a password must match it
//    (username free) and such clients may write through cmd/ topics;
//  - subscribe: state/, events, status/ and reply topics; anonymous only when anonymousRead;
//  - publish: cmd/ topics (the request handler checks write rights per
//    operation); nobody but the board itself publishes state/, events or status/.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { AedesOptions, Client } from 'aedes';

export interface ApiAuthOptions {
  cluster: string;
  writeToken: string | undefined;
  anonymousRead: boolean;
}

type Hooks = Required<Pick<AedesOptions, 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'>>;

/** Clients that logged in with the write token (weak: forgotten on disconnect). */
const writers = new WeakSet<Client>();
/** Clients that logged in with any credentials. */
const authenticated = new WeakSet<Client>();

export function isWriter(client: Client | null | undefined, writeToken: string | undefined): boolean {
  if (writeToken === undefined) return true;
  return client !== null && client !== undefined && writers.has(client);
}

const digest = (v: string | Buffer): Buffer => createHash('sha256').update(v).digest();

export function apiAuthHooks(o: ApiAuthOptions): Hooks {
  const prefix = `raftlight/${o.cluster}/`;
  const reserved = ['state/', 'events', 'status/', 'raft/'];
  return {
    authenticate(client, username, password, done) {
      if (password === undefined || password.length === 0) {
        if (o.writeToken === undefined || o.anonymousRead) return done(null, true);
        return done(Object.assign(new Error('credentials required'), { returnCode: 4 as const }), false);
      }
      if (o.writeToken === undefined) {
        authenticated.add(client);
        writers.add(client);
        return done(null, true);
      }
      if (timingSafeEqual(digest(password), digest(o.writeToken))) {
        authenticated.add(client);
        writers.add(client);
        return done(null, true);
      }
      return done(Object.assign(new Error('bad username or password'), { returnCode: 4 as const }), false);
    },
    authorizePublish(client, packet, callback) {
      if (client === null) return callback(null); // the board itself
      const topic = packet.topic;
      if (topic.startsWith(prefix) && reserved.some((r) => topic.slice(prefix.length).startsWith(r))) {
        return callback(new Error(`${topic} is published by the board only`));
      }
      callback(null);
    },
    authorizeSubscribe(client, sub, callback) {
      const mayRead = o.anonymousRead || o.writeToken === undefined || authenticated.has(client);
      if (!mayRead && (sub.topic.startsWith(prefix) || sub.topic.startsWith('#') || sub.topic.startsWith('+'))) {
        return callback(null, null);
      }
      callback(null, sub);
    },
  };
}
