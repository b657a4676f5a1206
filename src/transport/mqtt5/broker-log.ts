// What the broker reports about connections and requests it refused or that failed.
import type { ConnectionErrorCode } from './errors.ts';

export type RequestErrorCode = 'BUSY' | 'TIMEOUT' | 'HANDLER_FAILED' | 'BAD_RESPONSE_TOPIC' | 'RESPONSE_NOT_AUTHORIZED' | 'PUBLISH_FAILED';

export type BrokerLogEntry =
  | { readonly kind: 'connection-closed'; readonly code: ConnectionErrorCode; readonly message: string; readonly remote: string; readonly protocol?: 3 | 4 | 5 }
  | { readonly kind: 'client-error'; readonly clientId: string | null; readonly message: string }
  | { readonly kind: 'request-failed'; readonly code: RequestErrorCode; readonly topic: string; readonly clientId: string; readonly message: string };

export type BrokerLogger = (entry: BrokerLogEntry) => void;

/** Default logger: one line per entry on stderr. */
export const logToStderr: BrokerLogger = (entry) => {
  process.stderr.write(`mqtt-broker ${JSON.stringify(entry)}\n`);
};
