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

/** The primary's asks for its workers' metrics: each has an id, answers arrive as worker messages. */
export class MetricsAsks {
  private nextId = 0;
  private readonly pending = new Map<number, { answers: WorkerMetrics[]; left: number; done: () => void }>();

  constructor(private readonly timeoutMs: number) {}

  /** Asks each worker through `send`; resolves with the answers that came within the timeout. */
  async ask<W>(workers: readonly W[], send: (worker: W, id: number) => void): Promise<WorkerMetrics[]> {
    const id = ++this.nextId;
    const answers: WorkerMetrics[] = [];
    if (workers.length === 0) return answers;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.pending.set(id, { answers, left: workers.length, done });
      for (const worker of workers) send(worker, id);
    });
    this.pending.delete(id);
    return answers;
  }

  /** A worker's answer; late ones (after the timeout) are dropped. */
  answer(id: number, metrics: WorkerMetrics): void {
    const ask = this.pending.get(id);
    if (!ask) return;
    ask.answers.push(metrics);
    if (--ask.left === 0) ask.done();
  }
}
