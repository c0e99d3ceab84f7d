import type { ObjectMeta } from '../api/v1alpha1';
import { parseDuration } from './duration';
import type { StatusBuilder } from './status';

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const nsName = (meta: ObjectMeta) => `${meta.namespace ?? 'default'}/${meta.name}`;

/** Compile reads an object's spec, generation, creation time, name and namespace, nothing else. */
export function sameSource(
  a: { metadata: ObjectMeta; spec?: unknown },
  b: { metadata: ObjectMeta; spec?: unknown },
): boolean {
  return (
    a.metadata.name === b.metadata.name &&
    a.metadata.namespace === b.metadata.namespace &&
    a.metadata.generation === b.metadata.generation &&
    a.metadata.creationTimestamp === b.metadata.creationTimestamp &&
    JSON.stringify(a.spec) === JSON.stringify(b.spec)
  );
}

/** Older objects win conflicts: creationTimestamp, then namespace/name, as Gateway API orders them. */
export function oldestFirst<T extends { metadata: ObjectMeta }>(objects: readonly T[]): T[] {
  // Keys computed once per object, not once per comparison: thousands of objects sort in every compile.
  const keyed = objects.map((o) => ({ o, at: o.metadata.creationTimestamp ?? '', name: nsName(o.metadata) }));
  keyed.sort((a, b) =>
    a.at !== b.at ? (a.at < b.at ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  return keyed.map((k) => k.o);
}

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

/** A required duration in ms, at least `minMs`; otherwise a precise rejection. */
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

/** An optional duration in ms, its default when unset; an unparsable one rejects the object. */
export function durationMs(
  status: StatusBuilder,
  field: string,
  value: string | undefined,
  fallbackMs: number,
): number {
  if (value === undefined) return fallbackMs;
  return duration(status, field, value, 0) ?? fallbackMs;
}

export function checkLabel(status: StatusBuilder, field: string, value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 63 || !DNS_LABEL.test(value)) {
    status.reject(
      'Invalid',
      `${field}: must be a DNS label (lower-case letters, digits and '-', at most 63)`,
    );
    return false;
  }
  return true;
}
