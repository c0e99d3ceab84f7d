import {
  TranslationError,
  type ChatRequest,
  type ImagePart,
  type Message,
  type Part,
  type ResponseFormat,
  type TextPart,
  type ToolChoice,
  type ToolDefinition,
} from '../ir';
import { array, object, optionalBoolean, optionalNumber, optionalString, string, type Json } from '../wire';
import { notTranslatable } from './shared';

/**
 * A client's Messages API body (POST /v1/messages) as a neutral request. Fields the reference
 * documents but the neutral model cannot carry are refused (see notTranslatable); prompt-caching
 * hints (`cache_control`, on blocks or top level) are ignored: they change cost, never the answer.
 */
export function decodeRequest(body: Json): ChatRequest {
  const model = string(body.model, 'model');
  const req: ChatRequest = {
    model,
    system: decodeSystem(body.system),
    messages: [],
    stream: optionalBoolean(body.stream, 'stream') ?? false,
  };

  // Anthropic requires max_tokens (other formats make it optional).
  if (body.max_tokens === undefined || body.max_tokens === null)
    throw new TranslationError("'max_tokens' is required.", 'max_tokens');
  const maxTokens = optionalNumber(body.max_tokens, 'max_tokens');
  if (maxTokens === undefined || !Number.isInteger(maxTokens) || maxTokens < 0)
    throw new TranslationError("'max_tokens' must be a non-negative integer.", 'max_tokens');
  req.maxTokens = maxTokens;

  const messages = array(body.messages, 'messages');
  const toolNames = new Map<string, string>();
  req.messages = messages.map((m, i) => decodeMessage(m, `messages[${i}]`, toolNames));

  if (body.tools !== undefined && body.tools !== null)
    req.tools = array(body.tools, 'tools').map((t, i) => decodeTool(t, `tools[${i}]`));
  if (body.tool_choice !== undefined && body.tool_choice !== null) {
    const { choice, parallel } = decodeToolChoice(object(body.tool_choice, 'tool_choice'));
    req.toolChoice = choice;
    if (parallel !== undefined) req.parallelToolCalls = parallel;
  }

  if (body.stop_sequences !== undefined && body.stop_sequences !== null)
    req.stop = array(body.stop_sequences, 'stop_sequences').map((s, i) => string(s, `stop_sequences[${i}]`));
  const temperature = optionalNumber(body.temperature, 'temperature');
  if (temperature !== undefined) req.temperature = temperature;
  const topP = optionalNumber(body.top_p, 'top_p');
  if (topP !== undefined) req.topP = topP;
  if (body.top_k !== undefined && body.top_k !== null) notTranslatable("'top_k'", 'top_k');

  if (body.metadata !== undefined && body.metadata !== null) {
    const user = optionalString(object(body.metadata, 'metadata').user_id, 'metadata.user_id');
    if (user !== undefined) req.user = user;
  }

  if (body.thinking !== undefined && body.thinking !== null) {
    const thinking = object(body.thinking, 'thinking');
    if (thinking.type !== 'disabled') notTranslatable('Extended thinking', 'thinking');
  }

  const responseFormat = decodeOutputConfig(body.output_config);
  if (responseFormat) req.responseFormat = responseFormat;
  if (body.output_format !== undefined && body.output_format !== null)
    // The structured-outputs beta spelling; the GA API moved it to output_config.format.
    notTranslatable("'output_format' (use 'output_config.format')", 'output_format');

  for (const field of ['container', 'mcp_servers', 'context_management'] as const)
    if (body[field] !== undefined && body[field] !== null) notTranslatable(`'${field}'`, field);
  return req;
}

function decodeSystem(v: unknown): TextPart[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return v === '' ? [] : [{ type: 'text', text: v }];
  return array(v, 'system').map((b, i) => {
    const block = object(b, `system[${i}]`);
    if (block.type !== 'text')
      throw new TranslationError(`'system[${i}].type' must be 'text'.`, `system[${i}].type`);
    return decodeText(block, `system[${i}]`);
  });
}

function decodeText(block: Json, param: string): TextPart {
  if (Array.isArray(block.citations) && block.citations.length > 0)
    notTranslatable('A citation', `${param}.citations`);
  return { type: 'text', text: string(block.text, `${param}.text`) };
}

function decodeMessage(v: unknown, param: string, toolNames: Map<string, string>): Message {
  const m = object(v, param);
  const role = m.role;
  if (role !== 'user' && role !== 'assistant')
    throw new TranslationError(`'${param}.role' must be 'user' or 'assistant'.`, `${param}.role`);
  if (typeof m.content === 'string') return { role, content: [{ type: 'text', text: m.content }] };
  const content = array(m.content, `${param}.content`).map((b, i) =>
    decodeBlock(b, role, `${param}.content[${i}]`, toolNames),
  );
  return { role, content };
}

