import { Counter, type Registry } from 'prom-client';
import type { TokenLimitMetrics } from './limiter';

const made = new WeakMap<Registry, TokenLimitMetrics>();

/** Token-limit metrics on `registry` (registered once per registry, shared by every caller). */
export function createTokenLimitMetrics(registry: Registry): TokenLimitMetrics {
  let m = made.get(registry);
  if (!m) {
    m = make(registry);
    made.set(registry, m);
  }
  return m;
}

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
  // Children cached by label values: prom-client would hash the label set on every request.
  const decisionChildren = new Map<string, { inc(): void }>();
  const tokenChildren = new Map<string, { inc(n: number): void }>();
  return {
    observeTokenLimit(policy, decision, store) {
      const key = `${policy}\u0000${decision}\u0000${store}`;
      let child = decisionChildren.get(key);
      if (!child) {
        child = decisions.labels({ policy, decision, store });
        decisionChildren.set(key, child);
      }
      child.inc();
    },
    countTokens(policy, n, store) {
      const key = `${policy}\u0000${store}`;
      let child = tokenChildren.get(key);
      if (!child) {
        child = tokens.labels({ policy, store });
        tokenChildren.set(key, child);
      }
      child.inc(n);
    },
  };
}
