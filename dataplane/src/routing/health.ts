import { HEALTH_DEFAULTS, type CompiledRegistry } from '../../../protocol/src';

/** Milliseconds on a monotonic clock; injected so tests can move time. */
export type Clock = () => number;

export type PassiveSettings = { consecutiveFailures: number; ejectionMs: number };

/** What one try told us about an upstream. 429 and client aborts are `neutral`: no evidence either way. */
export type Verdict = 'success' | 'failure' | 'neutral';

/** A repeated ejection lasts ejectionMs × this many at most (30s → 5 min, Envoy's default cap). */
export const MAX_EJECTION_MULTIPLIER = 10;
/** Above this many tracked upstreams, idle healthy ones are forgotten (catch-all routes pass any model). */
const MAX_TRACKED = 10_000;
/** Weight of the newest sample in the latency average. */
const EWMA_ALPHA = 0.3;

export function passiveSettings(registry: CompiledRegistry): PassiveSettings {
  return registry.healthCheck?.passive ?? HEALTH_DEFAULTS.passive;
}

/** Health and load are kept per registry and upstream model: one model of a provider may fail alone. */
export function healthKey(registryName: string, upstreamModel: string): string {
  return `${registryName}\u0000${upstreamModel}`;
}

/**
 * One upstream's circuit breaker and load figures. Closed: traffic flows. Open (ejected): no
 * traffic until `ejectedUntil`. Then half-open (`probation`): one trial request at a time; its
 * success closes the breaker, its failure ejects again for longer.
 */
export class UpstreamHealth {
  consecutiveFailures = 0;
  /** Ejections in a row without a success between them: multiplies the ejection duration. */
  ejections = 0;
  ejectedAt = Number.NEGATIVE_INFINITY;
  ejectedUntil = Number.NEGATIVE_INFINITY;
  probation = false;
  trialInFlight = false;
  /** Requests sent and not finished (streamed bodies included). */
  inflight = 0;
  /** Average time to response headers; undefined until the first answer. */
  ewmaMs: number | undefined = undefined;

  constructor(
    readonly key: string,
    readonly registry: string,
    readonly model: string,
  ) {}
}

export interface HealthListener {
  ejected?(registry: string): void;
  retried?(registry: string, reason: string): void;
}

export interface UpstreamDump {
  model: string;
  healthy: boolean;
  state: 'closed' | 'open' | 'halfOpen';
  consecutiveFailures: number;
  ejections: number;
  /** Wall-clock time the ejection ends, while ejected. */
  ejectedUntil?: string;
  inflight: number;
  latencyEwmaMs?: number;
}

/**
 * Every upstream's health in this proxy process. Long-lived: created once, it outlives config
 * changes (keys are names, not config objects), and is never shared between replicas.
 */
export class HealthRegistry {
  private readonly states = new Map<string, UpstreamHealth>();
  readonly now: Clock;
  readonly listener: HealthListener;

  constructor(options: { now?: Clock; listener?: HealthListener } = {}) {
    this.now = options.now ?? (() => performance.now());
    this.listener = options.listener ?? {};
  }

  get(key: string, registry: string, model: string): UpstreamHealth {
    let s = this.states.get(key);
    if (!s) {
      if (this.states.size >= MAX_TRACKED) this.forgetIdle();
      s = new UpstreamHealth(key, registry, model);
      this.states.set(key, s);
    }
    return s;
  }

  isEjected(s: UpstreamHealth): boolean {
    return s.ejectedUntil > this.now();
  }

  /** May a request be sent there now (panic mode aside)? */
  available(s: UpstreamHealth): boolean {
    if (this.isEjected(s)) return false;
    return !(s.probation && s.trialInFlight);
  }

  /** A try starts; returns whether it is the half-open trial. */
  begin(s: UpstreamHealth): boolean {
    s.inflight++;
    if (s.probation && !s.trialInFlight && !this.isEjected(s)) {
      s.trialInFlight = true;
      return true;
    }
    return false;
  }

  /** The try's request is finished (for a response, once its body is done). */
  release(s: UpstreamHealth): void {
    if (s.inflight > 0) s.inflight--;
  }

  /** The try's verdict, known at response headers (or at the error). */
  record(s: UpstreamHealth, verdict: Verdict, trial: boolean, settings: PassiveSettings): void {
    if (trial) s.trialInFlight = false;
    if (verdict === 'success') {
      s.consecutiveFailures = 0;
      s.ejections = 0;
      s.probation = false;
      s.ejectedUntil = Number.NEGATIVE_INFINITY;
      return;
    }
    if (verdict === 'neutral') return;
    s.consecutiveFailures++;
    if (trial) this.eject(s, settings);
    // Failures of requests sent before the ejection, or in panic mode, do not extend it.
    else if (!s.probation && !this.isEjected(s) && s.consecutiveFailures >= settings.consecutiveFailures)
      this.eject(s, settings);
  }

  observeLatency(s: UpstreamHealth, ms: number): void {
    s.ewmaMs = s.ewmaMs === undefined ? ms : s.ewmaMs + EWMA_ALPHA * (ms - s.ewmaMs);
  }

  private eject(s: UpstreamHealth, settings: PassiveSettings): void {
    const now = this.now();
    s.ejections = Math.min(s.ejections + 1, MAX_EJECTION_MULTIPLIER);
    s.ejectedAt = now;
    s.ejectedUntil = now + settings.ejectionMs * s.ejections;
    s.probation = true;
    s.trialInFlight = false;
    this.listener.ejected?.(s.registry);
  }

  /** Registry name → 1 unless one of its upstream models is ejected now. */
  healthyByRegistry(): Map<string, boolean> {
    const out = new Map<string, boolean>();
    for (const s of this.states.values()) {
      out.set(s.registry, (out.get(s.registry) ?? true) && !this.isEjected(s));
    }
    return out;
  }

  /** For /config_dump: registry → its upstreams' state, sorted. */
  dump(): Record<string, { healthy: boolean; upstreams: UpstreamDump[] }> {
    const now = this.now();
    const wall = Date.now();
    const out: Record<string, { healthy: boolean; upstreams: UpstreamDump[] }> = {};
    const states = [...this.states.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const s of states) {
      const ejected = s.ejectedUntil > now;
      const entry = (out[s.registry] ??= { healthy: true, upstreams: [] });
      entry.healthy &&= !ejected;
      entry.upstreams.push({
        model: s.model,
        healthy: !ejected,
        state: ejected ? 'open' : s.probation ? 'halfOpen' : 'closed',
        consecutiveFailures: s.consecutiveFailures,
        ejections: s.ejections,
        ...(ejected ? { ejectedUntil: new Date(wall + (s.ejectedUntil - now)).toISOString() } : {}),
        inflight: s.inflight,
        ...(s.ewmaMs !== undefined ? { latencyEwmaMs: Math.round(s.ewmaMs * 10) / 10 } : {}),
      });
    }
    return out;
  }

  get size(): number {
    return this.states.size;
  }

  /** Drops upstreams that carry no information: healthy, idle, never failing. */
  private forgetIdle(): void {
    for (const [key, s] of this.states) {
      if (s.inflight === 0 && s.consecutiveFailures === 0 && !s.probation) this.states.delete(key);
    }
  }
}
