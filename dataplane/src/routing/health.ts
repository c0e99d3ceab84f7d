import { HEALTH_DEFAULTS, type CompiledActiveHealthCheck, type CompiledRegistry } from '@tollgate/protocol';
import {
  breakerPhase,
  breakerAdmits,
  nextBreaker,
  ACTIVE_START,
  nextActive,
  BEGIN,
  END,
  type PassiveSettings,
  type Verdict,
  type BreakerPhase,
  type ProbeResult,
  type ProbeOutcome,
} from './breaker';
import { RegistryHealth, UpstreamHealth, type ActiveRecord } from './upstream-health';
// The state holders, re-exported: their users import them from here.
export { RegistryHealth, UpstreamHealth } from './upstream-health';
// The pure parts, re-exported: their users import them from here.
export {
  MAX_EJECTION_MULTIPLIER,
  CLOSED,
  breakerPhase,
  breakerAdmits,
  nextBreaker,
  ACTIVE_START,
  nextActive,
  type PassiveSettings,
  type Verdict,
  type BreakerState,
  type BreakerPhase,
  type BreakerEvent,
  type ActiveState,
  type ActiveThresholds,
  type ProbeResult,
  type ProbeOutcome,
} from './breaker';

/** Milliseconds on a monotonic clock; injected so tests can move time. */
export type Clock = () => number;

/**
 * Most upstreams tracked. Catch-all routes send whatever model a caller names, so their entries are
 * made per request. Above this many, entries made for a requested name are evicted (see `evict`);
 * configured upstreams are never evicted, whatever the catch-all traffic.
 */
export const MAX_TRACKED = 10_000;
/** Eviction frees a tenth of the room at once, so it runs once per many new names, not on each. */
const EVICT_TO = 0.9;
/** Weight of the newest sample in the latency average. */
const EWMA_ALPHA = 0.3;

export function passiveSettings(registry: CompiledRegistry): PassiveSettings {
  return registry.healthCheck?.passive ?? HEALTH_DEFAULTS.passive;
}

/** Health and load are kept per registry and upstream model: one model of a provider may fail alone. */
export function healthKey(registryName: string, upstreamModel: string): string {
  return `${registryName}\u0000${upstreamModel}`;
}

export interface HealthListener {
  ejected?(registry: string): void;
  retried?(registry: string, reason: string): void;
  probed?(registry: string, result: ProbeResult): void;
}

export interface UpstreamDump {
  model: string;
  /** False while its breaker is open or its registry's probes mark it unhealthy. */
  healthy: boolean;
  /** The breaker (passive health). */
  state: BreakerPhase;
  consecutiveFailures: number;
  ejections: number;
  /** Wall-clock time the ejection ends, while ejected. */
  ejectedUntil?: string;
  inflight: number;
  latencyEwmaMs?: number;
}

export interface ActiveDump {
  healthy: boolean;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
  path: string;
  intervalMs: number;
  /** Wall-clock time the probes marked it unhealthy, while they do. */
  unhealthySince?: string;
  lastProbe?: { result: ProbeResult; status?: number; error?: string; at: string; durationMs: number };
}

export interface RegistryDump {
  healthy: boolean;
  /** Present while the registry is probed. */
  active?: ActiveDump;
  upstreams: UpstreamDump[];
  /** How many upstreams were left out of `upstreams` to keep the dump small (see `dump`). */
  upstreamsOmitted?: number;
}

/** Upstreams listed per registry in a dump, by default. */
export const DUMP_UPSTREAMS_PER_REGISTRY = 100;

/**
 * Every upstream's health in this proxy process. Long-lived: created once, it outlives config
 * changes (keys are names, not config objects), and is never shared between replicas.
 */
export class HealthRegistry {
  private readonly states = new Map<string, UpstreamHealth>();
  private readonly maxTracked: number;
  private uses = 0;
  /** Per registry name; never dropped, so an upstream's `group` stays the one in use. */
  private readonly registries = new Map<string, RegistryHealth>();
  /** A test's clock; performance.now otherwise (called directly: see `now`). */
  private readonly clock: Clock | undefined;
  readonly listener: HealthListener;

  constructor(options: { now?: Clock; listener?: HealthListener; maxTracked?: number } = {}) {
    this.clock = options.now;
    this.listener = options.listener ?? {};
    this.maxTracked = options.maxTracked ?? MAX_TRACKED;
  }

