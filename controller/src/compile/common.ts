import type { ObjectMeta } from '../api/v1alpha1';
import { parseDuration } from './duration';
import type { StatusBuilder } from './status';

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const nsName = (meta: ObjectMeta) => `${meta.namespace ?? 'default'}/${meta.name}`;

/** Older objects win conflicts: creationTimestamp, then namespace/name, as Gateway API does. */
export function byAge(a: { metadata: ObjectMeta }, b: { metadata: ObjectMeta }): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const na = nsName(a.metadata);
  const nb = nsName(b.metadata);
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** A duration field in ms, its default when unset; an unparsable one rejects the object. */
export function durationMs(
  status: StatusBuilder,
  field: string,
  value: string | undefined,
  fallbackMs: number,
): number {
  if (value === undefined) return fallbackMs;
  const ms = parseDuration(value);
  if (ms === undefined) {
    status.reject('Invalid', `${field}: '${value}' is not a duration (e.g. 500ms, 30s, 5m)`);
    return fallbackMs;
  }
  return ms;
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
