/**
 * The counting algorithms as pure functions of (state, rule, now): the in-process store runs these,
 * and the Redis Lua scripts (scripts.ts) are line-for-line the same arithmetic, so both stores decide
 * identically (window.redis.test.ts runs one table through both).
 */

export type Algorithm = 'SlidingWindow' | 'TokenBucket';

export interface RateRule {
  readonly limit: number;
  readonly windowMs: number;
  readonly algorithm: Algorithm;
}

export interface Decision {
  readonly allowed: boolean;
  readonly limit: number;
  /** Requests still allowed now (after this one when it was allowed). */
  readonly remaining: number;
  /** When refused: how long until one request would be allowed (>= 1 ms). 0 when allowed. */
  readonly retryAfterMs: number;
  /** How long until the full limit is available again. */
  readonly resetMs: number;
}

/** Sliding-window counter: the current fixed window's count plus the previous one's, weighted. */
export interface SlidingState {
  /** Index of the current window: floor(now / windowMs). */
  window: number;
  curr: number;
  prev: number;
}

export interface Step<S> {
  state: S;
  decision: Decision;
  /** False when the state is unchanged (a refusal): nothing to write back. */
  changed: boolean;
}

/*
 * All arithmetic is on whole numbers (counts, milliseconds, and their products, which compile keeps
 * below 2^53), so it is exact in JavaScript and in Redis's Lua alike: the two stores cannot drift
 * apart by a rounding, and Retry-After is the exact first millisecond a request would pass.
 */

/**
 * SlidingWindow: the request count over the last `windowMs`, estimated as the current fixed
 * window's count plus the previous window's count weighted by how much of it the sliding window
 * still covers (the sliding-window counter Cloudflare describes). O(1) state per key whatever the
 * limit; it assumes the previous window's requests were spread evenly, so a burst at the end of one
 * window keeps weighing on the next (with a limit of 1, one request per up to two windows; use
 * TokenBucket for small exact limits). A refused request is not counted.
 *
 * In units of 1/windowMs of a request: used = prev * (W - elapsed) + curr * W, against limit * W.
 */
export function slidingWindow(
  state: SlidingState | undefined,
  limit: number,
  windowMs: number,
  now: number,
): Step<SlidingState> {
  const w = windowMs;
  const view = windowView(state, w, now);
  const { idx, elapsed, prev } = view;
  let curr = view.curr;
  let allowed = false;
  let retry = 0;
  if (prev * (w - elapsed) + (curr + 1) * w <= limit * w) {
    curr = curr + 1;
    allowed = true;
  } else if (curr + 1 <= limit) {
    // The previous window's share is in the way: wait until it has decayed enough.
    retry = w - elapsed - Math.floor(((limit - curr - 1) * w) / prev);
  } else {
    // This window is full: wait for the next one, then for this window's count to decay.
    retry = w - elapsed + w - Math.floor(((limit - 1) * w) / curr);
  }
  if (!allowed && retry < 1) retry = 1;
  const remaining = Math.max(0, Math.floor((limit * w - prev * (w - elapsed) - curr * w) / w));
  let reset = 0;
  if (curr > 0) reset = 2 * w - elapsed;
  else if (prev > 0) reset = w - elapsed;
  return {
    state: { window: idx, curr, prev },
    decision: { allowed, limit, remaining, retryAfterMs: retry, resetMs: reset },
    changed: allowed,
  };
}

/** Token bucket, in units of 1/windowMs of a token: it holds up to limit * W and gains `limit` a millisecond. */
export interface BucketState {
  units: number;
  /** When `units` was computed. */
  ts: number;
}

/**
 * TokenBucket: allows bursts up to `limit`, then `limit` requests per `windowMs`, evenly spread.
 * A request takes one token (W units); a refused request takes nothing.
 */
export function tokenBucket(
  state: BucketState | undefined,
  limit: number,
  windowMs: number,
  now: number,
): Step<BucketState> {
  const w = windowMs;
  const capacity = limit * w;
  let units = capacity;
  let ts = now;
  if (state) {
    ts = Math.max(state.ts, now);
    units = Math.min(capacity, state.units + (ts - state.ts) * limit);
  }
  let allowed = false;
  let retry = 0;
  if (units >= w) {
    units = units - w;
    allowed = true;
  } else {
    retry = Math.ceil((w - units) / limit);
  }
  const remaining = Math.floor(units / w);
  const reset = Math.ceil((capacity - units) / limit);
  return {
    state: { units, ts },
    decision: { allowed, limit, remaining, retryAfterMs: retry, resetMs: reset },
    // A refusal leaves the bucket as it was: the refill is a function of the stored state and time.
    changed: allowed,
  };
}

