// The board's certificate, key and CA bundle, read once at start: a missing or
// unreadable file is a clear start-up error, not a handshake failure later.
import { readFileSync } from 'node:fs';
import type { StartConfig } from '../cli/start-config.ts';
import { DataDirError } from './data-dir.ts';

export interface TlsFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Undefined: verify peers against the system's CA store (--tls-ca system). */
  readonly ca: Buffer | undefined;
}

function read(what: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new DataDirError('TLS_FILE_UNREADABLE', `cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

/** The CA bundle named by --tls-ca, or undefined for the system store (or no option). */
export function readTlsCa(config: StartConfig): Buffer | undefined {
  return config.tlsCa === undefined || config.tlsCa === 'system' ? undefined : read('TLS CA bundle', config.tlsCa);
}

export function readTlsFiles(config: StartConfig): TlsFiles | undefined {
  if (config.tls === undefined) return undefined;
  return { cert: read('TLS certificate', config.tls.cert), key: read('TLS key', config.tls.key), ca: readTlsCa(config) };
}
