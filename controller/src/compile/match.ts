import type { CompiledCondition } from '@tollgate/protocol';
import { TOKEN } from './plugins/fields';
import type { StatusBuilder } from './status';

/** The CRD's limits on a target's `match`, restated because compile never trusts an API server. */
export const MATCH_LIMITS = { conditions: 16, values: 16, length: 256 };

/** A dotted path into the JSON request body: `user`, `metadata.tier`, `messages.0.role`. */
export const FIELD_PATH = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** Route names callers cannot ask for directly: they select a pinned registry or a pool. */
export const RESERVED_MODEL_PREFIXES = ['@', 'pool:'] as const;

/**
 * A target's `match`, checked and normalised: header names lower-cased, values de-duplicated and
 * sorted, so equal conditions compile to equal bytes. Undefined when unset; every problem is
 * reported on `status` with its field path.
 */
export function compileMatch(
  status: StatusBuilder,
  at: string,
  match: unknown,
): CompiledCondition[] | undefined {
  if (match === undefined) return undefined;
  if (!Array.isArray(match)) {
    status.reject('Invalid', `${at}: must be a list of conditions`);
    return undefined;
  }
  if (match.length === 0 || match.length > MATCH_LIMITS.conditions) {
    status.reject(
      'Invalid',
      `${at}: must hold 1 to ${MATCH_LIMITS.conditions} conditions (leave match out for a target that takes every request)`,
    );
    return undefined;
  }
  const out: CompiledCondition[] = [];
  for (const [i, c] of match.entries()) {
    const condition = compileCondition(status, `${at}[${i}]`, c);
    if (condition) out.push(condition);
  }
  return out.length === match.length ? out : undefined;
}

function compileCondition(status: StatusBuilder, at: string, c: unknown): CompiledCondition | undefined {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) {
    status.reject('Invalid', `${at}: must be an object with header or field, and values`);
    return undefined;
  }
  const { header, field, values } = c as Record<string, unknown>;
  if ((header === undefined) === (field === undefined)) {
    status.reject('Invalid', `${at}: set exactly one of header or field`);
    return undefined;
  }
  const accepted = compileValues(status, `${at}.values`, values);
  if (header !== undefined) {
    if (typeof header !== 'string' || header.length > MATCH_LIMITS.length || !TOKEN.test(header)) {
      status.reject('Invalid', `${at}.header: '${String(header)}' is not a valid header name`);
      return undefined;
    }
    return accepted && { header: header.toLowerCase(), values: accepted };
  }
  if (typeof field !== 'string' || field.length > MATCH_LIMITS.length || !FIELD_PATH.test(field)) {
    status.reject(
      'Invalid',
      `${at}.field: '${String(field)}' is not a dotted path of letters, digits, '_' and '-' (e.g. metadata.tier)`,
    );
    return undefined;
  }
  return accepted && { field, values: accepted };
}

function compileValues(status: StatusBuilder, at: string, values: unknown): string[] | undefined {
  if (!Array.isArray(values) || values.length === 0 || values.length > MATCH_LIMITS.values) {
    status.reject('Invalid', `${at}: must be a list of 1 to ${MATCH_LIMITS.values} strings`);
    return undefined;
  }
  const bad = values.findIndex((v) => typeof v !== 'string' || v.length > MATCH_LIMITS.length);
  if (bad !== -1) {
    status.reject('Invalid', `${at}[${bad}]: must be a string of at most ${MATCH_LIMITS.length} characters`);
    return undefined;
  }
  return [...new Set(values as string[])].sort();
}

/** The reserved prefix `model` starts with, if any. */
export function reservedPrefixOf(model: string): string | undefined {
  return RESERVED_MODEL_PREFIXES.find((p) => model.startsWith(p));
}
