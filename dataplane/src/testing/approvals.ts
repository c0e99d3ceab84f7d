import { Registry } from 'prom-client';
import { capturedLogger } from './log-capture';
import { ApprovalBroker, type ApprovalBrokerOptions } from '../approvals/broker';
import { createApprovalMetrics } from '../approvals/metrics';
import type { ApprovalInput } from '../approvals/types';

/** A broker with a captured info logger and its own metrics registry (tests). */
export function testBroker(options: Partial<ApprovalBrokerOptions> = {}) {
  const { logger, lines } = capturedLogger('info');
  const registry = new Registry();
  const broker = new ApprovalBroker({ logger, metrics: createApprovalMetrics(registry), ...options });
  return { broker, lines, registry };
}

/** A tool call asking for approval. */
export function toolCall(overrides: Partial<ApprovalInput> = {}): ApprovalInput {
  return {
    gateway: 'default/gw',
    consumer: 'agent',
    server: 'default/files',
    tool: 'files_delete',
    arguments: { path: '/tmp/x', apiKey: 'sk-live-0123456789abcdefghij' },
    requestId: 'rpc-1',
    timeoutMs: 10_000,
    ...overrides,
  };
}

/** Waits until `check` holds (a request appears in a list, …), polling every 5 ms. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
