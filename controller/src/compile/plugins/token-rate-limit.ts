import type { CompiledTokenRateLimit } from '@tollgate/protocol';
import { FAILURE_MODES, LIMIT_KEYS, type PolicyPlugins } from '../../api/v1alpha1';
import type { StatusBuilder } from '../status';
import { duration, wholeNumber } from '../common';
import { keyHeader, oneOf } from './fields';

/**
 * The proxy counts in whole units of 1/1000 of a token (1/window-ms under 1 s) and caps a key's
 * charges at 256 times the limit: up to 2^33 tokens every sum stays below 2^53, exact in JavaScript
 * and Redis Lua alike.
 */
export const MAX_TOKENS = 2 ** 33;
/** Longer spans are budgets' business; it also keeps the window arithmetic far from 2^53. */
const MAX_WINDOW_MS = 366 * 24 * 3_600_000;

export function compileTokenRateLimit(
  status: StatusBuilder,
  at: string,
  spec: NonNullable<PolicyPlugins['tokenRateLimit']>,
): CompiledTokenRateLimit {
  const tokens = wholeNumber(status, `${at}.tokens`, spec.tokens, 1, MAX_TOKENS) ?? 1;
  let windowMs = duration(status, `${at}.window`, spec.window, 1) ?? 1;
  if (windowMs > MAX_WINDOW_MS) {
    status.reject('Invalid', `${at}.window: '${spec.window}' is longer than 366 days (use a budget)`);
    windowMs = MAX_WINDOW_MS;
  }
  const estimatePrompt = spec.estimatePrompt ?? false;
  if (typeof estimatePrompt !== 'boolean')
    status.reject('Invalid', `${at}.estimatePrompt: must be true or false`);
  const key = oneOf(status, `${at}.key`, spec.key, LIMIT_KEYS, 'Consumer');
  const failureMode = oneOf(status, `${at}.failureMode`, spec.failureMode, FAILURE_MODES, 'FailOpen');
  const header = keyHeader(status, at, key, spec.header);
  return {
    tokens,
    windowMs,
    estimatePrompt: estimatePrompt === true,
    key,
    ...(header !== undefined ? { header } : {}),
    failureMode,
  };
}
