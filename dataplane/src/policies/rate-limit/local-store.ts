import {
  costCharge,
  costPeek,
  slidingWindow,
  tokenBucket,
  type BucketState,
  type CostRule,
  type Decision,
  type RateRule,
  type SlidingState,
} from './window';

type Entry =
  | { kind: 'SlidingWindow'; state: SlidingState }
  | { kind: 'TokenBucket'; state: BucketState }
  | { kind: 'Cost'; state: SlidingState };

/**
 * In-process counters: the store when no Redis is configured, and the fallback of `FailOpen` limits
 * while Redis is unreachable. Per process, so N replicas allow up to N times the limit. Memory is
 * bounded: the least recently used keys are dropped past `maxKeys` (a dropped key starts afresh,
 * which errs on the side of allowing).
 */
export class LocalCounterStore {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  hit(key: string, rule: RateRule): Decision {
    const now = this.now();
    const entry = this.entries.get(key);
    let next: Entry;
    let decision: Decision;
    if (rule.algorithm === 'TokenBucket') {
      const r = tokenBucket(
        entry?.kind === 'TokenBucket' ? entry.state : undefined,
        rule.limit,
        rule.windowMs,
        now,
      );
      next = { kind: 'TokenBucket', state: r.state };
      decision = r.decision;
    } else {
      const r = slidingWindow(
        entry?.kind === 'SlidingWindow' ? entry.state : undefined,
        rule.limit,
        rule.windowMs,
        now,
      );
      next = { kind: 'SlidingWindow', state: r.state };
      decision = r.decision;
    }
    this.put(key, next);
    return decision;
  }

  /** Would `need` units fit in the cost-weighted window? Counts nothing. */
  peek(key: string, rule: CostRule, need: number): Decision {
    const entry = this.entries.get(key);
    return costPeek(entry?.kind === 'Cost' ? entry.state : undefined, rule, need, this.now());
  }

  /** Counts `cost` units used; the decision is for one more unit afterwards. */
  charge(key: string, rule: CostRule, cost: number): Decision {
    const entry = this.entries.get(key);
    const r = costCharge(entry?.kind === 'Cost' ? entry.state : undefined, rule, cost, this.now());
    this.put(key, { kind: 'Cost', state: r.state });
    return r.decision;
  }

  private put(key: string, entry: Entry): void {
    // Re-inserting keeps the Map in least-recently-used order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > this.maxKeys) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }
}
