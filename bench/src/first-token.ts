/** The wire format a benchmark target answers in. */
export type AnswerFormat = 'openai-chat' | 'anthropic-messages';

/** Watches one streamed response for its first token; `push` returns true from the chunk that holds it on. */
export interface FirstTokenProbe {
  push(chunk: Uint8Array): boolean;
}

const EVENT_END = /\r\n\r\n|\n\n|\r\r/;

/**
 * A probe for one response. The first token is the first OpenAI `chat.completion.chunk` whose
 * `delta.content` is non-empty (a role-only or empty chunk is not a token), or the first Anthropic
 * `content_block_delta` event. Only the events before the first token are parsed.
 */
export function firstTokenProbe(format: AnswerFormat): FirstTokenProbe {
  const decoder = new TextDecoder();
  let pending = '';
  let seen = false;
  return {
    push(chunk) {
      if (seen) return true;
      pending += decoder.decode(chunk, { stream: true });
      for (let m = EVENT_END.exec(pending); m; m = EVENT_END.exec(pending)) {
        const event = pending.slice(0, m.index);
        pending = pending.slice(m.index + m[0].length);
        if (isToken(format, event)) {
          seen = true;
          pending = '';
          return true;
        }
      }
      return false;
    },
  };
}

function isToken(format: AnswerFormat, event: string): boolean {
  let name: string | undefined;
  let data = '';
  for (const line of event.split(/\r\n|\r|\n/)) {
    if (line.startsWith('event:')) name = line.slice(6).trim();
    else if (line.startsWith('data:')) data += line.slice(line.startsWith('data: ') ? 6 : 5);
  }
  if (format === 'anthropic-messages') {
    if (name !== undefined) return name === 'content_block_delta';
    return typeOf(data) === 'content_block_delta';
  }
  if (data === '' || data === '[DONE]') return false;
  const parsed = parse(data) as { choices?: { delta?: { content?: unknown } }[] } | undefined;
  return (
    Array.isArray(parsed?.choices) &&
    parsed.choices.some((c) => typeof c?.delta?.content === 'string' && c.delta.content.length > 0)
  );
}

function typeOf(data: string): unknown {
  return (parse(data) as { type?: unknown } | undefined)?.type;
}

function parse(data: string): unknown {
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return undefined;
  }
}

/** Why a whole (non-streamed) answer is not a real completion in `format`; undefined when it is one. */
export function answerProblem(format: AnswerFormat, body: string): string | undefined {
  const parsed = parse(body) as Record<string, unknown> | undefined;
  if (!parsed) return `not JSON: ${body.slice(0, 200)}`;
  if (format === 'anthropic-messages') {
    const content = parsed.content as { type?: unknown; text?: unknown }[] | undefined;
    const text = Array.isArray(content) ? content.find((c) => c?.type === 'text')?.text : undefined;
    if (parsed.type !== 'message' || typeof text !== 'string' || text === '')
      return `not an Anthropic message with text: ${body.slice(0, 200)}`;
    return undefined;
  }
  const choices = parsed.choices as { message?: { content?: unknown } }[] | undefined;
  const text = Array.isArray(choices) ? choices[0]?.message?.content : undefined;
  if (parsed.object !== 'chat.completion' || typeof text !== 'string' || text === '')
    return `not an OpenAI chat completion with text: ${body.slice(0, 200)}`;
  return undefined;
}
