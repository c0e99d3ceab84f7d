import { slidingWindow, tokenBucket, type BucketState, type SlidingState, type Step } from './window';

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
