import type { CompiledRateLimit } from '@tollgate/protocol';
import { GatewayError } from '../../errors/errors';
import type { Plugin } from '../types';
import { counterKeyOf, type KeySource } from './key';
import type { RateLimiter } from './limiter';
import type { Decision } from './window';

/** What a limit is counted per, in words (the 429 message says it). */
export const PER: Record<CompiledRateLimit['key'], string> = {
  Consumer: 'consumer',
  Gateway: 'gateway',
  APIKey: 'API key',
  ClientIP: 'client IP',
  Header: 'header value',
};

/**
 * The `rateLimit` plugin (pre-request). Every response it has counted carries
 * `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (seconds until the full
 * limit is available again); a refusal is a 429 with `Retry-After` (seconds) in the caller's error
 * format; FailClosed while Redis is unreachable is a 503.
 */
export function createRateLimit(config: CompiledRateLimit, policy: string, limiter: RateLimiter): Plugin {
  return { name: 'rateLimit', preRequest: rateLimitGate(config, policy, limiter) };
}

/** What the limit reads of a request, and where it writes its headers. */
export interface RateLimited extends KeySource {
  readonly responseHeaders: Record<string, string>;
}

/** The plugin's check on its own, for endpoints that count requests outside a pipeline (A2A). */
export function rateLimitGate(
  config: CompiledRateLimit,
  policy: string,
  limiter: RateLimiter,
): (req: RateLimited) => Promise<void> {
  const rule = { limit: config.requests, windowMs: config.windowMs, algorithm: config.algorithm };
  const limitText = String(config.requests);
  const keyOf = counterKeyOf(policy, config);
  const describe = `${config.requests} requests per ${formatMs(config.windowMs)} per ${PER[config.key]}`;
  return async (req) => {
    const outcome = await limiter.hit(policy, keyOf(req), rule, config.failureMode);
    if (outcome.kind === 'unavailable') throw limiterUnavailable();
    const d = outcome.decision;
    req.responseHeaders['x-ratelimit-limit'] = limitText;
    req.responseHeaders['x-ratelimit-remaining'] = String(d.remaining);
    req.responseHeaders['x-ratelimit-reset'] = String(Math.ceil(d.resetMs / 1000));
    if (!d.allowed) throw rateLimited(d, describe);
  };
}

function rateLimited(d: Decision, describe: string): GatewayError {
  const seconds = Math.max(1, Math.ceil(d.retryAfterMs / 1000));
  return new GatewayError(
    429,
    'rate_limit_exceeded',
    `Rate limit reached (${describe}). Try again in ${seconds}s.`,
    { 'retry-after': String(seconds) },
  );
}

export function limiterUnavailable(): GatewayError {
  return new GatewayError(
    503,
    'rate_limiter_unavailable',
    'The rate limiter is unavailable and this limit is configured to fail closed. Try again shortly.',
    { 'retry-after': '1' },
  );
}

/** 60000 → "1m", 1500 → "1.5s", 250 → "250ms". */
export function formatMs(ms: number): string {
  const units: [number, string][] = [
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) if (ms >= size && (ms * 1000) % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
