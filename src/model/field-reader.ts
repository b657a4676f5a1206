// A tiny hand-written validator: reads fields of an untrusted object, collects
// every problem with its path, and rejects fields it was not told about.
// (No schema library: the model is small and the errors must be exact.)
import type { FieldError } from './errors.ts';
import { isObjectId } from './ids.ts';

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function joinPath(prefix: string, key: string | number): string {
  if (typeof key === 'number') return `${prefix}[${key}]`;
  return prefix === '' ? key : `${prefix}.${key}`;
}

export interface StringRule {
  readonly min: number;
  readonly max: number;
  readonly pattern?: RegExp;
  readonly patternHint?: string;
}

export class FieldReader {
  private readonly record: Record<string, unknown>;
  readonly valid: boolean;

  constructor(
    input: unknown,
    private readonly path: string,
    private readonly errors: FieldError[],
    allowed: readonly string[],
  ) {
    if (!isPlainObject(input)) {
      this.record = {};
      this.valid = false;
      errors.push({ path, message: 'must be an object' });
      return;
    }
    this.record = input;
    this.valid = true;
    for (const key of Object.keys(input)) {
      if (!allowed.includes(key)) errors.push({ path: joinPath(path, key), message: 'unknown field' });
    }
  }

  has(key: string): boolean {
    return Object.hasOwn(this.record, key) && this.record[key] !== undefined;
  }

  raw(key: string): unknown {
    return this.record[key];
  }

  fail(key: string, message: string): void {
    this.errors.push({ path: joinPath(this.path, key), message });
  }

  private missing(key: string): boolean {
    if (this.has(key)) return false;
    if (this.valid) this.fail(key, 'is required');
    return true;
  }

  string(key: string, rule: StringRule): string {
    if (this.missing(key)) return '';
    const v = this.record[key];
    if (typeof v !== 'string') {
      this.fail(key, 'must be a string');
      return '';
    }
    const length = [...v].length;
    if (length < rule.min || length > rule.max) {
      this.fail(key, `must be ${rule.min}..${rule.max} characters long (got ${length})`);
    } else if (rule.pattern !== undefined && !rule.pattern.test(v)) {
      this.fail(key, `must match ${rule.patternHint ?? rule.pattern.source}`);
    } else if (hasControlCharacter(v)) {
      this.fail(key, 'must not contain control characters');
    } else if (hasLoneSurrogate(v)) {
      this.fail(key, 'must be valid Unicode (it contains a lone surrogate, e.g. "\\ud800" without its pair)');
    }
    return v;
  }

  id(key: string): string {
    if (this.missing(key)) return '';
    const v = this.record[key];
    if (!isObjectId(v)) {
      this.fail(key, 'must be an object id ([A-Za-z0-9_-], 1..64 characters)');
      return '';
    }
    return v;
  }

  /** An id or null; an absent field reads as null. */
  optionalId(key: string): string | null {
    if (!this.has(key) || this.record[key] === null) return null;
    return this.id(key);
  }

  integer(key: string, min: number, max: number): number {
    if (this.missing(key)) return min;
    const v = this.record[key];
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.fail(key, 'must be an integer');
      return min;
    }
    if (v < min || v > max) this.fail(key, `must be between ${min} and ${max} (got ${v})`);
    return v;
  }

  /** A finite number in [min, max] with at most `decimals` decimal places. */
  decimal(key: string, min: number, max: number, decimals: number): number {
    if (this.missing(key)) return min;
    const v = this.record[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.fail(key, 'must be a number');
      return min;
    }
    if (v < min || v > max) this.fail(key, `must be between ${min} and ${max} (got ${v})`);
    const scale = 10 ** decimals;
    if (Math.abs(Math.round(v * scale) - v * scale) > 1e-6) this.fail(key, `must have at most ${decimals} decimal places`);
    return Math.round(v * scale) / scale;
  }

  oneOf<T extends string>(key: string, options: readonly T[]): T {
    const fallback = options[0] as T;
    if (this.missing(key)) return fallback;
    const v = this.record[key];
    if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) {
      this.fail(key, `must be one of ${options.join(', ')}`);
      return fallback;
    }
    return v as T;
  }

  optionalOneOf<T extends string>(key: string, options: readonly T[]): T | null {
    if (!this.has(key) || this.record[key] === null) return null;
    return this.oneOf(key, options);
  }

  array(key: string, maxItems: number): readonly unknown[] {
    if (this.missing(key)) return [];
    const v = this.record[key];
    if (!Array.isArray(v)) {
      this.fail(key, 'must be an array');
      return [];
    }
    if (v.length > maxItems) {
      this.fail(key, `must have at most ${maxItems} items (got ${v.length})`);
      return [];
    }
    return v;
  }
}

/** A UTF-16 surrogate without its partner: UTF-8 cannot carry it (it would be stored as U+FFFD). */
export function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return true;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
