import type { CompiledPromptGuard } from '@tollgate/protocol';
import type { ChatResponse } from '../../formats/ir';
import type { Logger } from '../../telemetry/logger';
import type { Plugin, PolicyRequest } from '../types';
import { inspectSlots, parseJson, type GuardSlot } from './decide';
import { blockedByService, guardUnavailable, promptBlocked, responseBlocked } from './errors';
import { responseSlots, withTexts } from './response';
import { createScanner, type Scanner } from './scanner';
import { guardStream } from './stream';
import { formatPath, replaceTexts, requestSlots } from './slots';
import { callWebhook } from './webhook';

/** Set on responses whose prompt or (non-streamed) answer the guard masked. */
export const GUARD_HEADER = 'x-tollgate-guard';

/**
 * The `promptGuard` plugin. On requests (preRequest) it reads the prompt's texts where the
 * caller's format keeps them; on whole non-streamed chat responses (inspectResponse) the text parts
 * and tool-call arguments; on streamed ones (filterStream, see stream.ts) the same, as they stream,
 * with the built-in detectors and patterns only.
 *
 * Built-in detectors and patterns run first: Reject refuses at once (the webhook is not asked),
 * Mask masks, then the webhook (if any) sees the already masked texts, so it never receives what the
 * gateway itself masks. The webhook's verdict stands on its own: it may reject or mask whatever
 * the action.
 */
export function createPromptGuard(config: CompiledPromptGuard, policy: string, logger?: Logger): Plugin {
  let scanner: Scanner;
  try {
    scanner = createScanner(config);
  } catch (err) {
    // Compile checked every pattern with the same flags: only a different engine could get here.
    logger?.error({ err, policy }, 'prompt guard pattern does not compile; refusing requests it covers');
    const refuse = () => {
      throw guardUnavailable();
    };
    return { name: 'promptGuard', preRequest: refuse, inspectResponse: refuse };
  }

  /** The texts to send on (undefined: unchanged); throws the refusal. */
  async function guard(
    phase: 'request' | 'response',
    req: PolicyRequest,
    slots: readonly GuardSlot[],
    model: string,
  ): Promise<string[] | undefined> {
    const local = inspectSlots(scanner, config.action, slots);
    if (local.kind === 'reject') {
      throw phase === 'request' ? promptBlocked(local.findings) : responseBlocked(local.findings);
    }
    const masked = local.kind === 'masked' ? local.texts : slots.map((s) => s.text);
    const texts = config.webhook
      ? await askWebhook(config.webhook, { phase, req, slots, model, policy, logger }, masked)
      : masked;
    return texts.some((t, i) => t !== slots[i]?.text) ? texts : undefined;
  }

  const plugin: { -readonly [K in keyof Plugin]: Plugin[K] } = { name: 'promptGuard' };
  if (config.applyTo.includes('Request')) {
    plugin.preRequest = async (req) => {
      const body = req.body;
      if (!body) return;
      const found = requestSlots(req.operation, body);
      if (found.length === 0) return;
      const slots = found.map((s) => ({ path: formatPath(s.path), text: s.text }));
      const model = typeof body.model === 'string' ? body.model : '';
      const texts = await guard('request', req, slots, model);
      if (!texts) return;
      req.setBody(replaceTexts(body, found, texts));
      req.responseHeaders[GUARD_HEADER] = 'masked';
    };
  }
  if (config.applyTo.includes('Response')) {
    plugin.inspectResponse = async (req, res): Promise<ChatResponse | undefined> => {
      const slots = responseSlots(res);
      if (slots.length === 0) return undefined;
      const texts = await guard('response', req, slots, res.model);
      if (!texts) return undefined;
      req.responseHeaders[GUARD_HEADER] = 'masked';
      return withTexts(res, slots, texts);
    };
    // The webhook is not asked about streams: it would be asked once per chunk, or hold the stream.
    plugin.filterStream = () => guardStream(scanner, config.action);
  }
  return plugin;
}

/** The webhook's verdict on the texts: its masked texts, or these unchanged; throws its refusal. */
async function askWebhook(
  hook: NonNullable<CompiledPromptGuard['webhook']>,
  at: {
    phase: 'request' | 'response';
    req: PolicyRequest;
    slots: readonly GuardSlot[];
    model: string;
    policy: string;
    logger: Logger | undefined;
  },
  texts: string[],
): Promise<string[]> {
  const { phase, req, slots, policy } = at;
  const outcome = await callWebhook(hook, {
    phase,
    requestId: req.requestId,
    gateway: req.gateway.config.slug,
    consumer: req.consumer.config.slug,
    policy,
    operation: req.operation,
    model: at.model,
    texts,
    paths: slots.map((s) => s.path),
  });
  let failure: string | undefined;
  if (outcome.kind === 'reject') throw blockedByService(phase, outcome.reason);
  if (outcome.kind === 'failed') failure = outcome.reason;
  else if (outcome.kind === 'mask' && !keepsJson(slots, outcome.texts)) {
    failure = 'reply replaced tool-call arguments with text that is not JSON';
  } else if (outcome.kind === 'mask') return outcome.texts;
  if (failure !== undefined) {
    at.logger?.warn(
      { requestId: req.requestId, policy, phase, reason: failure, failureMode: hook.failureMode },
      'prompt guard webhook failed',
    );
    if (hook.failureMode === 'FailClosed') throw guardUnavailable();
  }
  return texts;
}

/** A webhook's replacement for JSON text (tool-call arguments) must still be JSON. */
function keepsJson(slots: readonly GuardSlot[], texts: readonly string[]): boolean {
  return slots.every((s, i) => !s.json || !parseJson(s.text).ok || parseJson(texts[i] ?? '').ok);
}
