import {
  costCharge,
  costPeek,
  slidingWindow,
  tokenBucket,
  type BucketState,
  type SlidingState,
  type Step,
} from './window';

type Row = [now: number, allowed: boolean, remaining: number, retryAfterMs: number, resetMs: number];

function replay<S>(rows: Row[], step: (s: S | undefined, now: number) => Step<S>) {
  let state: S | undefined;
  return rows.map(([now]) => {
    const r = step(state, now);
    if (r.changed) state = r.state;
    const d = r.decision;
    return [now, d.allowed, d.remaining, d.retryAfterMs, d.resetMs];
  });
}

describe('sliding-window counter (injected clock)', () => {
  it('limit 3 per 1000 ms: counts, refuses, weights the previous window, forgets old ones', () => {
    const rows: Row[] = [
      [0, true, 2, 0, 2000],
      [100, true, 1, 0, 1900],
      [200, true, 0, 0, 1800],
      // full: wait for the next window (700 ms), then until 3 * weight + 1 <= 3 (334 ms more)
      [300, false, 0, 1034, 1700],
      [1333, false, 0, 1, 667],
      [1334, true, 0, 0, 1666],
      // two windows later: the old window weighs half
      [2500, true, 1, 0, 1500],
      // long idle: everything forgotten
      [5000, true, 2, 0, 2000],
      // the clock going back stays in the stored window
      [4000, true, 1, 0, 2000],
    ];
    expect(replay<SlidingState>(rows, (s, now) => slidingWindow(s, 3, 1000, now))).toEqual(rows);
  });

  it('a refusal is not counted', () => {
    const first = slidingWindow(undefined, 1, 1000, 0);
    const refused = slidingWindow(first.state, 1, 1000, 10);
    expect(refused.decision.allowed).toBe(false);
    expect(refused.changed).toBe(false);
  });
});

describe('token bucket (injected clock)', () => {
  it('limit 2 per 1024 ms: bursts to the limit, then refills evenly', () => {
    const rows: Row[] = [
      [0, true, 1, 0, 512],
      [0, true, 0, 0, 1024],
      [128, false, 0, 384, 896],
      [512, true, 0, 0, 1024],
      [5000, true, 1, 0, 512],
      // the clock going back refills nothing
      [4000, true, 0, 0, 1024],
    ];
    expect(replay<BucketState>(rows, (s, now) => tokenBucket(s, 2, 1024, now))).toEqual(rows);
  });
});

/** A deterministic pseudo-random sequence (mulberry32). */
function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe.each([
  ['SlidingWindow', slidingWindow],
  ['TokenBucket', tokenBucket],
] as const)('%s: Retry-After is exact', (_name, algorithm) => {
  it.each([
    [1, 1000],
    [3, 1000],
    [7, 60_000],
    [100, 1500],
  ])('limit %i per %i ms: refused until exactly retryAfterMs, allowed then', (limit, windowMs) => {
    const random = prng(limit * 7919 + windowMs);
    type S = Parameters<typeof algorithm>[0];
    let state: S;
    let now = 1_700_000_000_000;
    let refusals = 0;
    for (let i = 0; i < 400; i++) {
      now += Math.floor(random() * (windowMs / limit) * 1.5);
      const r = (algorithm as (s: S, l: number, w: number, n: number) => Step<NonNullable<S>>)(
        state,
        limit,
        windowMs,
        now,
      );
      if (r.changed) state = r.state;
      const d = r.decision;
      expect(d.remaining).toBeGreaterThanOrEqual(0);
      expect(d.resetMs).toBeGreaterThanOrEqual(d.retryAfterMs);
      if (d.allowed) continue;
      refusals++;
      const probe = algorithm as (s: S, l: number, w: number, n: number) => Step<NonNullable<S>>;
      expect(probe(state, limit, windowMs, now + d.retryAfterMs).decision.allowed).toBe(true);
      if (d.retryAfterMs > 1)
        expect(probe(state, limit, windowMs, now + d.retryAfterMs - 1).decision.allowed).toBe(false);
    }
    expect(refusals).toBeGreaterThan(10);
  });
});

