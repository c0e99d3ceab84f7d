import { DEFAULT_APPROVAL_TIMEOUT_MS, type ApprovalBroker } from '../approvals/broker';
import type { RuntimeConsumer, RuntimeGateway } from '../config/snapshot';
import type { PolicyEngine } from '../policies/engine';
import type { Logger } from '../telemetry/logger';
import type { McpApprovals } from './approval';
import type { McpToolGuard } from './guard';

/** The consumer's tool guard for a request of the MCP plane (scope: the consumer's resource name). */
export function toolGuardFor(
  policies: PolicyEngine | undefined,
  consumer: RuntimeConsumer,
): McpToolGuard | undefined {
  const guard = policies?.pipelineFor(consumer.plugins).toolGuard;
  return guard ? { guard, scope: consumer.name } : undefined;
}

/** How a request's `requireApproval` tools are approved: the Gateway's timeout, the client's means. */
export function approvalsFor(
  broker: ApprovalBroker | undefined,
  logger: Logger,
  gateway: RuntimeGateway,
  consumer: RuntimeConsumer,
  client: { elicit: boolean; onHold: () => void },
): McpApprovals | undefined {
  if (!broker) return undefined;
  return {
    broker,
    logger,
    gateway: gateway.name,
    consumer: consumer.name,
    timeoutMs: gateway.config.approvals?.timeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS,
    elicit: client.elicit,
    onHold: client.onHold,
  };
}
