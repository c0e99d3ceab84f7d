import { Counter, Gauge, Registry } from 'prom-client';
import { clusterMetricsText } from './metrics';
import type { WorkerMetrics } from './messages';

/** One worker's registry, as it answers the primary. */
async function worker(
  requests: number,
  serial: number,
  healthy: number,
  inFlight: number,
): Promise<WorkerMetrics> {
  const registry = new Registry();
  new Counter({ name: 'tollgate_requests_total', help: 'h', labelNames: ['status'], registers: [registry] })
    .labels({ status: '200' })
    .inc(requests);
  new Gauge({ name: 'tollgate_config_serial', help: 'h', registers: [registry] }).set(serial);
  new Gauge({ name: 'tollgate_upstream_healthy', help: 'h', labelNames: ['registry'], registers: [registry] })
    .labels({ registry: 'r' })
    .set(healthy);
  new Gauge({ name: 'tollgate_requests_in_flight', help: 'h', registers: [registry] }).set(inFlight);
  return registry.getMetricsAsJSON() as Promise<WorkerMetrics>;
}

describe('cluster /metrics', () => {
  it('sums counters and in-flight requests, keeps the lowest config serial and health, adds its own', async () => {
    const own = new Registry();
    new Counter({ name: 'tollgate_worker_restarts_total', help: 'h', registers: [own] }).inc(2);
    const text = await clusterMetricsText([await worker(3, 7, 1, 2), await worker(4, 6, 0, 1)], own);
    expect(text).toContain('tollgate_requests_total{status="200"} 7');
    expect(text).toContain('tollgate_requests_in_flight 3');
    expect(text).toContain('tollgate_config_serial 6');
    expect(text).toContain('tollgate_upstream_healthy{registry="r"} 0');
    expect(text).toContain('tollgate_worker_restarts_total 2');
  });
});