describe('cost-weighted sliding window (token limits)', () => {
  const rule = { limit: 100, windowMs: 1000 };

  it('peeks without counting, charges what was used (over the limit too), refuses until it decays', () => {
    expect(costPeek(undefined, rule, 1, 0)).toEqual({
      allowed: true,
      limit: 100,
      remaining: 100,
      retryAfterMs: 0,
      resetMs: 0,
    });
    const first = costCharge(undefined, rule, 60, 100);
    expect(first.state).toEqual({ window: 0, curr: 60, prev: 0 });
    expect(first.decision).toMatchObject({ allowed: true, remaining: 40, resetMs: 1900 });
    // a need of 40 fits exactly, 41 does not: wait for the next window, then for 60 × weight + 41 <= 100
    expect(costPeek(first.state, rule, 40, 100).allowed).toBe(true);
    const refused = costPeek(first.state, rule, 41, 100);
    expect(refused).toMatchObject({ allowed: false, remaining: 40, retryAfterMs: 900 + 17 });
    expect(costPeek(first.state, rule, 41, 100 + refused.retryAfterMs - 1).allowed).toBe(false);
    expect(costPeek(first.state, rule, 41, 100 + refused.retryAfterMs).allowed).toBe(true);
    // used beyond the limit is charged all the same
    const over = costCharge(first.state, rule, 90, 200);
    expect(over.state.curr).toBe(150);
    expect(over.decision).toMatchObject({ allowed: false, remaining: 0 });
    // two windows later everything is forgotten
    expect(costPeek(over.state, rule, 100, 2000)).toMatchObject({ allowed: true, remaining: 100 });
  });

  it('long windows decay in 1/1000 steps, so huge limits stay exact', () => {
    const day = { limit: 2 ** 33, windowMs: 86_400_000 };
    const s = costCharge(undefined, day, 2 ** 33, 0).state;
    // next day, 0.1% in: the previous day still weighs 99.9%
    const d = costPeek(s, day, 1, 86_400_000 + 86_400);
    expect(d.allowed).toBe(true);
    expect(d.remaining).toBe(Math.floor(2 ** 33 / 1000));
    // just before that step nothing is left
    expect(costPeek(s, day, 1, 86_400_000 + 86_399).allowed).toBe(false);
  });

  it('caps a window at 256 times the limit, whatever an upstream reports', () => {
    const s = costCharge(undefined, rule, 1e18, 0).state;
    expect(s.curr).toBe(25_600);
    expect(costCharge(s, rule, 1e18, 1).state.curr).toBe(25_600);
    expect(costCharge(s, rule, Number.NaN, 2).state.curr).toBe(25_600);
  });

  it.each([
    [1, 1000],
    [100, 1000],
    [10_000, 60_000],
    [1_000_000, 3_600_000],
    [7, 1500],
  ])('limit %i per %i ms: Retry-After is the exact first millisecond a need fits', (limit, windowMs) => {
    const random = prng(limit + windowMs);
    const r = { limit, windowMs };
    let state: SlidingState | undefined;
    let now = 1_700_000_000_000;
    let refusals = 0;
    for (let i = 0; i < 400; i++) {
      now += Math.floor(random() * (windowMs / 4));
      const need = 1 + Math.floor(random() * limit);
      const d = costPeek(state, r, need, now);
      expect(d.remaining).toBeGreaterThanOrEqual(0);
      if (d.allowed) {
        state = costCharge(state, r, need + Math.floor(random() * limit * 0.5), now).state;
        continue;
      }
      refusals++;
      expect(costPeek(state, r, need, now + d.retryAfterMs).allowed).toBe(true);
      if (d.retryAfterMs > 1) expect(costPeek(state, r, need, now + d.retryAfterMs - 1).allowed).toBe(false);
    }
    expect(refusals).toBeGreaterThan(10);
  });
});
