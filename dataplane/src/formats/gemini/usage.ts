import type { Frame, Usage } from '../ir';
import { count, isObject, type Json } from '../wire';

/**
 * usageMetadata ↔ Usage. Google documents promptTokenCount as the whole effective prompt, cached
 * content included, which is the neutral meaning of inputTokens; toolUsePromptTokenCount (results
 * of Google-hosted tools) is input too. Thinking tokens are reported apart from
 * candidatesTokenCount, while the neutral outputTokens includes reasoning, so they are added.
 */
export function decodeUsage(meta: Json): Usage {
  const usage: Usage = {
    inputTokens: count(meta.promptTokenCount) + count(meta.toolUsePromptTokenCount),
    outputTokens: count(meta.candidatesTokenCount) + count(meta.thoughtsTokenCount),
  };
  if (meta.cachedContentTokenCount !== undefined)
    usage.cachedInputTokens = count(meta.cachedContentTokenCount);
  if (meta.thoughtsTokenCount !== undefined) usage.reasoningTokens = count(meta.thoughtsTokenCount);
  return usage;
}

/** Only what the metadata reports: stream chunks before the last often carry promptTokenCount alone. */
export function decodePartialUsage(meta: Json): Partial<Usage> {
  const out: Partial<Usage> = {};
  if (meta.promptTokenCount !== undefined || meta.toolUsePromptTokenCount !== undefined)
    out.inputTokens = count(meta.promptTokenCount) + count(meta.toolUsePromptTokenCount);
  if (meta.candidatesTokenCount !== undefined || meta.thoughtsTokenCount !== undefined)
    out.outputTokens = count(meta.candidatesTokenCount) + count(meta.thoughtsTokenCount);
  if (meta.cachedContentTokenCount !== undefined) out.cachedInputTokens = count(meta.cachedContentTokenCount);
  if (meta.thoughtsTokenCount !== undefined) out.reasoningTokens = count(meta.thoughtsTokenCount);
  return out;
}

/** Cache writes have no Gemini counterpart (context caches are created by a separate call). */
export function encodeUsage(u: Usage): Json {
  const reasoning = u.reasoningTokens ?? 0;
  const meta: Json = {
    promptTokenCount: u.inputTokens,
    candidatesTokenCount: Math.max(0, u.outputTokens - reasoning),
    totalTokenCount: u.inputTokens + u.outputTokens,
  };
  if (u.cachedInputTokens !== undefined) meta.cachedContentTokenCount = u.cachedInputTokens;
  if (u.reasoningTokens !== undefined) meta.thoughtsTokenCount = u.reasoningTokens;
  return meta;
}

export function usageOf(body: unknown): Usage | undefined {
  return isObject(body) && isObject(body.usageMetadata) ? decodeUsage(body.usageMetadata) : undefined;
}

export function usageOfFrame(frame: Frame): Partial<Usage> | undefined {
  let v: unknown;
  try {
    v = JSON.parse(frame.data);
  } catch {
    return undefined;
  }
  if (!isObject(v) || !isObject(v.usageMetadata)) return undefined;
  const usage = decodePartialUsage(v.usageMetadata);
  return Object.keys(usage).length > 0 ? usage : undefined;
}
