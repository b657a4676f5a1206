// Credentials given explicitly (tokens, the bootstrap secret) must be hard to
// guess: a board refuses to start with a short or obviously weak one rather
// than run an installation anyone on the network can write to.
import { ConfigError } from './config.ts';

/** Values seen in documentation and old defaults: refused whatever their length. */
const KNOWN_WEAK = new Set(['raftlight-dev-secret', 'changeme', 'password', 'secret', 'token', 'admin']);
/** Fewer distinct characters than this is a pattern, not a secret. */
const MIN_DISTINCT_CHARACTERS = 8;

/** Refuses (ConfigError, exit 2) a credential shorter than minChars or visibly patterned. */
export function checkCredentialStrength(flag: string, value: string, minChars: number): void {
  const hint = 'generate one with: openssl rand -base64 32';
  if (KNOWN_WEAK.has(value.toLowerCase())) throw new ConfigError('WEAK_CREDENTIAL', `--${flag} is a well-known value; ${hint}`);
  if (value.length < minChars) {
    throw new ConfigError('WEAK_CREDENTIAL', `--${flag} is ${value.length} characters long; it needs at least ${minChars} (${hint})`);
  }
  if (new Set(value).size < MIN_DISTINCT_CHARACTERS) {
    throw new ConfigError('WEAK_CREDENTIAL', `--${flag} uses fewer than ${MIN_DISTINCT_CHARACTERS} different characters; ${hint}`);
  }
  if (/\s/.test(value)) throw new ConfigError('BAD_VALUE', `--${flag} must not contain whitespace`);
}

export const MIN_TOKEN_CHARS = 16;
export const MIN_BOOTSTRAP_SECRET_CHARS = 32;
