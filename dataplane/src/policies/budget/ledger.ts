import type { Logger } from '../../telemetry/logger';
import type { LimiterStore, RateLimiter } from '../rate-limit/limiter';
import { LocalSpendStore } from './local-spend';
import { addSpend, readSpend } from './redis-spend';

/** What budgets report; bounded labels only (policy names come from config, never model names). */
export interface BudgetMetrics {
  observeBudget(policy: string, decision: 'allowed' | 'downgraded' | 'exceeded', store: LimiterStore): void;
  /** Spend recorded, in dollars. */
  addSpend(policy: string, usd: number): void;
  /** A response whose model has no price: charged nothing. */
  countUnpriced(policy: string): void;
}

export interface BudgetLedgerOptions {
  metrics?: BudgetMetrics;
  logger?: Logger;
  /** The clock periods are read from (tests inject one); Date.now otherwise. */
  now?: () => number;
  local?: LocalSpendStore;
}

/** Distinct unpriced (policy, model) pairs remembered for logging once; beyond, they are not logged. */
const MAX_UNPRICED_LOGGED = 1000;

/**
 * Budget spend per key, a long-lived service (spend and the fallback's totals survive config
 * reloads). Spend lives in Redis when the rate limiter has it and it is reachable, shared by every
 * replica; otherwise in-process. Budgets have no failure mode of their own: while Redis is
 * unreachable each replica goes on from the last total it saw, and what it adds then stays local.
 */
export class BudgetLedger {
  readonly now: () => number;
  private readonly local: LocalSpendStore;
  private readonly metrics: BudgetMetrics | undefined;
  private readonly logger: Logger | undefined;
  private readonly unpricedLogged = new Set<string>();

  constructor(
    private readonly counters: RateLimiter,
    options: BudgetLedgerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.local = options.local ?? new LocalSpendStore(this.now);
    this.metrics = options.metrics;
    this.logger = options.logger;
  }

  /** The key's spend so far (pico-dollars) and where it was read. */
  async spent(key: string, expiresAt: number): Promise<{ spent: bigint; store: LimiterStore }> {
    const outcome = await this.counters.run(
      'FailOpen',
      async (redis) => {
        const spent = await readSpend(redis, key);
        this.local.set(key, spent, expiresAt);
        return spent;
      },
      () => this.local.get(key),
    );
    // FailOpen is never unavailable; the branch keeps the types honest.
    return outcome.kind === 'done'
      ? { spent: outcome.value, store: outcome.store }
      : { spent: 0n, store: 'local' };
  }

  /** Adds `cost` (pico-dollars, > 0) to the key's spend; the key ends with its period at `expiresAt`. */
  async add(policy: string, key: string, cost: bigint, expiresAt: number): Promise<bigint> {
    const outcome = await this.counters.run(
      'FailOpen',
      async (redis) => {
        // A minute past the period's end: replicas whose clocks run a little late still find it.
        const spent = await addSpend(redis, key, cost, expiresAt + 60_000);
        this.local.set(key, spent, expiresAt);
        return spent;
      },
      () => this.local.add(key, cost, expiresAt),
    );
    this.metrics?.addSpend(policy, Number(cost) / 1e12);
    return outcome.kind === 'done' ? outcome.value : 0n;
  }

  observe(policy: string, decision: 'allowed' | 'downgraded' | 'exceeded', store: LimiterStore): void {
    this.metrics?.observeBudget(policy, decision, store);
  }

  /** A response of a model the policy has no price for: counted, and logged once per policy and model. */
  unpriced(policy: string, model: string): void {
    this.metrics?.countUnpriced(policy);
    const id = `${policy}\u0000${model}`;
    if (this.unpricedLogged.has(id) || this.unpricedLogged.size >= MAX_UNPRICED_LOGGED) return;
    this.unpricedLogged.add(id);
    this.logger?.warn(
      { policy, model },
      'budget: no price for this model; its responses are charged nothing (add it to the policy’s prices)',
    );
  }
}

const defaults = new WeakMap<RateLimiter, BudgetLedger>();

/** One ledger per rate limiter when the engine's services bring none (tests, createProxy's default). */
export function defaultLedger(counters: RateLimiter, logger?: Logger): BudgetLedger {
  let ledger = defaults.get(counters);
  if (!ledger) {
    ledger = new BudgetLedger(counters, logger ? { logger } : {});
    defaults.set(counters, ledger);
  }
  return ledger;
}
