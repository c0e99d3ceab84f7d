import {
  TranslationError,
  type ChatRequest,
  type ImagePart,
  type Message,
  type Part,
  type TextPart,
} from '../ir';
import { unsupported, type Json } from '../wire';
import { FORMAT, parseArguments } from './shared';

/**
 * max_tokens when the neutral request has none: Anthropic requires it, the other formats make it
 * optional and let the model run to its own limit.
 */
export const DEFAULT_MAX_TOKENS = 4096;

/** The media types Anthropic accepts for base64 images. */
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/** A neutral request as a Messages API body. */
export function encodeRequest(req: ChatRequest): Json {
  const body: Json = { model: req.model, max_tokens: req.maxTokens ?? DEFAULT_MAX_TOKENS };
  if (req.system.length === 1) body.system = req.system[0]?.text;
  else if (req.system.length > 1) body.system = req.system.map((p) => ({ type: 'text', text: p.text }));
  body.messages = encodeMessages(req.messages);

  if (req.tools && req.tools.length > 0)
    body.tools = req.tools.map((t) => ({
      name: t.name,
      ...(t.description !== undefined ? { description: t.description } : {}),
      input_schema: t.parameters,
    }));
  const toolChoice = encodeToolChoice(req);
  if (toolChoice) body.tool_choice = toolChoice;

  if (req.stop && req.stop.length > 0) body.stop_sequences = req.stop;
  if (req.temperature !== undefined) {
    // Anthropic's range is 0–1 where OpenAI's is 0–2: rescaling would change the meaning.
    if (req.temperature < 0 || req.temperature > 1)
      throw new TranslationError(
        `temperature ${req.temperature} is outside the ${FORMAT} range 0–1.`,
        'temperature',
      );
    body.temperature = req.temperature;
  }
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.user !== undefined) body.metadata = { user_id: req.user };

  const rf = req.responseFormat;
  if (rf?.type === 'json_object') unsupported("response_format 'json_object'", FORMAT, 'response_format');
  if (rf?.type === 'json_schema') {
    if (rf.description !== undefined)
      unsupported('A response_format description', FORMAT, 'response_format.json_schema.description');
    // The schema name only labels the schema for OpenAI; Anthropic always decodes to it strictly.
    body.output_config = { format: { type: 'json_schema', schema: rf.schema } };
  }
  body.stream = req.stream;
  return body;
}

function encodeToolChoice(req: ChatRequest): Json | undefined {
  const tc = req.toolChoice;
  if (tc?.type === 'none') return { type: 'none' };
  if (!tc && req.parallelToolCalls === undefined) return undefined;
  const out: Json =
    tc?.type === 'required'
      ? { type: 'any' }
      : tc?.type === 'tool'
        ? { type: 'tool', name: tc.name }
        : { type: 'auto' };
  if (req.parallelToolCalls !== undefined) out.disable_parallel_tool_use = !req.parallelToolCalls;
  return out;
}

/**
 * Anthropic wants user and assistant turns alternating, starting with a user turn, and in a user
 * turn the tool_result blocks before anything else: consecutive turns of one role are merged and
 * tool results moved to the front (their order kept).
 */
function encodeMessages(messages: Message[]): Json[] {
  const merged: { role: Message['role']; parts: { part: Part; param: string }[] }[] = [];
  messages.forEach((m, i) => {
    const parts = m.content.map((part, j) => ({ part, param: `messages[${i}].content[${j}]` }));
    const last = merged[merged.length - 1];
    if (last && last.role === m.role) last.parts.push(...parts);
    else merged.push({ role: m.role, parts });
  });
  if (merged[0] && merged[0].role !== 'user')
    throw new TranslationError(`${FORMAT} requires the first message to be a user turn.`, 'messages[0].role');
  return merged.map(({ role, parts }) => {
    const ordered =
      role === 'user'
        ? [
            ...parts.filter((p) => p.part.type === 'tool_result'),
            ...parts.filter((p) => p.part.type !== 'tool_result'),
          ]
        : parts;
    return { role, content: ordered.map((p) => encodePart(p.part, role, p.param)) };
  });
}

function encodePart(part: Part, role: Message['role'], param: string): Json {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'image':
      if (role !== 'user') unsupported('An image in an assistant turn', FORMAT, param);
      return encodeImage(part, param);
    case 'tool_call':
      if (role !== 'assistant') unsupported('A tool call in a user turn', FORMAT, param);
      return { type: 'tool_use', id: part.id, name: part.name, input: parseArguments(part.arguments, param) };
    case 'tool_result': {
      if (role !== 'user') unsupported('A tool result in an assistant turn', FORMAT, param);
      const out: Json = { type: 'tool_result', tool_use_id: part.toolCallId };
      if (part.content.length > 0)
        out.content = part.content.map((c, k) =>
          c.type === 'text' ? encodeText(c) : encodeImage(c, `${param}.content[${k}]`),
        );
      if (part.isError !== undefined) out.is_error = part.isError;
      return out;
    }
  }
}

function encodeText(p: TextPart): Json {
  return { type: 'text', text: p.text };
}

function encodeImage(part: ImagePart, param: string): Json {
  let source = part.source;
  // A data: URL is base64 data Anthropic only takes as a base64 source.
  if (source.kind === 'url') {
    const m = /^data:([^;,]+);base64,(.*)$/s.exec(source.url);
    if (m) source = { kind: 'base64', mediaType: m[1] ?? '', data: m[2] ?? '' };
  }
  if (source.kind === 'url') return { type: 'image', source: { type: 'url', url: source.url } };
  if (!IMAGE_TYPES.has(source.mediaType))
    unsupported(`An image of type '${source.mediaType}'`, FORMAT, param);
  return { type: 'image', source: { type: 'base64', media_type: source.mediaType, data: source.data } };
}
