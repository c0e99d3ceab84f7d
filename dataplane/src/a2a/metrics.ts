import { Counter, Histogram, type Registry } from 'prom-client';
import { ChildCache, perRegistry } from '../telemetry/prom';

export interface A2AMetrics {
  /**
   * One A2A request. `method` is the JSON-RPC method A2A defines (else `other`), `card` for a card
   * GET; `result` is `ok`, `error` (the agent answered a JSON-RPC error) or the gateway's error code
   * (`invalid_api_key`, `rate_limit_exceeded`, `upstream_error`, ...). Every label is bounded by config.
   */
  observe(
    gateway: string,
    consumer: string,
    agent: string,
    method: string,
    result: string,
    seconds: number,
  ): void;
}

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** The A2A metrics on a dataplane's prom registry (made once per registry). */
export const a2aMetrics = perRegistry((registry: Registry): A2AMetrics => {
  const labelNames = ['gateway', 'consumer', 'agent', 'method', 'result'];
  const requests = new Counter({
    name: 'tollgate_a2a_requests_total',
    help: 'A2A requests by gateway, consumer, agent, JSON-RPC method (card for the agent card) and result.',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'tollgate_a2a_request_duration_seconds',
    help: 'Time from A2A request received to response finished (streams included).',
    labelNames,
    buckets: BUCKETS,
    registers: [registry],
  });
  const children = new ChildCache((gateway, consumer, agent, method, result) => {
    const labels = { gateway, consumer, agent, method, result };
    return { count: requests.labels(labels), duration: duration.labels(labels) };
  });
  return {
    observe(gateway, consumer, agent, method, result, seconds) {
      const series = children.of(gateway, consumer, agent, method, result);
      series.count.inc();
      series.duration.observe(seconds);
    },
  };
});