function decodeBlock(v: unknown, role: Message['role'], param: string, toolNames: Map<string, string>): Part {
  const block = object(v, param);
  const type = string(block.type, `${param}.type`);
  switch (type) {
    case 'text':
      return decodeText(block, param);
    case 'image':
      if (role !== 'user') throw new TranslationError('Images are only allowed in user turns.', param);
      return decodeImage(block, param);
    case 'tool_use': {
      if (role !== 'assistant')
        throw new TranslationError('tool_use blocks are only allowed in assistant turns.', param);
      const id = string(block.id, `${param}.id`);
      const name = string(block.name, `${param}.name`);
      const input = object(block.input, `${param}.input`);
      toolNames.set(id, name);
      return { type: 'tool_call', id, name, arguments: JSON.stringify(input) };
    }
    case 'tool_result':
      if (role !== 'user')
        throw new TranslationError('tool_result blocks are only allowed in user turns.', param);
      return decodeToolResult(block, param, toolNames);
    case 'thinking':
    case 'redacted_thinking':
      return notTranslatable('A thinking block', param);
    case 'document':
    case 'search_result':
      return notTranslatable(`A '${type}' block`, param);
    default:
      // server_tool_use, web_search_tool_result, container_upload, … belong to server tools.
      return notTranslatable(`A '${type}' block`, param);
  }
}

function decodeImage(block: Json, param: string): ImagePart {
  const source = object(block.source, `${param}.source`);
  if (source.type === 'base64')
    return {
      type: 'image',
      source: {
        kind: 'base64',
        mediaType: string(source.media_type, `${param}.source.media_type`),
        data: string(source.data, `${param}.source.data`),
      },
    };
  if (source.type === 'url')
    return { type: 'image', source: { kind: 'url', url: string(source.url, `${param}.source.url`) } };
  return notTranslatable(`Image source type '${String(source.type)}'`, `${param}.source.type`);
}

function decodeToolResult(block: Json, param: string, toolNames: Map<string, string>): Part {
  const toolCallId = string(block.tool_use_id, `${param}.tool_use_id`);
  let content: (TextPart | ImagePart)[] = [];
  if (typeof block.content === 'string') content = [{ type: 'text', text: block.content }];
  else if (block.content !== undefined && block.content !== null)
    content = array(block.content, `${param}.content`).map((c, i) => {
      const p = `${param}.content[${i}]`;
      const inner = object(c, p);
      if (inner.type === 'text') return decodeText(inner, p);
      if (inner.type === 'image') return decodeImage(inner, p);
      return notTranslatable(`A '${String(inner.type)}' block in a tool result`, p);
    });
  const part: Part = { type: 'tool_result', toolCallId, content };
  // Anthropic does not repeat the tool's name; look it up from the call (Gemini needs it).
  const name = toolNames.get(toolCallId);
  if (name !== undefined) part.name = name;
  const isError = optionalBoolean(block.is_error, `${param}.is_error`);
  if (isError !== undefined) part.isError = isError;
  return part;
}

function decodeTool(v: unknown, param: string): ToolDefinition {
  const t = object(v, param);
  // Custom tools have no type or type 'custom'; any other type is a server or client-defined Anthropic tool.
  if (t.type !== undefined && t.type !== null && t.type !== 'custom')
    notTranslatable(`Anthropic tool type '${String(t.type)}'`, `${param}.type`);
  if (t.strict === true) notTranslatable('Strict tool use', `${param}.strict`);
  const tool: ToolDefinition = {
    name: string(t.name, `${param}.name`),
    parameters: object(t.input_schema, `${param}.input_schema`),
  };
  const description = optionalString(t.description, `${param}.description`);
  if (description !== undefined) tool.description = description;
  return tool;
}

function decodeToolChoice(tc: Json): { choice: ToolChoice; parallel?: boolean } {
  let choice: ToolChoice;
  switch (tc.type) {
    case 'auto':
      choice = { type: 'auto' };
      break;
    case 'any':
      choice = { type: 'required' };
      break;
    case 'none':
      choice = { type: 'none' };
      break;
    case 'tool':
      choice = { type: 'tool', name: string(tc.name, 'tool_choice.name') };
      break;
    default:
      throw new TranslationError(
        "'tool_choice.type' must be one of 'auto', 'any', 'tool', 'none'.",
        'tool_choice.type',
      );
  }
  const disable = optionalBoolean(tc.disable_parallel_tool_use, 'tool_choice.disable_parallel_tool_use');
  return disable === undefined ? { choice } : { choice, parallel: !disable };
}

/** `output_config.format` (structured outputs, GA): a JSON schema the reply must follow. */
function decodeOutputConfig(v: unknown): ResponseFormat | undefined {
  if (v === undefined || v === null) return undefined;
  const config = object(v, 'output_config');
  if (config.effort !== undefined && config.effort !== null)
    notTranslatable("'output_config.effort'", 'output_config.effort');
  if (config.format === undefined || config.format === null) return undefined;
  const format = object(config.format, 'output_config.format');
  if (format.type !== 'json_schema')
    throw new TranslationError(
      "'output_config.format.type' must be 'json_schema'.",
      'output_config.format.type',
    );
  // Anthropic names no schema and always decodes constrained (strict); other formats need a name.
  return {
    type: 'json_schema',
    name: 'response',
    schema: object(format.schema, 'output_config.format.schema'),
    strict: true,
  };
}
