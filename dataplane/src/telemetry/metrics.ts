import { Counter, Registry, collectDefaultMetrics, Gauge } from 'prom-client';
import type { Usage } from '../formats/ir';
import { ChildCache } from './prom';
import { CounterVec, GaugeValue, HistogramVec, type CounterChild, type HistogramChild } from './vec';

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
  /** Tokens an upstream reported using, by kind (input includes cached; output includes reasoning). */
  observeTokens(gateway: string, consumer: string, registry: string, model: string, usage: Usage): void;
  setConfig(serial: number, resources: number): void;
  inFlight: GaugeValue;
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

/** The proxy's instruments, registered on a new registry (the names and help texts operators see). */
function defineMetrics(options: { defaultMetrics?: boolean }) {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'tollgate_' });
  const registers = [registry];
  const requests = new CounterVec(
    {
      name: 'tollgate_requests_total',
      help: 'Requests handled, by gateway, consumer, registry, route model and response status.',
      labelNames: ['gateway', 'consumer', 'registry', 'model', 'status'],
    },
    registers,
  );
  const duration = new HistogramVec(
    {
      name: 'tollgate_request_duration_seconds',
      help: 'Time from request received to response finished (streams included).',
      labelNames: ['gateway', 'consumer', 'registry', 'model', 'status'],
      buckets: BUCKETS,
    },
    registers,
  );
  const upstream = new HistogramVec(
    {
      name: 'tollgate_upstream_duration_seconds',
      help: 'Time from upstream request sent to upstream response headers.',
      labelNames: ['registry', 'model'],
      buckets: BUCKETS,
    },
    registers,
  );
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
  const inFlight = new GaugeValue(
    { name: 'tollgate_requests_in_flight', help: 'Requests being handled now.' },
    registers,
  );
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
  const tokens = new CounterVec(
    {
      name: 'tollgate_tokens_total',
      help: 'Tokens reported by upstreams, by kind: input (cached included), output (reasoning included), cached_input, reasoning.',
      labelNames: ['gateway', 'consumer', 'registry', 'model', 'kind'],
    },
    registers,
  );
  return {
    registry,
    requests,
    duration,
    upstream,
    configSerial,
    configResources,
    inFlight,
    rateLimits,
    redisErrors,
    tokens,
  };
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): ProxyMetrics {
  const m = defineMetrics(options);
  const { registry, requests, duration, upstream, configSerial, configResources, inFlight } = m;
  const { rateLimits, redisErrors, tokens } = m;
  const tokenChildren = new ChildCache<(u: Usage) => void>();
  const requestChildren = new ChildCache<(seconds: number) => void>();
  const upstreamChildren = new ChildCache<HistogramChild>();
  const rateLimitChildren = new ChildCache<ReturnType<typeof rateLimits.labels>>();
  const redisErrorChildren = new ChildCache<ReturnType<typeof redisErrors.labels>>();
  return {
    registry,
    inFlight,
    observeRequest(gateway, consumer, reg, model, status, seconds) {
      const key = `${gateway}\u0000${consumer}\u0000${reg}\u0000${model}\u0000${status}`;
      const observe = requestChildren.of(key, () => {
        const c = requests.labels(gateway, consumer, reg, model, String(status));
        const h = duration.labels(gateway, consumer, reg, model, String(status));
        return (s: number) => {
          c.value++;
          h.observe(s);
        };
      });
      observe(seconds);
    },
    observeUpstream(reg, model, seconds) {
      const key = `${reg}\u0000${model}`;
      upstreamChildren.of(key, () => upstream.labels(reg, model)).observe(seconds);
    },
    observeTokens(gateway, consumer, reg, model, usage) {
      const key = `${gateway}\u0000${consumer}\u0000${reg}\u0000${model}`;
      const observe = tokenChildren.of(key, () => {
        const child = (kind: string) => tokens.labels(gateway, consumer, reg, model, kind);
        const input = child('input');
        const output = child('output');
        // Made on the first count, so kinds an upstream never reports show no series.
        let cached: CounterChild | undefined;
        let reasoning: CounterChild | undefined;
        return (u: Usage) => {
          input.value += u.inputTokens;
          output.value += u.outputTokens;
          if (u.cachedInputTokens) (cached ??= child('cached_input')).value += u.cachedInputTokens;
          if (u.reasoningTokens) (reasoning ??= child('reasoning')).value += u.reasoningTokens;
        };
      });
      observe(usage);
    },
    observeRateLimit(policy, decision, store) {
      const key = `${policy}\u0000${decision}\u0000${store}`;
      rateLimitChildren.of(key, () => rateLimits.labels({ policy, decision, store })).inc();
    },
    countRedisError(reason) {
      redisErrorChildren.of(reason, () => redisErrors.labels({ reason })).inc();
    },
    setConfig(serial, count) {
      configSerial.set(serial);
      configResources.set(count);
    },
  };
}
