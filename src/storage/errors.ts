// Storage errors carry stable codes that operators and the board runtime match on.

export type StorageErrorCode =
  | 'WAL_CORRUPT'
  | 'WAL_SEGMENT_MISSING'
  | 'WAL_WRITE_FAILED'
  | 'WAL_CLOSED'
  | 'WAL_RECORD_TOO_LARGE'
  | 'WAL_BUFFER_FULL'
  | 'SNAPSHOT_CORRUPT'
  | 'SNAPSHOT_WRITE_FAILED'
  | 'SNAPSHOT_TRANSFER_INVALID'
  | 'DATA_DIR_LOCKED'
  | 'DATA_DIR_NOT_WRITABLE'
  | 'LOG_INVALID_APPEND';

export class StorageError extends Error {
  constructor(readonly code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
  }
}

/** The log on disk cannot be trusted: the board must stop rather than lose committed data. */
export class WalCorruptError extends StorageError {
  constructor(
    code: 'WAL_CORRUPT' | 'WAL_SEGMENT_MISSING',
    readonly file: string,
    readonly offset: number,
    reason: string,
  ) {
    super(code, `${code === 'WAL_CORRUPT' ? 'write-ahead log corrupt' : 'write-ahead log segment missing'}: ${reason} (file ${file}, byte offset ${offset})`);
    this.name = 'WalCorruptError';
  }
}

/** A write or fsync failed; nothing in the failed batch was acknowledged. The WAL refuses further writes. */
export class WalWriteError extends StorageError {
  constructor(readonly file: string, cause: unknown) {
    const errno = (cause as { code?: unknown } | null)?.code;
    const hint = errno === 'ENOSPC' ? 'no space left on device (ENOSPC); free space and restart the board' : String((cause as Error | null)?.message ?? cause);
    super('WAL_WRITE_FAILED', `write-ahead log write failed on ${file}: ${hint}`, { cause });
    this.name = 'WalWriteError';
  }
}
