import type { ChatRequest, ImagePart, Message, Part, ResponseFormat, ToolResultPart } from '../ir';
import { unsupported, type Json } from '../wire';

const FORMAT = 'OpenAI Chat Completions';

/**
 * Neutral request → Chat Completions body. What OpenAI cannot carry (images in tool results or
 * assistant turns) is refused; tool results become `tool` messages.
 */
export function encodeRequest(req: ChatRequest): Json {
  const messages: Json[] = req.system.map((p) => ({ role: 'system', content: p.text }));
  req.messages.forEach((m, i) => messages.push(...encodeMessage(m, `messages[${i}]`)));
  const body: Json = { model: req.model, messages };
  if (req.tools !== undefined)
    body.tools = req.tools.map((t) => ({
      type: 'function',
      function: {
        name: t.name,
        ...(t.description !== undefined ? { description: t.description } : {}),
        parameters: t.parameters,
      },
    }));
  if (req.toolChoice !== undefined)
    body.tool_choice =
      req.toolChoice.type === 'tool'
        ? { type: 'function', function: { name: req.toolChoice.name } }
        : req.toolChoice.type;
  if (req.parallelToolCalls !== undefined) body.parallel_tool_calls = req.parallelToolCalls;
  if (req.responseFormat !== undefined) body.response_format = encodeResponseFormat(req.responseFormat);
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  // max_tokens is deprecated (and refused by reasoning models); providers that need it rename it.
  if (req.maxTokens !== undefined) body.max_completion_tokens = req.maxTokens;
  if (req.stop !== undefined) body.stop = req.stop;
  // stream_options is the provider layer's to add: it knows whether usage must be asked for.
  if (req.stream) body.stream = true;
  if (req.user !== undefined) body.user = req.user;
  return body;
}

function encodeResponseFormat(f: ResponseFormat): Json {
  if (f.type !== 'json_schema') return { type: f.type };
  const js: Json = { name: f.name };
  if (f.description !== undefined) js.description = f.description;
  js.schema = f.schema;
  if (f.strict !== undefined) js.strict = f.strict;
  return { type: 'json_schema', json_schema: js };
}

function encodeMessage(m: Message, param: string): Json[] {
  return m.role === 'user' ? encodeUser(m.content, param) : [encodeAssistant(m.content, param)];
}

/**
 * A user turn: its tool results become `tool` messages (first, since OpenAI wants them right after
 * the assistant's calls), the rest one `user` message.
 */
function encodeUser(parts: Part[], param: string): Json[] {
  const out: Json[] = [];
  const rest: Json[] = [];
  parts.forEach((p, i) => {
    const pp = `${param}.content[${i}]`;
    if (p.type === 'tool_result') out.push(encodeToolResult(p, pp));
    else if (p.type === 'text') rest.push({ type: 'text', text: p.text });
    else if (p.type === 'image') rest.push({ type: 'image_url', image_url: { url: imageUrl(p) } });
    else unsupported('A tool call in a user turn', FORMAT, pp);
  });
  if (rest.length > 0 || out.length === 0) out.push({ role: 'user', content: simplify(rest) });
  return out;
}

/** One text part → a plain string (what most OpenAI-compatible servers handle best); none → ''. */
function simplify(parts: Json[]): string | Json[] {
  if (parts.length === 0) return '';
  const [only] = parts;
  if (parts.length === 1 && only?.type === 'text' && typeof only.text === 'string') return only.text;
  return parts;
}

function imageUrl(p: ImagePart): string {
  return p.source.kind === 'url' ? p.source.url : `data:${p.source.mediaType};base64,${p.source.data}`;
}

/**
 * OpenAI tool messages carry text only. They have no error flag either: an error result keeps its
 * text as is (which, from a failing tool, says what failed) rather than being refused.
 */
function encodeToolResult(p: ToolResultPart, param: string): Json {
  const parts = p.content.map((c, i) => {
    if (c.type !== 'text') return unsupported('An image in a tool result', FORMAT, `${param}.content[${i}]`);
    return { type: 'text', text: c.text };
  });
  return { role: 'tool', tool_call_id: p.toolCallId, content: simplify(parts) };
}

/** OpenAI keeps an assistant's text and its tool calls apart, so their interleaving is not kept. */
function encodeAssistant(parts: Part[], param: string): Json {
  const text: Json[] = [];
  const calls: Json[] = [];
  parts.forEach((p, i) => {
    if (p.type === 'text') text.push({ type: 'text', text: p.text });
    else if (p.type === 'tool_call')
      calls.push({ id: p.id, type: 'function', function: { name: p.name, arguments: p.arguments } });
    else
      unsupported(
        `A${p.type === 'image' ? 'n image' : ' tool result'} in an assistant turn`,
        FORMAT,
        `${param}.content[${i}]`,
      );
  });
  const msg: Json = {
    role: 'assistant',
    content: text.length === 0 && calls.length > 0 ? null : simplify(text),
  };
  if (calls.length > 0) msg.tool_calls = calls;
  return msg;
}
