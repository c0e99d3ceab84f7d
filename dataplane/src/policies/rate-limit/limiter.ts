import type { FailureMode } from '@tollgate/protocol';
import type { Logger } from '../../telemetry/logger';
import { LocalCounterStore } from './local-store';
import type { RedisCounterStore } from './redis-store';
import type { Decision, RateRule } from './window';

export type LimiterStore = 'redis' | 'local';

export type LimitOutcome =
  | { readonly kind: 'decided'; readonly decision: Decision; readonly store: LimiterStore }
  /** Redis is unreachable and the policy is FailClosed. */
  | { readonly kind: 'unavailable' };

/** Where a counter operation ran and what it returned; `unavailable` as in LimitOutcome. */
export type StoreOutcome<T> =
  | { readonly kind: 'done'; readonly value: T; readonly store: LimiterStore }
  | { readonly kind: 'unavailable' };

/** What the limiter reports; bounded labels only (policy names come from config). */
export interface LimiterMetrics {
  observeRateLimit(
    policy: string,
    decision: 'allowed' | 'limited' | 'unavailable',
    store: LimiterStore | 'none',
  ): void;
  countRedisError(reason: 'timeout' | 'unavailable' | 'connection' | 'error'): void;
}

export interface RateLimiterOptions {
  redis?: RedisCounterStore;
  local?: LocalCounterStore;
  metrics?: LimiterMetrics;
  logger?: Logger;
  /** After a failed command, Redis is skipped this long, so a hung Redis costs one timeout, not one per request. */
  cooldownMs?: number;
  now?: () => number;
}

/**
 * Chooses where a request is counted. With Redis configured and reachable: in Redis (limits hold
 * across replicas). While it is not — disconnected, or within `cooldownMs` of a failed command —
 * the policy's failure mode decides: FailOpen counts in-process, FailClosed refuses (503). No request
 * ever waits for Redis longer than the store's command timeout. Without Redis: always in-process.
 */
export class RateLimiter {
  readonly redis: RedisCounterStore | undefined;
  private readonly local: LocalCounterStore;
  private readonly metrics: LimiterMetrics | undefined;
  private readonly logger: Logger | undefined;
  private readonly cooldownMs: number;
  private readonly now: () => number;
  private skipRedisUntil = 0;
  private degraded = false;

  constructor(options: RateLimiterOptions = {}) {
    this.redis = options.redis;
    this.now = options.now ?? Date.now;
    this.local = options.local ?? new LocalCounterStore(this.now);
    this.metrics = options.metrics;
    this.logger = options.logger;
    this.cooldownMs = options.cooldownMs ?? 1000;
  }

  async hit(policy: string, key: string, rule: RateRule, failureMode: FailureMode): Promise<LimitOutcome> {
    const outcome = await this.run(
      failureMode,
      (redis) => redis.hit(key, rule),
      (local) => local.hit(key, rule),
    );
    if (outcome.kind === 'unavailable') {
      this.metrics?.observeRateLimit(policy, 'unavailable', 'none');
      return outcome;
    }
    return this.decided(policy, outcome.value, outcome.store);
  }

  /**
   * Runs one counter operation where counters live now: in Redis when configured and reachable,
   * otherwise in-process (FailOpen) or nowhere (FailClosed: `unavailable`). Every counting plugin
   * (rate and token limits, budgets) goes through here, so an outage is noticed, logged and waited
   * on once for all of them.
   */
  async run<T>(
    failureMode: FailureMode,
    remote: (redis: RedisCounterStore) => Promise<T>,
    local: (store: LocalCounterStore) => T,
  ): Promise<StoreOutcome<T>> {
    const redis = this.redis;
    if (!redis) return { kind: 'done', value: local(this.local), store: 'local' };
    if (redis.ready && this.now() >= this.skipRedisUntil) {
      try {
        const value = await remote(redis);
        if (this.degraded) {
          this.degraded = false;
          this.logger?.info('Redis reachable again: limits and budgets are shared across replicas');
        }
        return { kind: 'done', value, store: 'redis' };
      } catch (err) {
        this.commandFailed(err);
      }
    } else {
      this.markDegraded();
    }
    if (failureMode === 'FailClosed') return { kind: 'unavailable' };
    return { kind: 'done', value: local(this.local), store: 'local' };
  }

  async close(): Promise<void> {
    await this.redis?.close();
  }

  private decided(policy: string, decision: Decision, store: LimiterStore): LimitOutcome {
    this.metrics?.observeRateLimit(policy, decision.allowed ? 'allowed' : 'limited', store);
    return { kind: 'decided', decision, store };
  }

  private commandFailed(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const reason = /timed out/i.test(message)
      ? 'timeout'
      : /writeable|closed|offline|connect/i.test(message)
        ? 'unavailable'
        : 'error';
    this.metrics?.countRedisError(reason);
    this.skipRedisUntil = this.now() + this.cooldownMs;
    this.markDegraded(message);
  }

  private markDegraded(detail?: string): void {
    if (this.degraded) return;
    this.degraded = true;
    this.logger?.warn(
      { detail },
      'Redis unreachable: FailOpen limits and budgets count in-process, FailClosed limits answer 503',
    );
  }
}
