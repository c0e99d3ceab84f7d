import { Counter, Histogram, Registry, collectDefaultMetrics, Gauge } from 'prom-client';

/** Label values are all bounded by config (route model, not the requested one). */
export interface RequestLabels {
  gateway: string;
  consumer: string;
  registry: string;
  model: string;
  status: string;
}

export interface ProxyMetrics {
  readonly registry: Registry;
  observeRequest(labels: RequestLabels, seconds: number): void;
  observeUpstream(registry: string, model: string, seconds: number): void;
  setConfig(serial: number, resources: number): void;
  inFlight: Gauge;
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
  return {
    registry,
    inFlight,
    observeRequest(labels, seconds) {
      requests.inc(labels);
      duration.observe(labels, seconds);
    },
    observeUpstream(reg, model, seconds) {
      upstream.observe({ registry: reg, model }, seconds);
    },
    setConfig(serial, count) {
      configSerial.set(serial);
      configResources.set(count);
    },
  };
}
