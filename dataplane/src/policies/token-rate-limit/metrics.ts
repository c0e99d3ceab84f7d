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
  const decisionChildren = new ChildCache((policy, decision, store) =>
    decisions.labels({ policy, decision, store }),
  );
  const tokenChildren = new ChildCache((policy, store) => tokens.labels({ policy, store }));
  return {
    observeTokenLimit(policy, decision, store) {
      decisionChildren.of(policy, decision, store).inc();
    },
    countTokens(policy, n, store) {
      tokenChildren.of(policy, store).inc(n);
    },
  };
}
