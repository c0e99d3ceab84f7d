import type { Logger } from '../telemetry/logger';
import type { ApprovalMetrics } from './metrics';
import type { ApprovalRecord } from './types';
import { deliverWebhook, type DeliveryOptions, type WebhookTarget } from './webhook';

/** What announcing a request needs: the broker's options are these and more. */
export interface NotifyOptions {
  logger: Logger;
  metrics: ApprovalMetrics;
  /** The webhook of a gateway (by resource name) in the config of the moment. */
  webhookFor?: (gateway: string) => WebhookTarget | undefined;
  /** Where approvers reach the ops port, for the webhook's `approvalUrl` (no trailing slash). */
  opsUrl?: string | (() => string);
  webhookDelivery?: Omit<DeliveryOptions, 'stillWanted'>;
}

/**
 * A new request announced to its gateway's approvers: the webhook of the moment (none configured:
 * nothing), with the URL where they decide it; delivery retried while `stillWanted`, every failed
 * attempt and the outcome logged and counted.
 */
export function notifyApprovers(
  record: ApprovalRecord,
  options: NotifyOptions,
  stillWanted: () => boolean,
): void {
  const target = options.webhookFor?.(record.gateway);
  if (!target) return;
  const { logger, metrics } = options;
  const ops = options.opsUrl ?? '';
  const base = (typeof ops === 'function' ? ops() : ops).replace(/\/+$/, '');
  void deliverWebhook(
    target,
    {
      type: 'approval.requested',
      id: record.id,
      gateway: record.gateway,
      consumer: record.consumer,
      server: record.server,
      tool: record.tool,
      arguments: record.arguments,
      requestId: record.requestId,
      createdAt: new Date(record.createdAt).toISOString(),
      expiresAt: new Date(record.expiresAt).toISOString(),
      approvalUrl: `${base}/approvals/${record.id}`,
    },
    { ...options.webhookDelivery, stillWanted },
    (attempt, error) => {
      metrics.webhookRetry(record.gateway);
      logger.warn(
        { approval: record.id, gateway: record.gateway, attempt, err: error },
        'approval webhook attempt failed',
      );
    },
  ).then((result) => {
    metrics.webhook(record.gateway, result.delivered ? 'delivered' : 'failed');
    if (result.delivered)
      logger.debug({ approval: record.id, attempts: result.attempts }, 'approval webhook delivered');
    else
      logger.error(
        { approval: record.id, gateway: record.gateway, attempts: result.attempts, err: result.error },
        'approval webhook not delivered; the request is still listed on the ops port',
      );
  });
}
