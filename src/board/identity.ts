// A board's own credentials, settled before anything listens: its member secret
// (generated, derived for a multi-board bootstrap, or kept from an earlier
// start) and the installation's write token when a new one-board installation
// has to make one. Nothing here has a default value.
import { join } from 'node:path';
import type { StartConfig } from '../cli/start-config.ts';
import { ConfigError } from '../cli/config.ts';
import { DataDirError } from './data-dir.ts';
import {
  WRITE_TOKEN_FILE, deriveFounderSecret, digestOf, newSecret, readMemberSecret, readWriteTokenFile, writePrivateFile, MEMBER_SECRET_FILE,
} from './credentials-file.ts';
import type { Logger } from './log.ts';

export interface BoardIdentity {
  /** What this board presents (as MQTT password) to other boards' brokers. */
  readonly secret: string;
  /** Bootstrapping only: the founding boards' member digests, the same on every founder. */
  readonly founders: Readonly<Record<string, string>> | null;
}

export interface BootstrapCase {
  /** The data directory holds nothing yet. */
  readonly fresh: boolean;
  /** A fresh voter without --join founds a new installation. */
  readonly founding: boolean;
}

export function bootstrapCase(config: StartConfig, fresh: boolean): BootstrapCase {
  return { fresh, founding: fresh && config.role === 'voter' && config.join === undefined };
}

export function prepareIdentity(config: StartConfig, c: BootstrapCase, log: Logger): BoardIdentity {
  const dir = config.dataDir;
  const kept = readMemberSecret(dir);
  if (c.founding) {
    const founders = config.peers.length > 0 ? config.peers.map((p) => p.id) : [config.id];
    let secret: string;
    let digests: Record<string, string>;
    if (founders.length > 1) {
      if (config.bootstrapSecret === undefined) {
        throw new ConfigError('BOOTSTRAP_SECRET_MISSING', `--peers names ${founders.length} founding boards: give every one the same --bootstrap-secret (at least 32 characters; openssl rand -base64 32)`);
      }
      const bootstrapSecret = config.bootstrapSecret;
      digests = Object.fromEntries(founders.map((id) => [id, digestOf(deriveFounderSecret(bootstrapSecret, config.cluster, id))]));
      secret = deriveFounderSecret(bootstrapSecret, config.cluster, config.id);
    } else {
      secret = kept ?? newSecret();
      digests = { [config.id]: digestOf(secret) };
    }
    if (kept !== secret) writePrivateFile(dir, MEMBER_SECRET_FILE, secret + '\n');
    return { secret, founders: digests };
  }
  if (config.bootstrapSecret !== undefined && !c.fresh) {
    log.debug('--bootstrap-secret is only read while the data directory is new; this board keeps its own member secret');
  }
  if (kept !== null) return { secret: kept, founders: null };
  if (!c.fresh) {
    throw new DataDirError('MEMBER_SECRET_MISSING', `${join(dir, MEMBER_SECRET_FILE)} is missing, so this board cannot prove who it is to the others: remove it from the installation (DELETE /v1/members/${config.id}), empty its data directory and let it join again`);
  }
  // A board waiting to join (or to be added) makes its secret now and keeps it across restarts.
  const secret = newSecret();
  writePrivateFile(dir, MEMBER_SECRET_FILE, secret + '\n');
  return { secret, founders: null };
}

/** The write token this board checks writes against: the option, else the data directory's file, else none. */
export function resolveWriteToken(config: StartConfig, c: BootstrapCase, log: Logger): string | undefined {
  if (config.writeToken !== undefined || config.openWrites) return config.writeToken;
  const kept = readWriteTokenFile(config.dataDir);
  if (kept !== null) return kept;
  if (!c.founding) return undefined;
  if (config.peers.length > 1) {
    throw new ConfigError('WRITE_TOKEN_MISSING', 'a bootstrap of several boards needs the same --write-token on every founding board (at least 16 characters; openssl rand -base64 24)');
  }
  const token = newSecret();
  writePrivateFile(config.dataDir, WRITE_TOKEN_FILE, token + '\n');
  log.info('no --write-token given: generated the installation\'s write token', { file: join(config.dataDir, WRITE_TOKEN_FILE) });
  return token;
}
