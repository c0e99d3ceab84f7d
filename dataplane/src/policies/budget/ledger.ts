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
  /**
   * How stale a replica's view of shared spend may get, in ms (0: exact, every check and every
   * charge a Redis command). Within it, checks use the last total read from Redis plus this
   * replica's own charges, and charges are summed per key and written together when it ends: two
   * Redis commands per key per period instead of two per request. Another replica's spend shows
   * within about twice this; a crash loses at most this long of this replica's charges.
   */
  syncMs?: number;
}

/** A total read from (or written to) Redis, and when. */
interface Known {
  spent: bigint;
  at: number;
  store: LimiterStore;
}

/** Charges not yet written to Redis. */
interface Pending {
  policy: string;
  cost: bigint;
  expiresAt: number;
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
  private readonly syncMs: number;
  private readonly known = new Map<string, Known>();
  private readonly unsynced = new Map<string, Pending>();
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly counters: RateLimiter,
    options: BudgetLedgerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.local = options.local ?? new LocalSpendStore(this.now);
    this.metrics = options.metrics;
    this.logger = options.logger;
    this.syncMs = options.syncMs ?? 0;
  }

  /** The key's spend so far (pico-dollars) and where it was read. */
  async spent(key: string, expiresAt: number): Promise<{ spent: bigint; store: LimiterStore }> {
    if (this.syncMs > 0) {
      const known = this.known.get(key);
      const own = this.unsynced.get(key)?.cost ?? 0n;
      if (known && this.now() - known.at < this.syncMs)
        return { spent: known.spent + own, store: known.store };
      const read = await this.read(key, expiresAt);
      this.known.set(key, { ...read, at: this.now() });
      this.forgetExpired();
      return { spent: read.spent + (this.unsynced.get(key)?.cost ?? 0n), store: read.store };
    }
    return this.read(key, expiresAt);
  }

  private async read(key: string, expiresAt: number): Promise<{ spent: bigint; store: LimiterStore }> {
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

  /**
   * Adds `cost` (pico-dollars, > 0) to the key's spend; the key ends with its period at `expiresAt`.
   * With `syncMs`, the charge is written with the key's others when the sync period ends.
   */
  async add(policy: string, key: string, cost: bigint, expiresAt: number): Promise<void> {
    if (this.syncMs <= 0) {
      await this.write(policy, key, cost, expiresAt);
      return;
    }
    // Keys name their period, so one key's charges always share its expiry.
    const p = this.unsynced.get(key);
    if (p) p.cost += cost;
    else this.unsynced.set(key, { policy, cost, expiresAt });
    this.flushTimer ??= setTimeout(() => void this.flush(), this.syncMs).unref();
  }

  /** Writes every pending charge now (shutdown, tests). */
  async flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = [...this.unsynced];
    this.unsynced.clear();
    const done = this.flushing.then(() =>
      Promise.all(batch.map(([key, p]) => this.write(p.policy, key, p.cost, p.expiresAt))).then(
        () => undefined,
      ),
    );
    this.flushing = done;
    await done;
  }

  private async write(policy: string, key: string, cost: bigint, expiresAt: number): Promise<void> {
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
    if (outcome.kind === 'done' && this.syncMs > 0) {
      this.known.set(key, { spent: outcome.value, at: this.now(), store: outcome.store });
    }
  }

  /** Totals of periods that have ended go (a key per period, so they would otherwise pile up). */
  private forgetExpired(): void {
    if (this.known.size < 1024) return;
    const stale = this.now() - this.syncMs;
    for (const [key, k] of this.known) if (k.at < stale && !this.unsynced.has(key)) this.known.delete(key);
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
      'budget: no price for this model; its responses are charged nothing (add it, or a * price, to the policy’s prices)',
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