  /**
   * The upstream's state, made on first use. `fromRequest`: the upstream model is the caller's
   * (a catch-all target without a model of its own), so the entry may be evicted.
   */
  get(key: string, registry: string, model: string, fromRequest = false): UpstreamHealth {
    let s = this.states.get(key);
    if (!s) {
      if (this.states.size >= this.maxTracked) this.evict();
      s = new UpstreamHealth(key, registry, model, this.registryHealth(registry));
      s.fromRequest = fromRequest;
      this.states.set(key, s);
    } else if (!fromRequest) {
      s.fromRequest = false; // a configured upstream too: kept
    }
    s.lastUsed = ++this.uses;
    return s;
  }

  /**
   * Monotonic ms. A method, not a per-instance closure: the request path's optimised code then
   * calls the same function in every registry (the warm-up's throwaway one and the real one), and
   * what the warm-up optimised stays valid when real traffic starts.
   */
  now(): number {
    return this.clock === undefined ? performance.now() : this.clock();
  }

  registryHealth(name: string): RegistryHealth {
    let r = this.registries.get(name);
    if (!r) {
      r = new RegistryHealth(name);
      this.registries.set(name, r);
    }
    return r;
  }

  /** Out of routing now: its breaker is open or its registry's probes mark it unhealthy. */
  isEjected(s: UpstreamHealth): boolean {
    return s.breaker.ejectedUntil > this.now() || s.group.activelyDown;
  }

  /** May a request be sent there now (panic mode aside)? */
  available(s: UpstreamHealth): boolean {
    return !s.group.activelyDown && breakerAdmits(s.breaker, this.now());
  }

  /** A try starts; returns whether it is the half-open trial. */
  begin(s: UpstreamHealth): boolean {
    s.inflight++;
    // In panic mode over an actively unhealthy registry a try is never the breaker's trial.
    if (s.group.activelyDown) return false;
    // (`begin` reads no settings.)
    const next = nextBreaker(s.breaker, BEGIN, HEALTH_DEFAULTS.passive, this.now());
    if (next === s.breaker) return false;
    s.breaker = next;
    return true;
  }

  /** The try's request is finished (for a response, once its body is done). */
  release(s: UpstreamHealth): void {
    if (s.inflight > 0) s.inflight--;
  }

  /** The try's verdict, known at response headers (or at the error). */
  record(s: UpstreamHealth, verdict: Verdict, trial: boolean, settings: PassiveSettings): void {
    const before = s.breaker;
    const now = this.now();
    const next = nextBreaker(before, END[verdict][trial ? 1 : 0], settings, now);
    if (next === before) return;
    s.breaker = next;
    if (next.ejectedAt !== before.ejectedAt && next.ejectedUntil > now) this.listener.ejected?.(s.registry);
  }

  observeLatency(s: UpstreamHealth, ms: number): void {
    s.ewmaMs = s.ewmaMs === undefined ? ms : s.ewmaMs + EWMA_ALPHA * (ms - s.ewmaMs);
  }

  /** Probes of `name` begin (again): it starts healthy, with no evidence. */
  startProbing(name: string, check: CompiledActiveHealthCheck): void {
    this.registryHealth(name).active = {
      check,
      state: ACTIVE_START,
      downSince: Number.NEGATIVE_INFINITY,
    };
  }

  /** Probes of `name` end (it left the config, or changed): their verdict no longer applies. */
  stopProbing(name: string): void {
    const r = this.registries.get(name);
    if (r) r.active = undefined;
  }

  /** One probe's outcome; returns the change it made to the registry's routing, if any. */
  recordProbe(name: string, outcome: ProbeOutcome): 'down' | 'up' | undefined {
    const active = this.registries.get(name)?.active;
    if (!active) return undefined;
    const now = this.now();
    const wasHealthy = active.state.healthy;
    active.state = nextActive(active.state, outcome.result === 'success', active.check);
    active.last = { outcome, at: now, wallAt: Date.now() };
    this.listener.probed?.(name, outcome.result);
    if (wasHealthy === active.state.healthy) return undefined;
    active.downSince = active.state.healthy ? Number.NEGATIVE_INFINITY : now;
    return active.state.healthy ? 'up' : 'down';
  }

  /** Registry name → true unless its probes mark it unhealthy or one of its upstream models is ejected now. */
  healthyByRegistry(): Map<string, boolean> {
    const now = this.now();
    const out = new Map<string, boolean>();
    for (const r of this.registries.values()) if (r.active) out.set(r.name, !r.activelyDown);
    for (const s of this.states.values()) {
      out.set(
        s.registry,
        (out.get(s.registry) ?? true) && !s.group.activelyDown && s.breaker.ejectedUntil <= now,
      );
    }
    return out;
  }

