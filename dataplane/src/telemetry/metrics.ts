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

/** One (gateway, consumer, registry, model, status)'s request count and duration. */
class RequestSeries {
  constructor(
    private readonly count: CounterChild,
    private readonly duration: HistogramChild,
  ) {}

  observe(seconds: number): void {
    this.count.value++;
    this.duration.observe(seconds);
  }
}

/** One (gateway, consumer, registry, model)'s token counters; cached and reasoning made on first use. */
class TokenSeries {
  private readonly input: CounterChild;
  private readonly output: CounterChild;
  private cached: CounterChild | undefined;
  private reasoning: CounterChild | undefined;

  constructor(
    private readonly tokens: CounterVec,
    private readonly labels: readonly [string, string, string, string],
  ) {
    this.input = this.child('input');
    this.output = this.child('output');
  }

  observe(u: Usage): void {
    this.input.value += u.inputTokens;
    this.output.value += u.outputTokens;
    // Made on the first count, so kinds an upstream never reports show no series.
    if (u.cachedInputTokens) (this.cached ??= this.child('cached_input')).value += u.cachedInputTokens;
    if (u.reasoningTokens) (this.reasoning ??= this.child('reasoning')).value += u.reasoningTokens;
  }

  private child(kind: string): CounterChild {
    return this.tokens.labels(...this.labels, kind);
  }
}

type Instruments = ReturnType<typeof defineMetrics>;

/**
 * The proxy's metrics. A class, not an object of closures: every instance (the warm-up's throwaway
 * one, the real one) runs the same functions, so what the warm-up optimised stays valid. Series are
 * looked up by their label values (ChildCache: prom-client would hash the label set on every update).
 */
class Metrics implements ProxyMetrics {
  readonly registry: Registry;
  readonly inFlight: GaugeValue;
  private readonly requestSeries: ChildCache<RequestSeries>;
  private readonly tokenSeries: ChildCache<TokenSeries>;
  private readonly upstreamSeries: ChildCache<HistogramChild>;
  private readonly rateLimitSeries: ChildCache<ReturnType<Instruments['rateLimits']['labels']>>;
  private readonly redisErrorSeries: ChildCache<ReturnType<Instruments['redisErrors']['labels']>>;

  constructor(private readonly m: Instruments) {
    this.registry = m.registry;
    this.inFlight = m.inFlight;
    this.requestSeries = new ChildCache(
      (gateway, consumer, reg, model, status) =>
        new RequestSeries(
          m.requests.labels(gateway, consumer, reg, model, status),
          m.duration.labels(gateway, consumer, reg, model, status),
        ),
    );
    this.tokenSeries = new ChildCache(
      (gateway, consumer, reg, model) => new TokenSeries(m.tokens, [gateway, consumer, reg, model]),
    );
    this.upstreamSeries = new ChildCache((reg, model) => m.upstream.labels(reg, model));
    this.rateLimitSeries = new ChildCache((policy, decision, store) =>
      m.rateLimits.labels({ policy, decision, store }),
    );
    this.redisErrorSeries = new ChildCache((reason) => m.redisErrors.labels({ reason }));
  }

  observeRequest(
    gateway: string,
    consumer: string,
    reg: string,
    model: string,
    status: number,
    seconds: number,
  ): void {
    this.requestSeries.of(gateway, consumer, reg, model, String(status)).observe(seconds);
  }

  observeUpstream(reg: string, model: string, seconds: number): void {
    this.upstreamSeries.of(reg, model).observe(seconds);
  }

  observeTokens(gateway: string, consumer: string, reg: string, model: string, usage: Usage): void {
    this.tokenSeries.of(gateway, consumer, reg, model).observe(usage);
  }

  observeRateLimit(
    policy: string,
    decision: 'allowed' | 'limited' | 'unavailable',
    store: 'redis' | 'local' | 'none',
  ): void {
    this.rateLimitSeries.of(policy, decision, store).inc();
  }

  countRedisError(reason: 'timeout' | 'unavailable' | 'connection' | 'error'): void {
    this.redisErrorSeries.of(reason).inc();
  }

  setConfig(serial: number, count: number): void {
    this.m.configSerial.set(serial);
    this.m.configResources.set(count);
  }
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): ProxyMetrics {
  return new Metrics(defineMetrics(options));
}
