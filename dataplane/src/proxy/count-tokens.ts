import type { RuntimeRoute, RuntimeTarget } from '../config/snapshot';
import { isObject } from '../formats/wire';
import type { CallAbort } from '../providers/abort';
import type { ProviderAdapter } from '../providers/types';
import { UpstreamError } from '../providers/types';
import { PROFILES } from '../providers/profiles';
import { errors, GatewayError } from '../errors/errors';
import { upstreamModel } from './resolve';

/**
 * `POST /{consumer}/v1/messages/count_tokens` (Anthropic's `messages.countTokens`): the upstream's
 * own count where it offers one (an `anthropic` registry), else an estimate. The response header
 * says which: `X-Tollgate-Token-Count: exact` or `estimate`.
 */
export const TOKEN_COUNT_HEADER = 'x-tollgate-token-count';

/** An image counts as this many tokens in the estimate (Anthropic's cost of a ~1.15 megapixel image). */
const IMAGE_TOKENS = 1600;

/** The request's model; what Anthropic checks first (`model`, a non-empty `messages`). */
export function checkCountRequest(body: Record<string, unknown>): string {
  const { model, messages } = body;
  if (typeof model !== 'string' || model.length === 0) {
    throw errors.badRequest("'model' is required and must be a non-empty string.", 'invalid_model');
  }
  if (!Array.isArray(messages) || messages.length === 0) {
    throw errors.badRequest("'messages' is required and must be a non-empty array.", 'invalid_messages');
  }
  return model;
}

/**
 * The estimate: about four characters a token over every string of `system`, `messages`, `tools`
 * and `tool_choice` (names and roles included, which stands in for the format's own tokens), an
 * image as IMAGE_TOKENS; at least one.
 */
export function estimateInputTokens(body: Record<string, unknown>): number {
  let chars = 0;
  let images = 0;
  const walk = (v: unknown): void => {
    if (typeof v === 'string') chars += v.length;
    else if (Array.isArray(v)) v.forEach(walk);
    else if (isObject(v)) {
      if (v.type === 'image') images++;
      else for (const k in v) walk(v[k]);
    }
  };
  for (const field of ['system', 'messages', 'tools', 'tool_choice']) walk(body[field]);
  return Math.max(1, Math.ceil(chars / 4) + images * IMAGE_TOKENS);
}

/** The target that counts: the first of the route's lowest priority group whose provider counts, else its first. */
export function countingTarget(route: RuntimeRoute): RuntimeTarget | undefined {
  const first = route.groups[0]?.targets;
  return first?.find((t) => countsTokens(t)) ?? first?.[0];
}

function countsTokens(t: RuntimeTarget): boolean {
  return t.registry.provider !== 'mock' && PROFILES[t.registry.provider].countTokens !== undefined;
}

export interface CountAnswer {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
  /** The model sent upstream (or estimated for). */
  model: string;
}

export interface CountCall {
  target: RuntimeTarget;
  requested: string;
  body: Record<string, unknown>;
  adapter: ProviderAdapter | undefined;
  requestId: string;
  forwardHeaders: Record<string, string>;
  signal: CallAbort;
}

/** Counts with the target's upstream when it can, estimates otherwise. */
export async function countTokensWith(c: CountCall): Promise<CountAnswer> {
  const model = upstreamModel(c.target, c.requested);
  if (!countsTokens(c.target) || !c.adapter) {
    return {
      status: 200,
      headers: { 'content-type': 'application/json', [TOKEN_COUNT_HEADER]: 'estimate' },
      body: JSON.stringify({ input_tokens: estimateInputTokens(c.body) }),
      model,
    };
  }
  try {
    const res = await c.adapter.send({
      operation: 'messages',
      countTokens: true,
      registry: c.target.registry,
      model,
      format: 'anthropic-messages',
      body: { ...c.body, model },
      rawBody: undefined,
      stream: false,
      requestId: c.requestId,
      forwardHeaders: c.forwardHeaders,
      signal: c.signal,
    });
    const chunks: Buffer[] = [];
    for await (const chunk of res.body) chunks.push(Buffer.from(chunk));
    if (res.status === 401 || res.status === 403) {
      throw errors.upstreamFailed(`the provider rejected the registry's credentials (HTTP ${res.status})`);
    }
    return {
      status: res.status,
      headers: {
        ...res.headers,
        'content-type': res.headers['content-type'] ?? 'application/json',
        [TOKEN_COUNT_HEADER]: 'exact',
      },
      body: Buffer.concat(chunks),
      model,
    };
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    if (c.signal.aborted || (err instanceof UpstreamError && err.kind === 'timeout')) {
      throw errors.upstreamTimeout();
    }
    throw errors.upstreamFailed(err instanceof Error ? err.message : String(err));
  }
}
