import type { LimitKey } from '../../api/v1alpha1';
import type { StatusBuilder } from '../status';

/** RFC 9110 token: header names and methods. */
export const TOKEN = /^[-!#$%&'*+.^_`|~0-9A-Za-z]+$/;

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

/** The lower-case header of a `key: Header` limit; refused when missing, invalid or set for another key. */
export function keyHeader(
  status: StatusBuilder,
  at: string,
  key: LimitKey,
  header: unknown,
): string | undefined {
  if (key !== 'Header') {
    if (header !== undefined)
      status.reject('Invalid', `${at}.header: only used when key is Header (key is ${key})`);
    return undefined;
  }
  if (typeof header !== 'string' || header === '') {
    status.reject('Invalid', `${at}.header: required when key is Header`);
    return undefined;
  }
  if (!TOKEN.test(header)) {
    status.reject('Invalid', `${at}.header: '${header}' is not a valid header name`);
    return undefined;
  }
  return header.toLowerCase();
}
