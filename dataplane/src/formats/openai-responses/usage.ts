import type { Frame, Usage } from '../ir';
import { count, isObject, type Json } from '../wire';

/**
 * Responses usage has OpenAI's meaning, the IR's: `input_tokens` counts cached (and cache-written)
 * tokens too, and `output_tokens` includes reasoning tokens, so the mapping is one to one.
 */
export function encodeUsage(u: Usage): Json {
  return {
    input_tokens: u.inputTokens,
    input_tokens_details: {
      cached_tokens: u.cachedInputTokens ?? 0,
      cache_write_tokens: u.cacheWriteInputTokens ?? 0,
    },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens ?? 0 },
    total_tokens: u.inputTokens + u.outputTokens,
  };
}

/** A `usage` object → Usage; detail counts only when the upstream reports them. */
export function decodeUsage(v: unknown): Usage | undefined {
  if (!isObject(v)) return undefined;
  const usage: Usage = { inputTokens: count(v.input_tokens), outputTokens: count(v.output_tokens) };
  const input = isObject(v.input_tokens_details) ? v.input_tokens_details : {};
  const output = isObject(v.output_tokens_details) ? v.output_tokens_details : {};
  if (input.cached_tokens !== undefined) usage.cachedInputTokens = count(input.cached_tokens);
  if (input.cache_write_tokens !== undefined) usage.cacheWriteInputTokens = count(input.cache_write_tokens);
  if (output.reasoning_tokens !== undefined) usage.reasoningTokens = count(output.reasoning_tokens);
  return usage;
}

/** Usage of a response body. */
export function usageOf(body: unknown): Usage | undefined {
  return isObject(body) ? decodeUsage(body.usage) : undefined;
}

/** The terminal events carry the whole response, usage included; `response.failed` too (tokens were spent). */
const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/** Usage of a stream frame: only terminal events carry it. Cheap: other named events are not parsed. */
export function usageOfFrame(frame: Frame): Partial<Usage> | undefined {
  if (frame.event !== undefined && !TERMINAL.has(frame.event)) return undefined;
  if (!frame.data.includes('"usage"')) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(frame.data);
  } catch {
    return undefined;
  }
  if (!isObject(data) || typeof data.type !== 'string' || !TERMINAL.has(data.type)) return undefined;
  return usageOf(data.response);
}
