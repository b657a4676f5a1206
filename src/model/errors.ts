// Errors of the model layer. `code` strings are stable: APIs and tests match on them.

/** One problem with one field; `path` is like `levels[2].level` ('' for the whole value). */
export interface FieldError {
  readonly path: string;
  readonly message: string;
}

export type Validation<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly FieldError[] };

export function formatFieldErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => (e.path === '' ? e.message : `${e.path}: ${e.message}`)).join('; ');
}

/** A value failed its schema (thrown by `assertValid`, for the API edge). */
export class ModelValidationError extends Error {
  readonly code = 'INVALID';
  constructor(readonly errors: readonly FieldError[]) {
    super(`invalid value: ${formatFieldErrors(errors)}`);
    this.name = 'ModelValidationError';
  }
}

/** Command bytes that are not a well-formed command envelope. */
export class CommandDecodeError extends Error {
  readonly code = 'DECODE_FAILED';
  constructor(
    message: string,
    readonly errors: readonly FieldError[] = [],
  ) {
    super(errors.length > 0 ? `${message}: ${formatFieldErrors(errors)}` : message);
    this.name = 'CommandDecodeError';
  }
}

/** An envelope too large to encode (answer 413 at the API edge; split the batch). */
export class CommandTooLargeError extends Error {
  readonly code = 'TOO_LARGE';
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`command is ${bytes} bytes, more than the limit of ${limit}: split it into smaller batches`);
    this.name = 'CommandTooLargeError';
  }
}