/*
 * Cost-weighted sliding window (token limits): a hit costs what the response used, known only
 * afterwards, so checking and counting are two operations: `peek` decides whether `need` more units
 * fit without counting anything, `charge` counts what was used, refusing nothing (it was spent).
 *
 * The state is the sliding-window counter's; the previous window's weight decays in S steps per
 * window (S = min(windowMs, 1000): every millisecond up to 1 s windows, 1/1000 of the window beyond),
 * so sums are in units of 1/S of a token rather than 1/windowMs and large limits over long windows
 * stay exact: with limit <= 2^33 and each window's count capped at CHARGE_CAP * limit, every product
 * below stays under 2^53.
 */

export interface CostRule {
  /** Units (tokens) allowed per window. */
  readonly limit: number;
  readonly windowMs: number;
}

/** Charges beyond this multiple of the limit are forgotten: the next window is blocked almost whole anyway. */
export const CHARGE_CAP = 256;

export function stepsPerWindow(windowMs: number): number {
  return Math.min(windowMs, 1000);
}

/**
 * Where `now` falls and what the state says there, for every sliding window: the clock going back
 * stays in the stored window, as if at its start.
 */
function windowView(state: SlidingState | undefined, w: number, now: number) {
  let idx = Math.floor(now / w);
  let elapsed = now - idx * w;
  let curr = 0;
  let prev = 0;
  if (state) {
    if (state.window > idx) {
      idx = state.window;
      elapsed = 0;
    }
    if (state.window === idx) {
      curr = state.curr;
      prev = state.prev;
    } else if (state.window === idx - 1) {
      prev = state.curr;
    }
  }
  return { idx, elapsed, curr, prev };
}

/**
 * The decision for `need` units (1 <= need <= limit, clamped) against a window holding `curr` now
 * and `prev` in the window before, `elapsed` ms into the current one. Retry-After is the first
 * millisecond at which `need` units fit, should nothing else be charged meanwhile.
 */
function costDecision(
  limit: number,
  w: number,
  elapsed: number,
  curr: number,
  prev: number,
  needed: number,
): Decision {
  const s = stepsPerWindow(w);
  const need = Math.max(1, Math.min(needed, limit));
  const k = Math.floor((elapsed * s) / w);
  const used = prev * (s - k) + curr * s;
  const allowed = used + need * s <= limit * s;
  let retry = 0;
  if (!allowed) {
    if (curr + need <= limit) {
      // The previous window's share is in the way: wait for the step at which it has decayed enough.
      const step = s - Math.floor(((limit - curr - need) * s) / prev);
      retry = Math.ceil((step * w) / s) - elapsed;
    } else {
      // This window alone is too full: wait for the next one, then for this one's share to decay.
      const step = s - Math.floor(((limit - need) * s) / curr);
      retry = w - elapsed + Math.ceil((step * w) / s);
    }
    if (retry < 1) retry = 1;
  }
  const remaining = Math.max(0, Math.floor((limit * s - used) / s));
  let reset = 0;
  if (curr > 0) reset = 2 * w - elapsed;
  else if (prev > 0) reset = w - elapsed;
  return { allowed, limit, remaining, retryAfterMs: retry, resetMs: reset };
}

/** Would `need` units fit now? Counts nothing. */
export function costPeek(
  state: SlidingState | undefined,
  rule: CostRule,
  need: number,
  now: number,
): Decision {
  const v = windowView(state, rule.windowMs, now);
  return costDecision(rule.limit, rule.windowMs, v.elapsed, v.curr, v.prev, need);
}

/**
 * Counts `cost` units used now (never refused: they were spent), capped at CHARGE_CAP * limit per
 * window. The decision is for one more unit afterwards: `remaining` is what is left.
 */
export function costCharge(
  state: SlidingState | undefined,
  rule: CostRule,
  cost: number,
  now: number,
): Step<SlidingState> {
  const cap = CHARGE_CAP * rule.limit;
  const v = windowView(state, rule.windowMs, now);
  const units = cost > 0 ? Math.min(cap, Math.floor(cost)) : 0; // NaN counts nothing
  const curr = Math.min(cap, v.curr + units);
  return {
    state: { window: v.idx, curr, prev: v.prev },
    decision: costDecision(rule.limit, rule.windowMs, v.elapsed, curr, v.prev, 1),
    changed: true,
  };
}
