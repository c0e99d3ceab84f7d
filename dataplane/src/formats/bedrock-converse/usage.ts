import type { StopReason, Usage } from '../ir';
import { count, isObject, type Json } from '../wire';

/**
 * Bedrock's TokenUsage reports `inputTokens` without the tokens read from or written to the prompt
 * cache (AWS prompt-caching guide: total input = inputTokens + cacheReadInputTokens +
 * cacheWriteInputTokens), like Anthropic; the neutral `inputTokens` counts them all. Bedrock has no
 * reasoning breakdown: reasoning tokens are inside `outputTokens`, where the IR counts them too.
 */
export function usageFromBedrock(v: unknown): Usage | undefined {
  if (!isObject(v)) return undefined;
  const read = v.cacheReadInputTokens;
  const write = v.cacheWriteInputTokens;
  const usage: Usage = {
    inputTokens: count(v.inputTokens) + count(read) + count(write),
    outputTokens: count(v.outputTokens),
  };
  if (typeof read === 'number') usage.cachedInputTokens = count(read);
  if (typeof write === 'number') usage.cacheWriteInputTokens = count(write);
  return usage;
}

export function usageToBedrock(u: Usage | undefined): Json {
  const read = u?.cachedInputTokens ?? 0;
  const write = u?.cacheWriteInputTokens ?? 0;
  const input = Math.max(0, (u?.inputTokens ?? 0) - read - write);
  const output = u?.outputTokens ?? 0;
  const out: Json = { inputTokens: input, outputTokens: output, totalTokens: input + output + read + write };
  if (u?.cachedInputTokens !== undefined) out.cacheReadInputTokens = read;
  if (u?.cacheWriteInputTokens !== undefined) out.cacheWriteInputTokens = write;
  return out;
}

/**
 * Bedrock stop reasons → neutral. Guardrail and content-filter stops are content filtering; running
 * out of context window is a length stop. `malformed_model_output` / `malformed_tool_use` (the model
 * produced output Bedrock could not parse) and unknown future values end the turn.
 */
export function stopReasonFromBedrock(v: string): StopReason {
  switch (v) {
    case 'tool_use':
      return 'tool_calls';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'max_tokens';
    case 'stop_sequence':
      return 'stop_sequence';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    default:
      return 'end';
  }
}

export function stopReasonToBedrock(v: StopReason): string {
  switch (v) {
    case 'tool_calls':
      return 'tool_use';
    case 'max_tokens':
      return 'max_tokens';
    case 'stop_sequence':
      return 'stop_sequence';
    case 'content_filter':
      return 'content_filtered';
    default:
      return 'end_turn';
  }
}

/**
 * Converse reports the matched stop sequence only in `additionalModelResponseFields` (for models
 * that return it, e.g. Anthropic's `stop_sequence` when asked for `/stop_sequence`).
 */
export function stopSequenceOf(fields: unknown): string | undefined {
  return isObject(fields) && typeof fields.stop_sequence === 'string' ? fields.stop_sequence : undefined;
}
