import type { FailureMode } from '@tollgate/protocol';
import type { LimitOutcome, LimiterStore, RateLimiter } from '../rate-limit/limiter';
import type { CostRule, Decision } from '../rate-limit/window';

export interface TokenLimiterOptions {
  metrics?: TokenLimitMetrics;
  /**
   * How long a window's last known state (from a check or a charge) answers checks that it
   * allows, in ms (0: every check asks the store). A check it would refuse always asks the store,
   * so refusals and their Retry-After are exact; what it can miss is another replica's charges
   * of the last few milliseconds.
   */
  viewMs?: number;
  now?: () => number;
}

interface View {
  decision: Decision;
  store: LimiterStore;
  at: number;
}

/** Tokens charged to a key and not yet sent to the store. */
interface Unsynced {
  policy: string;
  rule: CostRule;
  tokens: number;
  failureMode: FailureMode;
}

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
  private readonly metrics: TokenLimitMetrics | undefined;
  private readonly viewMs: number;
  private readonly now: () => number;
  private readonly views = new Map<string, View>();
  private readonly unsynced = new Map<string, Unsynced>();
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly counters: RateLimiter,
    options: TokenLimiterOptions = {},
  ) {
    this.metrics = options.metrics;
    this.viewMs = options.viewMs ?? 0;
    this.now = options.now ?? Date.now;
  }

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
    const view = this.viewMs > 0 ? this.views.get(key) : undefined;
    // Only Redis's answers are worth remembering, and only while Redis is up: a FailClosed limit must
    // refuse as soon as it is not.
    if (
      view &&
      view.decision.allowed &&
      this.counters.redis?.ready === true &&
      need <= rule.limit &&
      this.now() - view.at < this.viewMs &&
      n <= view.decision.remaining
    ) {
      this.metrics?.observeTokenLimit(policy, 'allowed', view.store);
      return { kind: 'decided', decision: view.decision, store: view.store };
    }
    // The store is asked: this replica's own charges not yet sent go first, so it answers for them too.
    const own = this.unsynced.get(key);
    if (own) {
      this.unsynced.delete(key);
      await this.send(own.policy, key, own.rule, own.tokens, own.failureMode);
    }
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
    this.remember(key, outcome.value, outcome.store);
    this.metrics?.observeTokenLimit(policy, decision.allowed ? 'allowed' : 'limited', outcome.store);
    return { kind: 'decided', decision, store: outcome.store };
  }

  /**
   * Charges `tokens` used (never refused: they were spent). With a view period and Redis up, the
   * charge is taken off this replica's view at once and sent with the key's others when the period
   * ends (one Redis command per key per period); otherwise it goes to the store now.
   */
  async charge(
    policy: string,
    key: string,
    rule: CostRule,
    tokens: number,
    failureMode: FailureMode,
  ): Promise<void> {
    if (this.viewMs <= 0 || this.counters.redis?.ready !== true) {
      await this.send(policy, key, rule, tokens, failureMode);
      return;
    }
    const u = this.unsynced.get(key);
    if (u && u.rule.windowMs === rule.windowMs && u.rule.limit === rule.limit) u.tokens += tokens;
    else {
      if (u) void this.send(u.policy, key, u.rule, u.tokens, u.failureMode);
      this.unsynced.set(key, { policy, rule, tokens, failureMode });
    }
    const view = this.views.get(key);
    if (view) {
      const remaining = Math.max(0, view.decision.remaining - tokens);
      view.decision = { ...view.decision, remaining };
    }
    this.flushTimer ??= setTimeout(() => void this.flush(), this.viewMs).unref();
  }

  /** Sends every charge not yet sent (shutdown, tests). */
  async flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = [...this.unsynced];
    this.unsynced.clear();
    await Promise.all(batch.map(([key, u]) => this.send(u.policy, key, u.rule, u.tokens, u.failureMode)));
  }

  private async send(
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
    // Charges of this replica made while this one travelled are still to come off.
    const later = this.unsynced.get(key)?.tokens ?? 0;
    const decision =
      later > 0
        ? { ...outcome.value, remaining: Math.max(0, outcome.value.remaining - later) }
        : outcome.value;
    this.remember(key, decision, outcome.store);
    return { kind: 'decided', decision: outcome.value, store: outcome.store };
  }

  private remember(key: string, decision: Decision, store: LimiterStore): void {
    if (this.viewMs <= 0 || store !== 'redis') return;
    if (this.views.size >= 10_000) this.views.clear(); // a bound, not an eviction policy: views are cheap to rebuild
    this.views.set(key, { decision, store, at: this.now() });
  }
}
