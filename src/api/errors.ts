// API errors: a stable code, an HTTP status, a message; the same on REST and MQTT.
import type { FieldError } from '../model/index.ts';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** HTTP status of each rejection code the state machine can return. */
const applyStatus: Record<string, number> = {
  DECODE_FAILED: 400,
  INVALID: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  MEMBER_EXISTS: 409,
  REVISION_MISMATCH: 412,
  REFERENCE_MISSING: 422,
  REFERENCE_INVALID: 422,
  STILL_REFERENCED: 409,
  CONSTRAINT: 409,
  REQUEST_ID_REUSED: 409,
  JOIN_REFUSED: 403,
  LIMIT_REACHED: 429,
};

export function statusOfCode(code: string): number {
  return applyStatus[code] ?? 400;
}

export function invalid(message: string, fields: readonly FieldError[] = []): ApiError {
  return new ApiError('INVALID', 400, message, fields.length > 0 ? { fields } : {});
}

export interface ErrorBody {
  error: { code: string; message: string } & Record<string, unknown>;
}

export function errorBody(err: ApiError): ErrorBody {
  return { error: { code: err.code, message: err.message, ...err.details } };
}

/** Turns anything thrown into an ApiError, keeping stable codes from the layers below. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as Error & { code?: unknown; errors?: readonly FieldError[] };
  const code = typeof e.code === 'string' ? e.code : 'INTERNAL';
  switch (code) {
    case 'INVALID':
    case 'DECODE_FAILED':
    case 'INVALID_QUERY':
      return new ApiError(code, 400, e.message, e.errors && e.errors.length > 0 ? { fields: e.errors } : {});
    case 'COMPACTED':
      return new ApiError(code, 410, e.message);
    default:
      return new ApiError(code, 500, e.message ?? String(err));
  }
}
