// One-line logs on stderr: `2026-01-01T00:00:00.000Z info  board-1 message {json}`.
// stdout stays free for command output (status, version).
export type Level = 'error' | 'warn' | 'info' | 'debug';

const rank: Record<Level, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
  child(name: string): Logger;
}

export function createLogger(name: string, level: Level = 'info', write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const max = rank[level];
  const emit = (lvl: Level, msg: string, fields?: Record<string, unknown>): void => {
    if (rank[lvl] > max) return;
    const extra = fields && Object.keys(fields).length > 0 ? ' ' + safeJson(fields) : '';
    write(`${new Date().toISOString()} ${lvl.padEnd(5)} ${name} ${msg}${extra}\n`);
  };
  return {
    error: (m, f) => emit('error', m, f),
    warn: (m, f) => emit('warn', m, f),
    info: (m, f) => emit('info', m, f),
    debug: (m, f) => emit('debug', m, f),
    child: (sub) => createLogger(`${name}/${sub}`, level, write),
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (v instanceof Error ? { message: v.message, code: (v as { code?: unknown }).code } : v));
  } catch {
    return '"<unserializable>"';
  }
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = createLogger('silent', 'error', () => {});

/**
 * Lets at most `burst` messages through per `intervalMs` (hostile clients must
 * not be able to fill the disk with log lines); the next message that passes
 * says how many were suppressed. Holds one counter: constant memory.
 */
export function rateLimited(emit: (msg: string, fields: Record<string, unknown>) => void, burst = 20, intervalMs = 10_000): (msg: string, fields: Record<string, unknown>) => void {
  let windowStart = 0;
  let passed = 0;
  let suppressed = 0;
  return (msg, fields) => {
    const now = Date.now();
    if (now - windowStart >= intervalMs) {
      windowStart = now;
      passed = 0;
    }
    if (passed >= burst) {
      suppressed++;
      return;
    }
    passed++;
    emit(msg, suppressed > 0 ? { ...fields, suppressedBefore: suppressed } : fields);
    suppressed = 0;
  };
}
