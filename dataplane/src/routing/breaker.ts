import type { CompiledActiveHealthCheck } from '@tollgate/protocol';

// The pure state machines of upstream health: health.ts keeps the state and the clock.

export type PassiveSettings = { consecutiveFailures: number; ejectionMs: number };

/** What one try told us about an upstream. 429 and client aborts are `neutral`: no evidence either way. */
export type Verdict = 'success' | 'failure' | 'neutral';

/** A repeated ejection lasts ejectionMs × this many at most (30s → 5 min, Envoy's default cap). */
export const MAX_EJECTION_MULTIPLIER = 10;

// ---------------------------------------------------------------- the circuit breaker (pure)

/**
 * One upstream's circuit breaker (passive health). Closed: traffic flows, failures in a row are
 * counted. Open (ejected): no traffic until `ejectedUntil`. Half-open (`probation` once the
 * ejection is over): one trial try at a time; its success closes the breaker, its failure opens it
 * again for longer (ejectionMs × ejections in a row, at most ×MAX_EJECTION_MULTIPLIER). Values are
 * never changed in place: a transition returns a new state, or the same one when nothing changes.
 */
export interface BreakerState {
  readonly consecutiveFailures: number;
  /** Ejections in a row without a success between them: multiplies the ejection duration. */
  readonly ejections: number;
  /** When the last ejection began (kept after it ends: panic mode prefers the least recent). */
  readonly ejectedAt: number;
  readonly ejectedUntil: number;
  /** The ejection is over but no success has closed the breaker yet: half-open. */
  readonly probation: boolean;
  /** The half-open trial is out: other tries keep away until it is decided. */
  readonly trialInFlight: boolean;
}

export const CLOSED: BreakerState = Object.freeze({
  consecutiveFailures: 0,
  ejections: 0,
  ejectedAt: Number.NEGATIVE_INFINITY,
  ejectedUntil: Number.NEGATIVE_INFINITY,
  probation: false,
  trialInFlight: false,
});

export type BreakerPhase = 'closed' | 'open' | 'halfOpen';

export type BreakerEvent =
  /** A try is sent: in the half-open phase, the first one takes the trial slot. */
  | { readonly type: 'begin' }
  /** A try's verdict; `trial` when its `begin` took the trial slot. */
  | { readonly type: 'end'; readonly verdict: Verdict; readonly trial: boolean };

export function breakerPhase(s: BreakerState, now: number): BreakerPhase {
  if (s.ejectedUntil > now) return 'open';
  return s.probation ? 'halfOpen' : 'closed';
}

/** May a try be sent (panic mode aside)? Closed, or half-open with the trial slot free. */
export function breakerAdmits(s: BreakerState, now: number): boolean {
  return s.ejectedUntil <= now && !(s.probation && s.trialInFlight);
}

/** The breaker's transition function. */
export function nextBreaker(
  s: BreakerState,
  e: BreakerEvent,
  settings: PassiveSettings,
  now: number,
): BreakerState {
  if (e.type === 'begin') {
    return breakerPhase(s, now) === 'halfOpen' && !s.trialInFlight ? { ...s, trialInFlight: true } : s;
  }
  // A trial decides only while the breaker is still half-open (another try's success may have
  // closed it meanwhile); it frees the slot whatever its verdict.
  const decides = e.trial && s.probation;
  const base = e.trial && s.trialInFlight ? { ...s, trialInFlight: false } : s;
  switch (e.verdict) {
    case 'neutral':
      return base;
    case 'success':
      if (
        base.consecutiveFailures === 0 &&
        base.ejections === 0 &&
        !base.probation &&
        base.ejectedUntil <= now
      )
        return base;
      return {
        ...base,
        consecutiveFailures: 0,
        ejections: 0,
        probation: false,
        ejectedUntil: Number.NEGATIVE_INFINITY,
      };
    case 'failure': {
      const consecutiveFailures = base.consecutiveFailures + 1;
      const open = base.ejectedUntil > now;
      // Failures of tries sent before the ejection, or in panic mode, neither eject nor extend.
      if (decides || (!base.probation && !open && consecutiveFailures >= settings.consecutiveFailures)) {
        const ejections = Math.min(base.ejections + 1, MAX_EJECTION_MULTIPLIER);
        return {
          consecutiveFailures,
          ejections,
          ejectedAt: now,
          ejectedUntil: now + settings.ejectionMs * ejections,
          probation: true,
          trialInFlight: false,
        };
      }
      return { ...base, consecutiveFailures };
    }
  }
}

export const BEGIN: BreakerEvent = { type: 'begin' };
/** The end events, made once: the hot path allocates nothing when the state does not change. */
export const END: Record<Verdict, readonly [BreakerEvent, BreakerEvent]> = {
  success: [
    { type: 'end', verdict: 'success', trial: false },
    { type: 'end', verdict: 'success', trial: true },
  ],
  failure: [
    { type: 'end', verdict: 'failure', trial: false },
    { type: 'end', verdict: 'failure', trial: true },
  ],
  neutral: [
    { type: 'end', verdict: 'neutral', trial: false },
    { type: 'end', verdict: 'neutral', trial: true },
  ],
};

// ---------------------------------------------------------------- active probes (pure)

/** What a registry's probes say, counted in a row. A registry starts healthy (no evidence yet). */
export interface ActiveState {
  readonly healthy: boolean;
  readonly successes: number;
  readonly failures: number;
}

export const ACTIVE_START: ActiveState = Object.freeze({ healthy: true, successes: 0, failures: 0 });

export type ActiveThresholds = Pick<CompiledActiveHealthCheck, 'unhealthyThreshold' | 'healthyThreshold'>;

/** After one probe: unhealthyThreshold failures in a row mark it unhealthy, healthyThreshold successes healthy. */
export function nextActive(s: ActiveState, success: boolean, t: ActiveThresholds): ActiveState {
  if (success) {
    const successes = s.successes + 1;
    return { healthy: s.healthy || successes >= t.healthyThreshold, successes, failures: 0 };
  }
  const failures = s.failures + 1;
  return { healthy: s.healthy && failures < t.unhealthyThreshold, successes: 0, failures };
}

/** How one probe ended: `status` is an answer other than 2xx; `error` a connect or protocol error. */
export type ProbeResult = 'success' | 'status' | 'timeout' | 'error';

export interface ProbeOutcome {
  result: ProbeResult;
  /** The HTTP status, when there was an answer. */
  status?: number;
  /** Why it failed, without credentials (e.g. `connect ECONNREFUSED 10.0.0.1:443`). */
  error?: string;
  durationMs: number;
}
