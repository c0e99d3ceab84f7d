import type {
  ChatRequest,
  ImagePart,
  Message,
  ResponseFormat,
  TextPart,
  ToolChoice,
  ToolResultPart,
} from '../ir';
import { unsupported, type Json } from '../wire';
import { imageUrlOf } from './images';
import { FORMAT } from './names';

/** The neutral request → a `POST /v1/responses` body for an upstream that speaks Responses. */
export function encodeRequest(req: ChatRequest): Record<string, unknown> {
  // Responses has no stop sequences at all; dropping them would let the model run past them.
  if (req.stop && req.stop.length > 0) unsupported('Stop sequences', FORMAT, 'stop');
  const input: Json[] = [];
  // One instruction rides in `instructions`; several keep their boundaries as a leading system message.
  if (req.system.length > 1)
    input.push({ type: 'message', role: 'system', content: req.system.map((p) => inputText(p)) });
  req.messages.forEach((m, i) => input.push(...encodeMessage(m, `messages[${i}]`)));

  const body: Json = { model: req.model, input };
  if (req.system.length === 1) body.instructions = req.system[0]?.text;
  if (req.tools && req.tools.length > 0)
    // strict:false: the schemas come from other formats and need not meet strict mode's rules.
    body.tools = req.tools.map((t) => ({
      type: 'function',
      name: t.name,
      ...(t.description !== undefined ? { description: t.description } : {}),
      parameters: t.parameters,
      strict: false,
    }));
  if (req.toolChoice) body.tool_choice = encodeToolChoice(req.toolChoice);
  if (req.parallelToolCalls !== undefined) body.parallel_tool_calls = req.parallelToolCalls;
  if (req.responseFormat) body.text = { format: encodeFormat(req.responseFormat) };
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.maxTokens !== undefined) body.max_output_tokens = req.maxTokens;
  body.stream = req.stream;
  if (req.user !== undefined) body.user = req.user;
  // The gateway is stateless: do not have the upstream keep a copy either.
  body.store = false;
  return body;
}

export function inputText(p: TextPart): Json {
  return { type: 'input_text', text: p.text };
}

function inputPart(p: TextPart | ImagePart): Json {
  return p.type === 'text'
    ? inputText(p)
    : { type: 'input_image', image_url: imageUrlOf(p.source), detail: 'auto' };
}

/** A message → input items, in order: runs of text/images become messages, calls and results their own items. */
function encodeMessage(m: Message, param: string): Json[] {
  const items: Json[] = [];
  let run: Json[] = [];
  const flush = () => {
    if (run.length > 0) items.push({ type: 'message', role: m.role, content: run });
    run = [];
  };
  m.content.forEach((p, j) => {
    const at = `${param}.content[${j}]`;
    if (p.type === 'text') {
      run.push(m.role === 'assistant' ? { type: 'output_text', text: p.text } : inputText(p));
    } else if (p.type === 'image') {
      if (m.role === 'assistant') unsupported('An image in an assistant message', FORMAT, at);
      run.push(inputPart(p));
    } else if (p.type === 'tool_call') {
      if (m.role !== 'assistant') unsupported('A tool call in a user message', FORMAT, at);
      flush();
      items.push({ type: 'function_call', call_id: p.id, name: p.name, arguments: p.arguments });
    } else {
      if (m.role !== 'user') unsupported('A tool result in an assistant message', FORMAT, at);
      flush();
      items.push(encodeToolResult(p, at));
    }
  });
  flush();
  return items;
}

function encodeToolResult(p: ToolResultPart, param: string): Json {
  // function_call_output has no error flag; the model would read a failure as a success.
  if (p.isError) unsupported('A tool result marked as an error', FORMAT, `${param}.isError`);
  const only = p.content.length === 1 ? p.content[0] : undefined;
  const output =
    p.content.length === 0 ? '' : only?.type === 'text' ? only.text : p.content.map((c) => inputPart(c));
  return { type: 'function_call_output', call_id: p.toolCallId, output };
}

export function encodeToolChoice(c: ToolChoice): unknown {
  return c.type === 'tool' ? { type: 'function', name: c.name } : c.type;
}

export function encodeFormat(f: ResponseFormat): Json {
  if (f.type !== 'json_schema') return { type: f.type };
  return {
    type: 'json_schema',
    name: f.name,
    schema: f.schema,
    ...(f.strict !== undefined ? { strict: f.strict } : {}),
    ...(f.description !== undefined ? { description: f.description } : {}),
  };
}
