import type { Frame, Usage } from '../ir';
import { isObject, type Json } from '../wire';

/**
 * Anthropic reports cache reads and cache writes apart from `input_tokens`; the neutral
 * `inputTokens` counts all three. Thinking tokens are already part of `output_tokens`.
 */

/** The counts one usage object carries; absent or null fields stay undefined. */
export interface WireUsage {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  thinking?: number;
}

function countOf(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : undefined;
}

export function readWireUsage(u: Json): WireUsage {
  const out: WireUsage = {};
  const set = (key: keyof WireUsage, v: unknown) => {
    const n = countOf(v);
    if (n !== undefined) out[key] = n;
  };
  set('input', u.input_tokens);
  set('output', u.output_tokens);
  set('cacheRead', u.cache_read_input_tokens);
  set('cacheWrite', u.cache_creation_input_tokens);
  if (isObject(u.output_tokens_details)) set('thinking', u.output_tokens_details.thinking_tokens);
  return out;
}

/** Later fields replace earlier ones: message_delta's counts are cumulative totals. */
export function mergeWireUsage(a: WireUsage, b: WireUsage): WireUsage {
  const out = { ...a };
  for (const [k, v] of Object.entries(b) as [keyof WireUsage, number | undefined][])
    if (v !== undefined) out[k] = v;
  return out;
}

export function toUsage(w: WireUsage): Usage {
  const usage: Usage = {
    inputTokens: (w.input ?? 0) + (w.cacheRead ?? 0) + (w.cacheWrite ?? 0),
    outputTokens: w.output ?? 0,
  };
  if (w.cacheRead !== undefined) usage.cachedInputTokens = w.cacheRead;
  if (w.cacheWrite !== undefined) usage.cacheWriteInputTokens = w.cacheWrite;
  if (w.thinking !== undefined) usage.reasoningTokens = w.thinking;
  return usage;
}

/** Neutral usage as Anthropic's usage object; unknown cache counts are null, as Anthropic sends them. */
export function fromUsage(u: Usage): Json {
  const cached = u.cachedInputTokens;
  const written = u.cacheWriteInputTokens;
  const out: Json = {
    input_tokens: Math.max(0, u.inputTokens - (cached ?? 0) - (written ?? 0)),
    cache_creation_input_tokens: written ?? null,
    cache_read_input_tokens: cached ?? null,
    output_tokens: u.outputTokens,
  };
  if (u.reasoningTokens !== undefined) out.output_tokens_details = { thinking_tokens: u.reasoningTokens };
  return out;
}

/** Usage of a Messages API response body. */
export function usageOf(body: unknown): Usage | undefined {
  if (!isObject(body) || !isObject(body.usage)) return undefined;
  const w = readWireUsage(body.usage);
  if (w.input === undefined && w.output === undefined) return undefined;
  return toUsage(w);
}

/**
 * Usage in one stream frame: message_start carries the whole object; message_delta carries
 * cumulative totals for the fields it reports. `inputTokens` is reported from a message_delta only
 * when it carries the input and both cache counts, since it is their sum.
 */
export function usageOfFrame(frame: Frame): Partial<Usage> | undefined {
  let data: unknown;
  try {
    data = JSON.parse(frame.data);
  } catch {
    return undefined;
  }
  if (!isObject(data)) return undefined;
  if (data.type === 'message_start' && isObject(data.message) && isObject(data.message.usage))
    return toUsage(readWireUsage(data.message.usage));
  if (data.type !== 'message_delta' || !isObject(data.usage)) return undefined;
  const w = readWireUsage(data.usage);
  const out: Partial<Usage> = {};
  if (w.output !== undefined) out.outputTokens = w.output;
  if (w.input !== undefined && w.cacheRead !== undefined && w.cacheWrite !== undefined)
    out.inputTokens = w.input + w.cacheRead + w.cacheWrite;
  if (w.cacheRead !== undefined) out.cachedInputTokens = w.cacheRead;
  if (w.cacheWrite !== undefined) out.cacheWriteInputTokens = w.cacheWrite;
  if (w.thinking !== undefined) out.reasoningTokens = w.thinking;
  return Object.keys(out).length > 0 ? out : undefined;
}
