import { AggregatorRegistry, Registry, type Aggregator } from 'prom-client';
import type { WorkerMetrics } from './messages';

/**
 * How a metric of every worker becomes one series: summed (prom-client's default: counters,
 * histograms, in-flight requests, process CPU and memory), except gauges whose sum means nothing.
 * prom-client's own default metrics carry their aggregator already (e.g. the Node version: first).
 */
export const AGGREGATORS: Readonly<Record<string, Aggregator>> = {
  // The config every worker has applied; the resources of one of them.
  tollgate_config_serial: 'min',
  tollgate_config_resources: 'first',
  // Unhealthy as soon as one worker sees it so.
  tollgate_upstream_healthy: 'min',
};

/** The workers' metrics as one registry: one series per name and labels, per AGGREGATORS. */
export function aggregateWorkers(perWorker: readonly WorkerMetrics[]): Registry {
  const adjusted = perWorker.map((metrics) =>
    metrics.map((m) => {
      const aggregator = AGGREGATORS[m.name];
      return aggregator ? { ...m, aggregator } : m;
    }),
  );
  return AggregatorRegistry.aggregate(adjusted);
}

/** The text of /metrics: the workers aggregated, then the primary's own metrics (config reloads, workers). */
export async function clusterMetricsText(
  perWorker: readonly WorkerMetrics[],
  own: Registry,
): Promise<string> {
  return Registry.merge([aggregateWorkers(perWorker), own]).metrics();
}
