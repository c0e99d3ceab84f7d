import type { FailureMode } from '../../../../protocol/src';
import type { LimitOutcome, LimiterStore, RateLimiter } from '../rate-limit/limiter';
import type { CostRule } from '../rate-limit/window';

/** What token limits report; bounded labels only (policy names come from config). */
export interface TokenLimitMetrics {
  observeTokenLimit(
    policy: string,
    decision: 'allowed' | 'limited' | 'unavailable',
    store: LimiterStore | 'none',
  ): void;
  /** Tokens charged, by where; `none`: lost while Redis was unreachable under FailClosed. */
  countTokens(policy: string, tokens: number, store: LimiterStore | 'none'): void;
}

/**
 * Token counters: the rate limiter's stores (its Redis connection, in-process fallback and outage
 * handling) with the cost-weighted window. Holds no counters itself: the limiter's stores outlive
 * config snapshots, so a reload keeps what was charged.
 */
export class TokenLimiter {
  constructor(
    private readonly counters: RateLimiter,
    private readonly metrics?: TokenLimitMetrics,
  ) {}

  /**
   * Would `need` tokens fit now? Counts nothing. A `need` above the limit is refused whatever the
   * window holds (the decision's other fields are those for the whole limit).
   */
  async peek(
    policy: string,
    key: string,
    rule: CostRule,
    need: number,
    failureMode: FailureMode,
  ): Promise<LimitOutcome> {
    const n = Math.max(1, Math.min(need, rule.limit));
    const outcome = await this.counters.run(
      failureMode,
      (redis) => redis.peek(key, rule, n),
      (local) => local.peek(key, rule, n),
    );
    if (outcome.kind === 'unavailable') {
      this.metrics?.observeTokenLimit(policy, 'unavailable', 'none');
      return outcome;
    }
    const decision = need > rule.limit ? { ...outcome.value, allowed: false } : outcome.value;
    this.metrics?.observeTokenLimit(policy, decision.allowed ? 'allowed' : 'limited', outcome.store);
    return { kind: 'decided', decision, store: outcome.store };
  }

  /** Charges `tokens` used (never refused: they were spent). */
  async charge(
    policy: string,
    key: string,
    rule: CostRule,
    tokens: number,
    failureMode: FailureMode,
  ): Promise<LimitOutcome> {
    const outcome = await this.counters.run(
      failureMode,
      (redis) => redis.charge(key, rule, tokens),
      (local) => local.charge(key, rule, tokens),
    );
    if (outcome.kind === 'unavailable') {
      this.metrics?.countTokens(policy, tokens, 'none');
      return outcome;
    }
    this.metrics?.countTokens(policy, tokens, outcome.store);
    return { kind: 'decided', decision: outcome.value, store: outcome.store };
  }
}
