import { refuseDeepJson } from '../depth';
import { TranslationError, type StopReason } from '../ir';
import { isObject, type Json } from '../wire';

/** The format's name in TranslationError messages. */
export const FORMAT = 'Anthropic Messages';

/**
 * A documented Anthropic request feature the neutral model has no place for: refused on decode so
 * that no other upstream silently ignores it.
 */
export function notTranslatable(what: string, param: string): never {
  throw new TranslationError(
    `${what} is not supported: the gateway cannot carry it to other formats.`,
    param,
  );
}

/**
 * A tool call's neutral `arguments` (JSON text) as Anthropic's `input` object. Models on other
 * formats sometimes emit an empty string for a call without arguments: that is `{}`.
 */
export function parseArguments(args: string, param: string): Json {
  if (args.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(args);
  } catch {
    throw new TranslationError(`Tool call arguments are not valid JSON: ${args.slice(0, 80)}`, param);
  }
  refuseDeepJson(args, 'tool call arguments', param);
  if (!isObject(v)) throw new TranslationError('Tool call arguments must be a JSON object.', param);
  return v;
}

const STOP_FROM_WIRE: Record<string, StopReason> = {
  end_turn: 'end',
  max_tokens: 'max_tokens',
  stop_sequence: 'stop_sequence',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
  // Only server tools (which the gateway refuses) pause a turn; the turn did end here.
  pause_turn: 'end',
  // The output was cut short by the context window: the same outcome as running out of max_tokens.
  model_context_window_exceeded: 'max_tokens',
};

/** Anthropic's stop_reason in neutral terms; an unknown future reason ends the turn. */
export function stopReasonFromWire(reason: string): StopReason {
  return STOP_FROM_WIRE[reason] ?? 'end';
}

const STOP_TO_WIRE: Record<StopReason, string> = {
  end: 'end_turn',
  max_tokens: 'max_tokens',
  stop_sequence: 'stop_sequence',
  tool_calls: 'tool_use',
  content_filter: 'refusal',
};

export function stopReasonToWire(reason: StopReason): string {
  return STOP_TO_WIRE[reason];
}
