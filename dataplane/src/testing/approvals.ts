import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { capturedLogger } from './log-capture';
import { ApprovalBroker, type ApprovalBrokerOptions } from '../approvals/broker';
import { createApprovalMetrics } from '../approvals/metrics';
import type { ApprovalInput } from '../approvals/types';
import type { WebhookPayload } from '../approvals/webhook';

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

export interface Received {
  body: string;
  signature: string | undefined;
  payload: WebhookPayload;
}

/** A real receiver on 127.0.0.1 that answers `statuses` in turn (then 204), or never with 'hang'. */
export async function webhookReceiver(statuses: (number | 'hang')[] = []) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({
        body,
        signature: req.headers['x-tollgate-signature'] as string | undefined,
        payload: JSON.parse(body),
      });
      const status = statuses.shift() ?? 204;
      if (status === 'hang') return;
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/approvals`,
    received,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** What a receiver does: recompute the HMAC over the raw body and compare in constant time. */
export function validSignature(r: Received, key: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', key).update(r.body).digest('hex')}`);
  const given = Buffer.from(r.signature ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
