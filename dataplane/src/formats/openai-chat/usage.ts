import type { Frame, Usage } from '../ir';
import { count, isObject, type Json } from '../wire';

/**
 * OpenAI's usage block already has the neutral meaning: `prompt_tokens` counts cached tokens and
 * `completion_tokens` counts reasoning tokens, so the mapping is one to one.
 */

export interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
}

/** Neutral → wire. OpenAI has no field for cache writes; they stay counted in `prompt_tokens`. */
export function toWireUsage(u: Usage): WireUsage {
  return {
    prompt_tokens: u.inputTokens,
    completion_tokens: u.outputTokens,
    total_tokens: u.inputTokens + u.outputTokens,
    prompt_tokens_details: { cached_tokens: u.cachedInputTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: u.reasoningTokens ?? 0 },
  };
}

/** Wire → neutral, with only the fields the block reports (for merging frame by frame). */
export function partialUsage(v: Json): Partial<Usage> {
  const out: Partial<Usage> = {};
  if (v.prompt_tokens !== undefined) out.inputTokens = count(v.prompt_tokens);
  if (v.completion_tokens !== undefined) out.outputTokens = count(v.completion_tokens);
  const prompt = v.prompt_tokens_details;
  if (isObject(prompt) && prompt.cached_tokens !== undefined && prompt.cached_tokens !== null)
    out.cachedInputTokens = count(prompt.cached_tokens);
  const completion = v.completion_tokens_details;
  if (
    isObject(completion) &&
    completion.reasoning_tokens !== undefined &&
    completion.reasoning_tokens !== null
  )
    out.reasoningTokens = count(completion.reasoning_tokens);
  return out;
}

/** Wire → neutral; absent counts are 0. */
export function fromWireUsage(v: Json): Usage {
  return { inputTokens: 0, outputTokens: 0, ...partialUsage(v) };
}

/**
 * The usage block of a completion or chunk: `usage` when non-null, else Groq's `x_groq.usage`
 * (Groq reports stream usage there instead of in a final chunk).
 */
export function wireUsageOf(body: Json): Json | undefined {
  if (isObject(body.usage)) return body.usage;
  const groq = body.x_groq;
  if (isObject(groq) && isObject(groq.usage)) return groq.usage;
  return undefined;
}

export function usageOf(body: unknown): Usage | undefined {
  if (!isObject(body)) return undefined;
  const u = wireUsageOf(body);
  return u === undefined ? undefined : fromWireUsage(u);
}

export function usageOfFrame(frame: Frame): Partial<Usage> | undefined {
  // Cheap pre-check: most chunks carry no usage, and this runs on every frame of a pass-through stream.
  if (!frame.data.includes('usage')) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(frame.data);
  } catch {
    return undefined;
  }
  if (!isObject(v)) return undefined;
  const u = wireUsageOf(v);
  return u === undefined ? undefined : partialUsage(u);
}

/** Did the caller ask for usage at the end of a stream (`stream_options.include_usage`)? */
export function wantsStreamUsage(body: Json): boolean {
  const o = body.stream_options;
  return isObject(o) && o.include_usage === true;
}
