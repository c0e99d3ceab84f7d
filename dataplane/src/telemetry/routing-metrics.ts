import { Counter, Gauge, type Registry } from 'prom-client';
import { HealthRegistry, type HealthListener } from '../routing/health';
import { perRegistry } from './prom';

/**
 * Upstream health on /metrics. The gauge is computed at scrape time from the health registry, so
 * the request path pays nothing for it; the counters are bumped by the health listener, which
 * fires on ejections, retries and active probes only (rare events, not per request).
 */
export const createRoutingMetrics = perRegistry(makeRoutingMetrics);

interface RoutingMetrics {
  listener: HealthListener;
  /** The health registry the gauge reads at scrape time (the latest one watched). */
  watch(health: HealthRegistry): void;
}

function makeRoutingMetrics(registry: Registry): RoutingMetrics {
  let watched: HealthRegistry | undefined;
  new Gauge({
    name: 'tollgate_upstream_healthy',
    help: 'Per registry: 1 unless its active health probes fail or one of its upstream models is ejected now (registries this proxy has sent to or probes).',
    labelNames: ['registry'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [name, healthy] of watched?.healthyByRegistry() ?? []) {
        this.labels({ registry: name }).set(healthy ? 1 : 0);
      }
    },
  });
  const ejections = new Counter({
    name: 'tollgate_upstream_ejections_total',
    help: 'Upstream ejections by passive health checking (consecutive failures, or a failed half-open trial).',
    labelNames: ['registry'],
    registers: [registry],
  });
  const retries = new Counter({
    name: 'tollgate_upstream_retries_total',
    help: 'Tries made again after a failure (on the same or another upstream), by the failed registry and failure kind.',
    labelNames: ['registry', 'reason'],
    registers: [registry],
  });
  const probes = new Counter({
    name: 'tollgate_health_probes_total',
    help: 'Active health probes by registry and result: success (2xx), status (any other answer), timeout, error (connect or protocol error).',
    labelNames: ['registry', 'result'],
    registers: [registry],
  });
  return {
    listener: {
      ejected: (name) => ejections.labels({ registry: name }).inc(),
      retried: (name, reason) => retries.labels({ registry: name, reason }).inc(),
      probed: (name, result) => probes.labels({ registry: name, result }).inc(),
    },
    watch(health) {
      watched = health;
    },
  };
}

/** A health registry whose events and state show on `registry`'s /metrics. */
export function createObservedHealth(registry: Registry): HealthRegistry {
  const m = createRoutingMetrics(registry);
  const health = new HealthRegistry({ listener: m.listener });
  m.watch(health);
  return health;
}
