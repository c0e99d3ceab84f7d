import { UpstreamError } from '../providers/types';
import { errors } from '../errors/errors';
import {
  BACKOFF_CAP_MS,
  backoffMs,
  delayBeforeRetry,
  failureOfError,
  failureOfStatus,
  parseRetryAfter,
  verdictOfStatus,
} from './retry';

describe('which failures', () => {
  it.each([
    [200, undefined, 'success'],
    [400, undefined, 'success'],
    [404, undefined, 'success'],
    [429, 'RateLimited', 'neutral'],
    [500, 'ServerError', 'failure'],
    [503, 'ServerError', 'failure'],
  ] as const)('HTTP %i → %s, health %s', (status, kind, verdict) => {
    expect(failureOfStatus(status)).toBe(kind);
    expect(verdictOfStatus(status)).toBe(verdict);
  });

  it.each([
    [new UpstreamError('connect', 'ECONNREFUSED'), 'ConnectError'],
    [new UpstreamError('timeout', 'headers'), 'Timeout'],
    [new UpstreamError('protocol', 'garbled'), undefined],
    [errors.badRequest('no'), undefined],
    [new Error('boom'), undefined],
  ])('%s → %s', (err, kind) => {
    expect(failureOfError(err)).toBe(kind);
  });
});

describe('backoff', () => {
  it('stays within the upper half of base × 2^(retry-1), capped', () => {
    for (const [retry, ceiling] of [
      [1, 25],
      [2, 50],
      [3, 100],
      [8, BACKOFF_CAP_MS],
    ] as const) {
      expect(backoffMs(retry, 25, () => 0)).toBe(ceiling / 2);
      expect(backoffMs(retry, 25, () => 0.999999)).toBeCloseTo(ceiling, 3);
      expect(backoffMs(retry, 25, () => 0.999999)).toBeLessThan(ceiling);
    }
  });

  it('a base above the cap is used as it is', () => {
    expect(backoffMs(5, 4000, () => 0)).toBe(2000);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    ['2', 2000],
    [' 0 ', 0],
    ['Thu, 01 Jan 2026 00:00:03 GMT', 3000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
    ['soon', undefined],
    ['1.5', undefined],
    [undefined, undefined],
  ])('%s → %s ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });
});

describe('delay before the next try', () => {
  const base = { retry: 1, baseMs: 100, random: () => 0, remainingMs: 10_000 };
  it('another target: at once, whatever Retry-After says', () => {
    expect(delayBeforeRetry({ ...base, sameTarget: false, retryAfterMs: 5000 })).toBe(0);
  });
  it('the same target: the backoff, or Retry-After when given', () => {
    expect(delayBeforeRetry({ ...base, sameTarget: true, retryAfterMs: undefined })).toBe(50);
    expect(delayBeforeRetry({ ...base, sameTarget: true, retryAfterMs: 3000 })).toBe(3000);
  });
  it('no retry when the wait does not fit in the budget, or the budget is spent', () => {
    expect(delayBeforeRetry({ ...base, sameTarget: true, retryAfterMs: 10_000 })).toBeUndefined();
    expect(
      delayBeforeRetry({ ...base, sameTarget: false, retryAfterMs: undefined, remainingMs: 0 }),
    ).toBeUndefined();
  });
});
