import type { CompiledRateLimit } from '@tollgate/protocol';
import { FAILURE_MODES, LIMIT_KEYS, RATE_LIMIT_ALGORITHMS, type PolicyPlugins } from '../../api/v1alpha1';
import type { StatusBuilder } from '../status';
import { duration, wholeNumber } from '../common';
import { keyHeader, oneOf } from './fields';

const MAX_UNITS = 2 ** 51;

export function compileRateLimit(
  status: StatusBuilder,
  at: string,
  spec: NonNullable<PolicyPlugins['rateLimit']>,
): CompiledRateLimit {
  const requests = wholeNumber(status, `${at}.requests`, spec.requests, 1) ?? 1;
  const windowMs = duration(status, `${at}.window`, spec.window, 1) ?? 1;
  // The proxy counts in whole units of 1/window-ms of a request (exact in JavaScript and Redis Lua).
  if (requests * windowMs > MAX_UNITS) {
    status.reject(
      'Invalid',
      `${at}: ${requests} requests per ${windowMs}ms is too fine to count exactly (requests × window in ms must stay below 2^51)`,
    );
  }
  const algorithm = oneOf(status, `${at}.algorithm`, spec.algorithm, RATE_LIMIT_ALGORITHMS, 'SlidingWindow');
  const key = oneOf(status, `${at}.key`, spec.key, LIMIT_KEYS, 'Consumer');
  const failureMode = oneOf(status, `${at}.failureMode`, spec.failureMode, FAILURE_MODES, 'FailOpen');
  const header = keyHeader(status, at, key, spec.header);
  return { requests, windowMs, algorithm, key, ...(header !== undefined ? { header } : {}), failureMode };
}
