import type { RetryOn } from '@tollgate/protocol';
import { UpstreamError } from '../providers/types';
import type { Verdict } from './health';

/** Backoff never grows past this, whatever the base: a retry is worth little after a second. */
export const BACKOFF_CAP_MS = 1_000;

/** The failure kind of an upstream answer, or undefined when it is the answer to relay. */
export function failureOfStatus(status: number): RetryOn | undefined {
  if (status === 429) return 'RateLimited';
  if (status >= 500) return 'ServerError';
  return undefined;
}

/** The failure kind of a thrown error; a protocol error (a garbled answer) is not retried. */
export function failureOfError(err: unknown): RetryOn | undefined {
  if (!(err instanceof UpstreamError)) return undefined;
  if (err.kind === 'connect') return 'ConnectError';
  if (err.kind === 'timeout') return 'Timeout';
  return undefined;
}

/** What a status says about the upstream's health: 5xx is its fault, 429 says nothing, the rest is fine. */
export function verdictOfStatus(status: number): Verdict {
  if (status >= 500) return 'failure';
  if (status === 429) return 'neutral';
  return 'success';
}

/**
 * Jittered exponential backoff before retry number `retry` (1 = the first retry): a random
 * point in the upper half of min(cap, base × 2^(retry-1)), so retries spread out yet never fire at
 * once.
 */
export function backoffMs(retry: number, baseMs: number, random: () => number): number {
  const ceiling = Math.min(Math.max(BACKOFF_CAP_MS, baseMs), baseMs * 2 ** Math.max(0, retry - 1));
  return ceiling / 2 + (random() * ceiling) / 2;
}

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP date; undefined when absent or bad. */
export function parseRetryAfter(value: string | undefined, wallNow: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - wallNow);
}

/**
 * How long to wait before trying the same upstream again, or undefined when the wait does not fit
 * in what is left of the request's time budget (so the try would be pointless). Another upstream
 * is tried at once: it did not ask us to wait.
 */
export function delayBeforeRetry(options: {
  sameTarget: boolean;
  retry: number;
  baseMs: number;
  retryAfterMs: number | undefined;
  remainingMs: number;
  random: () => number;
}): number | undefined {
  if (options.remainingMs <= 0) return undefined;
  if (!options.sameTarget) return 0;
  const wait = options.retryAfterMs ?? backoffMs(options.retry, options.baseMs, options.random);
  return wait < options.remainingMs ? wait : undefined;
}
