// The secrets a board keeps in its data directory, each in its own file readable
// by the owner only: its member secret (what it proves to other boards), the
// write token a new one-board installation generated, and the member digests a
// joining board was given until its state has them.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirError } from './data-dir.ts';

export const MEMBER_SECRET_FILE = 'member.secret';
export const WRITE_TOKEN_FILE = 'write.token';
export const JOIN_TRUST_FILE = 'join-trust.json';

/** A new secret: 256 random bits, base64url (43 characters). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** What the state keeps of a secret or a token: its SHA-256, hex. */
export function digestOf(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time: does `given` hash to `digest`? */
export function matchesDigest(given: string | Buffer, digest: string): boolean {
  const want = Buffer.from(digest, 'hex');
  const got = createHash('sha256').update(given).digest();
  return want.length === got.length && timingSafeEqual(want, got);
}

/**
 * A founding board's member secret in a multi-board bootstrap: every founder
 * derives every founder's secret from the shared bootstrap secret, so they
 * agree on each other's digests without a channel between them.
 */
export function deriveFounderSecret(bootstrapSecret: string, cluster: string, id: string): string {
  return createHmac('sha256', bootstrapSecret).update(`raftlight member secret\n${cluster}\n${id}`).digest('base64url');
}

function readIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new DataDirError('DATA_DIR_NOT_WRITABLE', `cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Writes a file readable by the owner only, atomically (temp file, fsync, rename). */
export function writePrivateFile(dir: string, name: string, text: string): void {
  const path = join(dir, name);
  const temp = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(temp, 'w', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (err) {
    throw new DataDirError('DATA_DIR_NOT_WRITABLE', `cannot write ${path}: ${(err as Error).message}`);
  }
}

export function readMemberSecret(dir: string): string | null {
  const text = readIfExists(join(dir, MEMBER_SECRET_FILE));
  return text === null ? null : text.trim();
}

export function readWriteTokenFile(dir: string): string | null {
  const text = readIfExists(join(dir, WRITE_TOKEN_FILE));
  return text === null ? null : text.trim();
}

/** Member digests a join answer listed: who this board trusts until its own state says. */
export function readJoinTrust(dir: string): Map<string, string> {
  const text = readIfExists(join(dir, JOIN_TRUST_FILE));
  const out = new Map<string, string>();
  if (text === null) return out;
  try {
    const parsed = JSON.parse(text) as { verifiers?: unknown };
    if (typeof parsed.verifiers === 'object' && parsed.verifiers !== null) {
      for (const [id, v] of Object.entries(parsed.verifiers as Record<string, unknown>)) {
        if (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)) out.set(id, v);
      }
    }
  } catch {
    // A damaged file trusts nobody; the board joins again.
  }
  return out;
}

export function writeJoinTrust(dir: string, verifiers: ReadonlyMap<string, string>): void {
  writePrivateFile(dir, JOIN_TRUST_FILE, JSON.stringify({ verifiers: Object.fromEntries(verifiers) }) + '\n');
}