  /**
   * For /config_dump: registry → its probes' state and its upstreams' state, sorted by model. At
   * most `maxUpstreams` upstreams per registry (a catch-all route may have thousands): those whose
   * breaker is not closed or that have failures or requests in flight first, then the most recently
   * used; the rest are counted in `upstreamsOmitted`.
   */
  dump(maxUpstreams: number = DUMP_UPSTREAMS_PER_REGISTRY): Record<string, RegistryDump> {
    const now = this.now();
    const wall = Date.now();
    const iso = (t: number) => new Date(wall + (t - now)).toISOString();
    const out: Record<string, RegistryDump> = {};
    const names = [...this.registries.values()].filter((r) => r.active).map((r) => r.name);
    const states = [...this.states.values()];
    for (const name of [...new Set([...names, ...states.map((s) => s.registry)])].sort()) {
      const r = this.registryHealth(name);
      out[name] = {
        healthy: !r.activelyDown,
        ...(r.active ? { active: activeDump(r.active, iso) } : {}),
        upstreams: [],
      };
    }
    for (const s of states) {
      const entry = out[s.registry] as RegistryDump;
      // computed over every upstream, listed or not
      entry.healthy &&= breakerPhase(s.breaker, now) !== 'open' && !s.group.activelyDown;
    }
    for (const s of listed(states, maxUpstreams, now, out)) {
      const b = s.breaker;
      const phase = breakerPhase(b, now);
      const healthy = phase !== 'open' && !s.group.activelyDown;
      const entry = out[s.registry] as RegistryDump;
      entry.upstreams.push({
        model: s.model,
        healthy,
        state: phase,
        consecutiveFailures: b.consecutiveFailures,
        ejections: b.ejections,
        ...(phase === 'open' ? { ejectedUntil: iso(b.ejectedUntil) } : {}),
        inflight: s.inflight,
        ...(s.ewmaMs !== undefined ? { latencyEwmaMs: Math.round(s.ewmaMs * 10) / 10 } : {}),
      });
    }
    return out;
  }

  get size(): number {
    return this.states.size;
  }

  /**
   * Makes room among the entries made for a requested name (configured upstreams keep theirs):
   * drops those that carry no information (healthy, idle, never failing), then, while above
   * EVICT_TO of the cap, the least recently used idle ones.
   */
  private evict(): void {
    const evictable: UpstreamHealth[] = [];
    for (const [key, s] of this.states) {
      if (!s.fromRequest || s.inflight > 0) continue;
      if (s.breaker.consecutiveFailures === 0 && !s.breaker.probation) this.states.delete(key);
      else evictable.push(s);
    }
    const excess = this.states.size - Math.floor(this.maxTracked * EVICT_TO);
    if (excess <= 0) return;
    evictable.sort((a, b) => a.lastUsed - b.lastUsed);
    for (const s of evictable.slice(0, excess)) this.states.delete(s.key);
  }
}

/**
 * The upstreams a dump lists, sorted by key: per registry at most `max`, the eventful ones (breaker
 * not closed, failures, requests in flight) first, then the most recently used; the others are
 * counted in their registry's `upstreamsOmitted`.
 */
function listed(
  states: UpstreamHealth[],
  max: number,
  now: number,
  out: Record<string, RegistryDump>,
): UpstreamHealth[] {
  const byRegistry = new Map<string, UpstreamHealth[]>();
  for (const s of states) {
    const list = byRegistry.get(s.registry);
    if (list) list.push(s);
    else byRegistry.set(s.registry, [s]);
  }
  const eventful = (s: UpstreamHealth) =>
    breakerPhase(s.breaker, now) !== 'closed' || s.breaker.consecutiveFailures > 0 || s.inflight > 0 ? 1 : 0;
  const kept: UpstreamHealth[] = [];
  for (const [registry, list] of byRegistry) {
    if (list.length > max) {
      list.sort((a, b) => eventful(b) - eventful(a) || b.lastUsed - a.lastUsed);
      (out[registry] as RegistryDump).upstreamsOmitted = list.length - max;
      kept.push(...list.slice(0, max));
    } else kept.push(...list);
  }
  return kept.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function activeDump(a: ActiveRecord, iso: (t: number) => string): ActiveDump {
  const last = a.last;
  return {
    healthy: a.state.healthy,
    consecutiveSuccesses: a.state.successes,
    consecutiveFailures: a.state.failures,
    path: a.check.path,
    intervalMs: a.check.intervalMs,
    ...(a.state.healthy ? {} : { unhealthySince: iso(a.downSince) }),
    ...(last
      ? {
          lastProbe: {
            result: last.outcome.result,
            ...(last.outcome.status !== undefined ? { status: last.outcome.status } : {}),
            ...(last.outcome.error !== undefined ? { error: last.outcome.error } : {}),
            at: new Date(last.wallAt).toISOString(),
            durationMs: Math.round(last.outcome.durationMs * 10) / 10,
          },
        }
      : {}),
  };
}
