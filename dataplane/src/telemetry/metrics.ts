import { Counter, Histogram, Registry, collectDefaultMetrics, Gauge } from 'prom-client';

export interface ProxyMetrics {
  readonly registry: Registry;
  /** Label values are all bounded by config (the route's model, not the requested one). */
  observeRequest(
    gateway: string,
    consumer: string,
    registry: string,
    model: string,
    status: number,
    seconds: number,
  ): void;
  observeUpstream(registry: string, model: string, seconds: number): void;
  setConfig(serial: number, resources: number): void;
  inFlight: Gauge;
  /** A rate-limit decision: `unavailable` is a FailClosed refusal while Redis is unreachable. */
  observeRateLimit(
    policy: string,
    decision: 'allowed' | 'limited' | 'unavailable',
    store: 'redis' | 'local' | 'none',
  ): void;
  /** A failed Redis command (timeout, unavailable, error) or a connection error. */
  countRedisError(reason: 'timeout' | 'unavailable' | 'connection' | 'error'): void;
}

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export function createMetrics(options: { defaultMetrics?: boolean } = {}): ProxyMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'tollgate_' });
  const requests = new Counter({
    name: 'tollgate_requests_total',
    help: 'Requests handled, by gateway, consumer, registry, route model and response status.',
    labelNames: ['gateway', 'consumer', 'registry', 'model', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'tollgate_request_duration_seconds',
    help: 'Time from request received to response finished (streams included).',
    labelNames: ['gateway', 'consumer', 'registry', 'model', 'status'],
    buckets: BUCKETS,
    registers: [registry],
  });
  const upstream = new Histogram({
    name: 'tollgate_upstream_duration_seconds',
    help: 'Time from upstream request sent to upstream response headers.',
    labelNames: ['registry', 'model'],
    buckets: BUCKETS,
    registers: [registry],
  });
  const configSerial = new Gauge({
    name: 'tollgate_config_serial',
    help: 'Serial number of the config snapshot in use.',
    registers: [registry],
  });
  const configResources = new Gauge({
    name: 'tollgate_config_resources',
    help: 'Resources in the config snapshot in use.',
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'tollgate_requests_in_flight',
    help: 'Requests being handled now.',
    registers: [registry],
  });
  const rateLimits = new Counter({
    name: 'tollgate_ratelimit_decisions_total',
    help: 'Rate-limit decisions by policy, decision (allowed, limited, unavailable) and counter store (redis, local; none when refused unavailable).',
    labelNames: ['policy', 'decision', 'store'],
    registers: [registry],
  });
  const redisErrors = new Counter({
    name: 'tollgate_redis_errors_total',
    help: 'Redis failures: commands that timed out, could not be sent or failed, and connection errors.',
    labelNames: ['reason'],
    registers: [registry],
  });
  const requestChild = cachedChild((gateway, consumer, reg, model, status) => {
    const labels = { gateway, consumer, registry: reg, model, status };
    const c = requests.labels(labels);
    const h = duration.labels(labels);
    return (s: number) => {
      c.inc();
      h.observe(s);
    };
  });
  const upstreamChild = cachedChild((reg, model) => upstream.labels({ registry: reg, model }));
  const rateLimitChild = cachedChild((policy, decision, store) =>
    rateLimits.labels({ policy, decision, store }),
  );
  const redisErrorChild = cachedChild((reason) => redisErrors.labels({ reason }));
  return {
    registry,
    inFlight,
    observeRequest(gateway, consumer, reg, model, status, seconds) {
      requestChild(gateway, consumer, reg, model, String(status))(seconds);
    },
    observeUpstream(reg, model, seconds) {
      upstreamChild(reg, model).observe(seconds);
    },
    observeRateLimit(policy, decision, store) {
      rateLimitChild(policy, decision, store).inc();
    },
    countRedisError(reason) {
      redisErrorChild(reason).inc();
    },
    setConfig(serial, count) {
      configSerial.set(serial);
      configResources.set(count);
    },
  };
}

/**
 * Labelled children cached by their label values: prom-client otherwise hashes the label set on
 * every call, which the request path pays once per request per metric.
 */
function cachedChild<T>(make: (...values: string[]) => T): (...values: string[]) => T {
  const children = new Map<string, T>();
  return (...values) => {
    const key = values.join('\u0000');
    let child = children.get(key);
    if (child === undefined) {
      child = make(...values);
      children.set(key, child);
    }
    return child;
  };
}
