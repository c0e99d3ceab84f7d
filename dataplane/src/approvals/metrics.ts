import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { perRegistry } from '../telemetry/prom';

export type ApprovalOutcome = 'approved' | 'denied' | 'timed_out' | 'cancelled';

export interface ApprovalMetrics {
  /** A held call released: counted once, by the replica holding it. */
  decided(
    labels: { gateway: string; consumer: string; tool: string },
    decision: ApprovalOutcome,
    waitMs: number,
  ): void;
  pending(gateway: string, delta: 1 | -1): void;
  webhook(gateway: string, result: 'delivered' | 'failed'): void;
  webhookRetry(gateway: string): void;
  /** Redis could not take a request or a decision: this replica answered alone. */
  redisFallback(operation: 'create' | 'list' | 'decide' | 'get'): void;
}

/** Approval metrics on `registry` (registered once per registry). */
export const createApprovalMetrics = perRegistry(make);

function make(registry: Registry): ApprovalMetrics {
  const total = new Counter({
    name: 'tollgate_approvals_total',
    help: 'Tool calls that waited for approval, by how they ended (approved, denied, timed_out, cancelled: the caller went away).',
    labelNames: ['gateway', 'consumer', 'tool', 'decision'],
    registers: [registry],
  });
  const pending = new Gauge({
    name: 'tollgate_approvals_pending',
    help: 'Tool calls this replica holds waiting for a decision.',
    labelNames: ['gateway'],
    registers: [registry],
  });
  const wait = new Histogram({
    name: 'tollgate_approval_wait_seconds',
    help: 'How long a tool call waited for its decision, by decision.',
    labelNames: ['gateway', 'decision'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [registry],
  });
  const webhooks = new Counter({
    name: 'tollgate_approval_webhooks_total',
    help: 'Approval webhook deliveries by result (delivered, failed: every retry failed).',
    labelNames: ['gateway', 'result'],
    registers: [registry],
  });
  const retries = new Counter({
    name: 'tollgate_approval_webhook_retries_total',
    help: 'Approval webhook attempts that failed and were retried.',
    labelNames: ['gateway'],
    registers: [registry],
  });
  const fallbacks = new Counter({
    name: 'tollgate_approvals_redis_fallbacks_total',
    help: 'Approval operations this replica answered alone because Redis failed (per-replica approvals).',
    labelNames: ['operation'],
    registers: [registry],
  });
  return {
    decided: ({ gateway, consumer, tool }, decision, waitMs) => {
      total.labels({ gateway, consumer, tool, decision }).inc();
      wait.labels({ gateway, decision }).observe(waitMs / 1000);
    },
    pending: (gateway, delta) => pending.labels({ gateway }).inc(delta),
    webhook: (gateway, result) => webhooks.labels({ gateway, result }).inc(),
    webhookRetry: (gateway) => retries.labels({ gateway }).inc(),
    redisFallback: (operation) => fallbacks.labels({ operation }).inc(),
  };
}
