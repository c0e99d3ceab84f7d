import { createHmac } from 'node:crypto';
import type { CompiledApprovals } from '@tollgate/protocol';

/** A Gateway's approval webhook as compiled: its URL and the HMAC-SHA256 key bodies are signed with. */
export type WebhookTarget = NonNullable<CompiledApprovals['webhook']>;

/** The JSON body POSTed for each new approval request. */
export interface WebhookPayload {
  type: 'approval.requested';
  id: string;
  gateway: string;
  consumer: string;
  server: string;
  tool: string;
  arguments: string;
  requestId: string;
  createdAt: string;
  expiresAt: string;
  /** Where to GET the request and POST the decision (the ops port). */
  approvalUrl: string;
}

export const SIGNATURE_HEADER = 'x-tollgate-signature';

/** `sha256=<hex HMAC-SHA256 of the exact body bytes>`, as GitHub signs its webhooks. */
export function signature(body: string, key: string): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}

export interface DeliveryOptions {
  /** Attempts at most (default 4: the first and three retries). */
  attempts?: number;
  /** Delay before the first retry, doubled each time (default 500 ms). */
  backoffMs?: number;
  /** One attempt's time limit (default 5 s). */
  attemptTimeoutMs?: number;
  /** Stop retrying once this is false (the request was decided or expired). */
  stillWanted?: () => boolean;
}

export type DeliveryResult =
  | { delivered: true; attempts: number; status: number }
  | { delivered: false; attempts: number; error: string };

/**
 * POSTs `payload` signed with the target's key; a non-2xx answer or a network error is retried with
 * exponential backoff. Never throws. Every attempt is bounded in time, so a dead receiver costs
 * the held call nothing: delivery runs beside it, not before it.
 */
export async function deliverWebhook(
  target: WebhookTarget,
  payload: WebhookPayload,
  options: DeliveryOptions = {},
  onAttemptFailed?: (attempt: number, error: string) => void,
): Promise<DeliveryResult> {
  const attempts = options.attempts ?? 4;
  const backoffMs = options.backoffMs ?? 500;
  const body = JSON.stringify(payload);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'tollgate-approvals',
    [SIGNATURE_HEADER]: signature(body, target.signingKey),
    'x-tollgate-approval-id': payload.id,
  };
  let error = 'not attempted';
  let made = 0;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) {
      await new Promise((r) => setTimeout(r, backoffMs * 2 ** (attempt - 2)).unref());
      if (options.stillWanted && !options.stillWanted()) break;
    }
    made = attempt;
    try {
      const res = await fetch(target.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(options.attemptTimeoutMs ?? 5000),
        redirect: 'manual',
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300)
        return { delivered: true, attempts: attempt, status: res.status };
      error = `HTTP ${res.status}`;
    } catch (err) {
      error = describe(err);
    }
    onAttemptFailed?.(attempt, error);
  }
  return { delivered: false, attempts: made, error };
}

/** A network error in words (duck-typed: fetch's errors may come from another realm). */
function describe(err: unknown): string {
  const e = err as { name?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (typeof e !== 'object' || e === null) return String(err);
  if (e.name === 'TimeoutError') return 'timed out';
  const detail = e.cause?.code ?? e.cause?.message ?? e.message;
  return typeof detail === 'string' ? detail : String(err);
}
