import {
  slidingWindow,
  tokenBucket,
  type BucketState,
  type Decision,
  type RateRule,
  type SlidingState,
} from './window';

type Entry = { kind: 'SlidingWindow'; state: SlidingState } | { kind: 'TokenBucket'; state: BucketState };

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
    // Re-inserting keeps the Map in least-recently-used order.
    if (entry) this.entries.delete(key);
    this.entries.set(key, next);
    if (this.entries.size > this.maxKeys) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    return decision;
  }
}
