import { CLOSED, type ActiveState, type BreakerState, type ProbeOutcome } from './breaker';
import type { CompiledActiveHealthCheck } from '@tollgate/protocol';

/** The per-upstream and per-registry state holders that HealthRegistry keeps. */

// ---------------------------------------------------------------- state holders

/** A registry's probe record while it is probed. */
export interface ActiveRecord {
  readonly check: CompiledActiveHealthCheck;
  state: ActiveState;
  /** When the probes marked it unhealthy (monotonic clock); -∞ while healthy. */
  downSince: number;
  last?: { outcome: ProbeOutcome; at: number; wallAt: number };
}

/** What every upstream model of one registry shares: the active probes' verdict. */
export class RegistryHealth {
  active: ActiveRecord | undefined = undefined;
  constructor(readonly name: string) {}

  /** Marked unhealthy by its probes now. */
  get activelyDown(): boolean {
    return this.active !== undefined && !this.active.state.healthy;
  }
}

/** One upstream's breaker and load figures; the breaker state is replaced on each transition. */
export class UpstreamHealth {
  breaker: BreakerState = CLOSED;
  /** Requests sent and not finished (streamed bodies included). */
  inflight = 0;
  /** Average time to response headers; undefined until the first answer. */
  ewmaMs: number | undefined = undefined;
  /** When it was last looked up, on the registry's use counter (for least-recently-used eviction). */
  lastUsed = 0;
  /** Made for a model a caller named on a catch-all route, never for a configured one: evictable. */
  fromRequest = false;

  constructor(
    readonly key: string,
    readonly registry: string,
    readonly model: string,
    readonly group: RegistryHealth = new RegistryHealth(registry),
  ) {}

  get consecutiveFailures(): number {
    return this.breaker.consecutiveFailures;
  }
  get ejections(): number {
    return this.breaker.ejections;
  }
  get probation(): boolean {
    return this.breaker.probation;
  }
  get ejectedUntil(): number {
    return this.breaker.ejectedUntil;
  }
  /** When it was last taken out of routing, by its breaker or by its registry's probes. */
  get ejectedAt(): number {
    const a = this.group.active;
    return a && !a.state.healthy ? Math.max(this.breaker.ejectedAt, a.downSince) : this.breaker.ejectedAt;
  }
}
