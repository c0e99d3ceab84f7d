import type { StatusBuilder } from '../status';
import { parseDuration } from '../duration';

/** RFC 9110 token: header names and methods. */
export const TOKEN = /^[-!#$%&'*+.^_`|~0-9A-Za-z]+$/;

/** A whole number in [min, max]; otherwise a precise rejection. */
export function wholeNumber(
  status: StatusBuilder,
  field: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    status.reject('Invalid', `${field}: must be a whole number ${range}`);
    return undefined;
  }
  return value;
}

/** A duration in ms that must be at least `minMs` (after rounding to whole milliseconds). */
export function duration(
  status: StatusBuilder,
  field: string,
  value: unknown,
  minMs: number,
): number | undefined {
  const ms = typeof value === 'string' ? parseDuration(value) : undefined;
  if (ms === undefined) {
    status.reject('Invalid', `${field}: '${String(value)}' is not a duration (e.g. 500ms, 30s, 5m)`);
    return undefined;
  }
  if (ms < minMs) {
    status.reject('Invalid', `${field}: '${String(value)}' must be at least ${minMs}ms`);
    return undefined;
  }
  return ms;
}

export function oneOf<T extends string>(
  status: StatusBuilder,
  field: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  status.reject('Invalid', `${field}: '${String(value)}' must be one of ${allowed.join(', ')}`);
  return fallback;
}

/** Header names or methods: each a token (or `*` when `wildcard`), normalised, duplicates dropped. */
export function tokenList(
  status: StatusBuilder,
  field: string,
  values: unknown,
  normalise: (s: string) => string,
  wildcard: boolean,
): string[] {
  if (values === undefined) return [];
  if (!Array.isArray(values)) {
    status.reject('Invalid', `${field}: must be a list`);
    return [];
  }
  const out: string[] = [];
  for (const [i, v] of values.entries()) {
    if (typeof v !== 'string' || (!TOKEN.test(v) && !(wildcard && v === '*'))) {
      status.reject('Invalid', `${field}[${i}]: '${String(v)}' is not a valid name`);
      continue;
    }
    const n = normalise(v);
    if (!out.includes(n)) out.push(n);
  }
  return out;
}
