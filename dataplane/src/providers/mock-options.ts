import type { Frame } from '../formats/ir';
import { UNTRANSLATED_FIELDS } from '../formats/openai-chat';
import { isObject, type Json } from '../formats/wire';

/**
 * The Chat Completions options the gateway's neutral request has no place for (`n`, `seed`,
 * `logprobs`, penalties, …), as the `mock` provider takes them: it is an upstream, so it accepts
 * every one. It answers `n` choices and, when `logprobs` is set, a log-probability of 0 (the mock
 * is certain) for each word of a text answer; `seed` needs nothing (the mock is deterministic);
 * the rest is ignored.
 */
export interface MockOptions {
  n: number;
  logprobs: boolean;
  topLogprobs: number;
}

/** The body without the fields the strict decoder refuses, and what the mock makes of them. */
export function splitMockOptions(body: Json): { body: Json; options: MockOptions } {
  const rest: Json = { ...body };
  for (const f of UNTRANSLATED_FIELDS) delete rest[f];
  const n = typeof body.n === 'number' && Number.isInteger(body.n) && body.n > 1 ? Math.min(body.n, 128) : 1;
  const top =
    typeof body.top_logprobs === 'number' ? Math.max(0, Math.min(20, Math.floor(body.top_logprobs))) : 0;
  return { body: rest, options: { n, logprobs: body.logprobs === true, topLogprobs: top } };
}

/** A whole response with `n` copies of its choice, each with its log-probabilities when asked. */
export function withOptions(response: Json, o: MockOptions): Json {
  const [first] = Array.isArray(response.choices) ? response.choices : [];
  if (!isObject(first)) return response;
  const choices = Array.from({ length: o.n }, (_, index) => ({
    ...first,
    index,
    logprobs: o.logprobs ? logprobsOf(first.message, o.topLogprobs) : null,
  }));
  return { ...response, choices };
}

function logprobsOf(message: unknown, top: number) {
  const text = isObject(message) && typeof message.content === 'string' ? message.content : '';
  const entry = (token: string) => ({ token, logprob: 0, bytes: [...Buffer.from(token)] });
  const content = (text.match(/\s*\S+/g) ?? []).map((token) => ({
    ...entry(token),
    top_logprobs: top > 0 ? [entry(token)] : [],
  }));
  return { content, refusal: null };
}

/** Stream frames with every choice chunk repeated for choices 1 … n-1, as OpenAI interleaves them. */
export function streamWithChoices(frames: Frame[], n: number): Frame[] {
  if (n <= 1) return frames;
  return frames.flatMap((f) => {
    if (f.data.trim() === '[DONE]') return [f];
    const chunk = JSON.parse(f.data) as Json;
    const choices: unknown = chunk.choices;
    if (!Array.isArray(choices) || choices.length === 0) return [f];
    return Array.from({ length: n }, (_, index) => ({
      ...f,
      data: JSON.stringify({
        ...chunk,
        choices: choices.map((c: unknown) => (isObject(c) ? { ...c, index } : c)),
      }),
    }));
  });
}
