import { request } from '../../providers/undici';
import type { Operation } from '../../providers/types';

/**
 * The external guard service. The proxy POSTs JSON:
 *
 *     { "phase": "request" | "response", "requestId", "gateway", "consumer", "policy",
 *       "operation", "model", "texts": string[], "paths": string[] }
 *
 * (`texts[i]` found at `paths[i]`; never an API key), and expects 2xx with JSON:
 *
 *     { "action": "allow" | "reject" | "mask", "reason"?: string, "texts"?: string[] }
 *
 * where `mask` carries a replacement for every text, in the same order. Anything else — connect
 * error, timeout (for the whole exchange), non-2xx, a body that is not such JSON — is a failure,
 * which the policy's failureMode turns into a pass or a 503.
 */
export interface WebhookPayload {
  phase: 'request' | 'response';
  requestId: string;
  gateway: string;
  consumer: string;
  policy: string;
  operation: Operation;
  model: string;
  texts: string[];
  paths: string[];
}

export type WebhookOutcome =
  | { kind: 'allow' }
  | { kind: 'reject'; reason: string | undefined }
  | { kind: 'mask'; texts: string[] }
  /** `reason` is for logs: it never holds a text. */
  | { kind: 'failed'; reason: string };

/** A reply larger than this (twice what was sent, plus room for the envelope) is not a guard's answer. */
const replyLimit = (sentBytes: number) => 2 * sentBytes + 64 * 1024;

export async function callWebhook(
  config: { url: string; timeoutMs: number },
  payload: WebhookPayload,
): Promise<WebhookOutcome> {
  const body = JSON.stringify(payload);
  const signal = AbortSignal.timeout(config.timeoutMs);
  try {
    const res = await request(config.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'x-request-id': payload.requestId,
      },
      body,
      signal,
    });
    if (res.statusCode < 200 || res.statusCode > 299) {
      await res.body.dump().catch(() => undefined);
      return { kind: 'failed', reason: `HTTP ${res.statusCode}` };
    }
    const limit = replyLimit(Buffer.byteLength(body));
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        res.body.destroy();
        return { kind: 'failed', reason: 'reply too large' };
      }
      chunks.push(chunk as Buffer);
    }
    return parseReply(Buffer.concat(chunks).toString('utf8'), payload.texts.length);
  } catch (err) {
    if (signal.aborted) return { kind: 'failed', reason: `no answer within ${config.timeoutMs}ms` };
    const code = (err as { code?: unknown }).code;
    return { kind: 'failed', reason: typeof code === 'string' ? code : 'connection failed' };
  }
}

/** The webhook's answer, checked against the contract: pure. */
export function parseReply(text: string, sent: number): WebhookOutcome {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { kind: 'failed', reason: 'reply is not JSON' };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    return { kind: 'failed', reason: 'reply is not a JSON object' };
  }
  const reply = v as { action?: unknown; reason?: unknown; texts?: unknown };
  if (reply.reason !== undefined && typeof reply.reason !== 'string') {
    return { kind: 'failed', reason: "reply 'reason' is not a string" };
  }
  switch (reply.action) {
    case 'allow':
      return { kind: 'allow' };
    case 'reject':
      return { kind: 'reject', reason: reply.reason };
    case 'mask': {
      const texts = reply.texts;
      if (!Array.isArray(texts) || texts.length !== sent || !texts.every((t) => typeof t === 'string')) {
        return { kind: 'failed', reason: `reply 'texts' must be ${sent} strings, one per text sent` };
      }
      return { kind: 'mask', texts: texts as string[] };
    }
    default:
      return { kind: 'failed', reason: "reply 'action' must be allow, reject or mask" };
  }
}
