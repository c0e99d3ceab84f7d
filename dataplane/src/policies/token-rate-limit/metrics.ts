import { Counter, type Registry } from 'prom-client';
import { ChildCache, perRegistry } from '../../telemetry/prom';
import type { TokenLimitMetrics } from './limiter';

/** Token-limit metrics on `registry` (registered once per registry, shared by every caller). */
export const createTokenLimitMetrics = perRegistry(make);

function make(registry: Registry): TokenLimitMetrics {
  const decisions = new Counter({
    name: 'tollgate_token_ratelimit_decisions_total',
    help: 'Token rate-limit checks by policy, decision (allowed, limited, unavailable) and counter store (redis, local; none when refused unavailable).',
    labelNames: ['policy', 'decision', 'store'],
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'tollgate_token_ratelimit_tokens_total',
    help: 'Tokens charged to token rate limits, by policy and counter store (none: not counted, Redis unreachable under FailClosed).',
    labelNames: ['policy', 'store'],
    registers: [registry],
  });
  const decisionChildren = new ChildCache<ReturnType<typeof decisions.labels>>();
  const tokenChildren = new ChildCache<ReturnType<typeof tokens.labels>>();
  return {
    observeTokenLimit(policy, decision, store) {
      decisionChildren
        .of(`${policy}\u0000${decision}\u0000${store}`, () => decisions.labels({ policy, decision, store }))
        .inc();
    },
    countTokens(policy, n, store) {
      tokenChildren.of(`${policy}\u0000${store}`, () => tokens.labels({ policy, store })).inc(n);
    },
  };
}
