import {
  TranslationError,
  type ChatRequest,
  type ImagePart,
  type Message,
  type ResponseFormat,
  type TextPart,
  type ToolChoice,
  type ToolDefinition,
} from '../ir';
import {
  array,
  isObject,
  jsonSchemaFormat,
  object,
  optionalBoolean,
  optionalNumber,
  optionalString,
  string,
  type Json,
} from '../wire';
import { imageSourceOf } from './images';

/**
 * A `POST /v1/responses` body → the neutral request. The gateway is stateless: it stores no
 * responses or conversations, so everything that refers to server-side state is refused rather
 * than answered as if the state were empty.
 */
export function decodeRequest(body: Record<string, unknown>): ChatRequest {
  refuseStateful(body);
  const system: TextPart[] = [];
  const instructions = optionalString(body.instructions, 'instructions');
  if (instructions !== undefined) system.push({ type: 'text', text: instructions });
  if (body.input === undefined || body.input === null)
    throw new TranslationError(
      `'input' is required (the gateway stores no prompts or conversations).`,
      'input',
    );
  const messages =
    typeof body.input === 'string'
      ? [{ role: 'user' as const, content: [{ type: 'text' as const, text: body.input }] }]
      : decodeItems(array(body.input, 'input'), system);

  const req: ChatRequest = { model: string(body.model, 'model'), system, messages, stream: false };
  if (body.tools !== undefined && body.tools !== null) {
    const tools = array(body.tools, 'tools').map((t, i) => decodeTool(t, `tools[${i}]`));
    if (tools.length > 0) req.tools = tools;
  }
  if (body.tool_choice !== undefined && body.tool_choice !== null)
    req.toolChoice = decodeToolChoice(body.tool_choice);
  const parallel = optionalBoolean(body.parallel_tool_calls, 'parallel_tool_calls');
  if (parallel !== undefined) req.parallelToolCalls = parallel;
  const format = decodeText(body.text);
  if (format) req.responseFormat = format;
  const temperature = optionalNumber(body.temperature, 'temperature');
  if (temperature !== undefined) req.temperature = temperature;
  const topP = optionalNumber(body.top_p, 'top_p');
  if (topP !== undefined) req.topP = topP;
  const maxTokens = optionalNumber(body.max_output_tokens, 'max_output_tokens');
  if (maxTokens !== undefined) req.maxTokens = maxTokens;
  req.stream = optionalBoolean(body.stream, 'stream') ?? false;
  // `safety_identifier` replaces the deprecated `user`; both name the end user.
  const user =
    optionalString(body.user, 'user') ?? optionalString(body.safety_identifier, 'safety_identifier');
  if (user !== undefined) req.user = user;
  // Ignored on purpose: `store` (nothing is stored either way), `metadata` (not echoed upstream),
  // `prompt_cache_key`/`prompt_cache_retention`/`prompt_cache_options` and `service_tier` (OpenAI
  // billing and caching hints with no effect on the reply), `stream_options` (obfuscation padding).
  return req;
}

/** Parameters that need state, a feature, or a knob no other provider has: answered with 400. */
function refuseStateful(body: Json): void {
  const stateless = 'the gateway is stateless and stores no responses or conversations';
  if (body.previous_response_id !== undefined && body.previous_response_id !== null)
    throw new TranslationError(
      `'previous_response_id' is not supported: ${stateless}; send the whole conversation in 'input'.`,
      'previous_response_id',
    );
  if (body.conversation !== undefined && body.conversation !== null)
    throw new TranslationError(
      `'conversation' is not supported: ${stateless}; send the whole conversation in 'input'.`,
      'conversation',
    );
  if (optionalBoolean(body.background, 'background') === true)
    throw new TranslationError(
      `'background' mode is not supported: ${stateless}, so a background response could never be retrieved.`,
      'background',
    );
  if (body.prompt !== undefined && body.prompt !== null)
    throw new TranslationError(`'prompt' templates are stored by OpenAI and are not supported.`, 'prompt');
  if (body.reasoning !== undefined && body.reasoning !== null)
    throw new TranslationError(
      `'reasoning' options are not supported: reasoning effort has no common meaning across providers.`,
      'reasoning',
    );
  if (body.include !== undefined && body.include !== null && array(body.include, 'include').length > 0)
    throw new TranslationError(
      `'include' is not supported: the extra output data it asks for is OpenAI's own.`,
      'include',
    );
  refuseSet(body, 'top_logprobs', 'log probabilities are not supported', (v) => v !== 0);
  refuseSet(body, 'truncation', "only 'disabled' truncation is supported", (v) => v !== 'disabled');
  refuseSet(body, 'max_tool_calls', 'a cap on built-in tool calls is not supported');
  refuseSet(body, 'context_management', 'server-side context management is not supported');
  refuseSet(body, 'moderation', 'moderated completions are not supported');
}

function refuseSet(body: Json, key: string, why: string, matters: (v: unknown) => boolean = () => true) {
  const v = body[key];
  if (v !== undefined && v !== null && matters(v)) throw new TranslationError(`'${key}': ${why}.`, key);
}

/**
 * Input items → messages. Function calls join the assistant turn before them and function call
 * outputs join a user turn of tool results, so the turns alternate as the IR (Anthropic's shape) expects.
 */
function decodeItems(items: unknown[], system: TextPart[]): Message[] {
  const messages: Message[] = [];
  const toolNames = new Map<string, string>();
  items.forEach((raw, i) => {
    const param = `input[${i}]`;
    const item = object(raw, param);
    const type = item.type === undefined ? 'message' : string(item.type, `${param}.type`);
    const last = messages[messages.length - 1];
    switch (type) {
      case 'message': {
        const role = string(item.role, `${param}.role`);
        if (role === 'system' || role === 'developer') {
          if (messages.length > 0)
            throw new TranslationError(
              `A ${role} message after the start of 'input' cannot be translated: system instructions must come first.`,
              `${param}.role`,
            );
          system.push(...decodeSystemContent(item.content, `${param}.content`));
        } else if (role === 'user') {
          messages.push({ role: 'user', content: decodeUserContent(item.content, `${param}.content`) });
        } else if (role === 'assistant') {
          const content = decodeAssistantContent(item.content, `${param}.content`);
          if (last?.role === 'assistant') last.content.push(...content);
          else messages.push({ role: 'assistant', content });
        } else {
          throw new TranslationError(
            `'${param}.role' must be one of 'user', 'assistant', 'system', 'developer'.`,
            `${param}.role`,
          );
        }
        return;
      }
      case 'function_call': {
        const id = string(item.call_id, `${param}.call_id`);
        const name = string(item.name, `${param}.name`);
        toolNames.set(id, name);
        const part = {
          type: 'tool_call' as const,
          id,
          name,
          arguments: string(item.arguments, `${param}.arguments`),
        };
        if (last?.role === 'assistant') last.content.push(part);
        else messages.push({ role: 'assistant', content: [part] });
        return;
      }
      case 'function_call_output': {
        const toolCallId = string(item.call_id, `${param}.call_id`);
        const name = toolNames.get(toolCallId);
        const part = {
          type: 'tool_result' as const,
          toolCallId,
          ...(name !== undefined ? { name } : {}),
          content: decodeToolOutput(item.output, `${param}.output`),
        };
        if (last?.role === 'user' && last.content.every((p) => p.type === 'tool_result'))
          last.content.push(part);
        else messages.push({ role: 'user', content: [part] });
        return;
      }
      case 'reasoning':
        throw new TranslationError(
          `Reasoning items cannot be translated: reasoning is specific to the model that produced it.`,
          `${param}.type`,
        );
      case 'item_reference':
        throw new TranslationError(
          `Item references are not supported: the gateway is stateless and stores no items.`,
          `${param}.type`,
        );
      default:
        throw new TranslationError(
          `Input items of type '${type}' are not supported: only messages, function calls and function call outputs are.`,
          `${param}.type`,
        );
    }
  });
  return messages;
}

function decodeSystemContent(v: unknown, param: string): TextPart[] {
  if (typeof v === 'string') return [{ type: 'text', text: v }];
  return array(v, param).map((raw, i) => {
    const p = object(raw, `${param}[${i}]`);
    if (p.type !== 'input_text')
      throw new TranslationError(
        `System and developer messages may hold only 'input_text' parts.`,
        `${param}[${i}].type`,
      );
    return { type: 'text', text: string(p.text, `${param}[${i}].text`) };
  });
}

function decodeUserContent(v: unknown, param: string): (TextPart | ImagePart)[] {
  if (typeof v === 'string') return [{ type: 'text', text: v }];
  return array(v, param).map((raw, i) => decodeInputPart(raw, `${param}[${i}]`));
}

/** `input_text` / `input_image`: what user messages and function call outputs may carry. */
function decodeInputPart(raw: unknown, param: string): TextPart | ImagePart {
  const p = object(raw, param);
  const type = string(p.type, `${param}.type`);
  if (type === 'input_text') return { type: 'text', text: string(p.text, `${param}.text`) };
  if (type === 'input_image') {
    if (p.file_id !== undefined && p.file_id !== null)
      throw new TranslationError(
        `Images by 'file_id' cannot be translated: the gateway cannot read OpenAI's file store; send 'image_url'.`,
        `${param}.file_id`,
      );
    // `detail` is a resolution hint only OpenAI honours; it is checked and not carried.
    if (
      p.detail !== undefined &&
      p.detail !== null &&
      !['auto', 'low', 'high', 'original'].includes(String(p.detail))
    )
      throw new TranslationError(
        `'${param}.detail' must be one of 'auto', 'low', 'high', 'original'.`,
        `${param}.detail`,
      );
    const url = string(p.image_url, `${param}.image_url`);
    return { type: 'image', source: imageSourceOf(url, `${param}.image_url`) };
  }
  if (type === 'input_file')
    throw new TranslationError(
      `File inputs cannot be translated: only text and images are supported.`,
      `${param}.type`,
    );
  throw new TranslationError(`Content parts of type '${type}' are not supported here.`, `${param}.type`);
}

/** Assistant history: `output_text` (and `input_text`, which the API also takes); a refusal is what the model said. */
function decodeAssistantContent(v: unknown, param: string): TextPart[] {
  if (typeof v === 'string') return [{ type: 'text', text: v }];
  return array(v, param).map((raw, i) => {
    const p = object(raw, `${param}[${i}]`);
    const type = string(p.type, `${param}[${i}].type`);
    if (type === 'output_text' || type === 'input_text')
      return { type: 'text', text: string(p.text, `${param}[${i}].text`) };
    if (type === 'refusal') return { type: 'text', text: string(p.refusal, `${param}[${i}].refusal`) };
    throw new TranslationError(
      `Assistant messages may hold only 'output_text' and 'refusal' parts, not '${type}'.`,
      `${param}[${i}].type`,
    );
  });
}

function decodeToolOutput(v: unknown, param: string): (TextPart | ImagePart)[] {
  // An empty output is a tool that returned nothing: no parts, rather than one empty text.
  if (typeof v === 'string') return v === '' ? [] : [{ type: 'text', text: v }];
  return array(v, param).map((raw, i) => decodeInputPart(raw, `${param}[${i}]`));
}

function decodeTool(raw: unknown, param: string): ToolDefinition {
  const t = object(raw, param);
  const type = string(t.type, `${param}.type`);
  if (type !== 'function')
    throw new TranslationError(
      `Built-in tools ('${type}') cannot be translated: only 'function' tools are supported.`,
      `${param}.type`,
    );
  // `strict` (on by default in Responses) is accepted and not carried: other providers have no
  // equivalent, and the schema itself is passed on unchanged.
  optionalBoolean(t.strict, `${param}.strict`);
  const tool: ToolDefinition = {
    name: string(t.name, `${param}.name`),
    parameters:
      t.parameters === undefined || t.parameters === null
        ? { type: 'object', properties: {} }
        : object(t.parameters, `${param}.parameters`),
  };
  const description = optionalString(t.description, `${param}.description`);
  if (description !== undefined) tool.description = description;
  return tool;
}

function decodeToolChoice(v: unknown): ToolChoice {
  if (v === 'auto' || v === 'none' || v === 'required') return { type: v };
  if (isObject(v) && v.type === 'function') return { type: 'tool', name: string(v.name, 'tool_choice.name') };
  throw new TranslationError(
    `'tool_choice' must be 'auto', 'none', 'required' or {"type":"function","name":…}; other choices cannot be translated.`,
    'tool_choice',
  );
}

function decodeText(v: unknown): ResponseFormat | undefined {
  if (v === undefined || v === null) return undefined;
  const text = object(v, 'text');
  if (text.verbosity !== undefined && text.verbosity !== null && text.verbosity !== 'medium')
    throw new TranslationError(
      `'text.verbosity' cannot be translated: other providers have no such setting.`,
      'text.verbosity',
    );
  if (text.format === undefined || text.format === null) return undefined;
  const f = object(text.format, 'text.format');
  const type = string(f.type, 'text.format.type');
  if (type === 'text' || type === 'json_object') return { type };
  if (type !== 'json_schema')
    throw new TranslationError(
      `'text.format.type' must be 'text', 'json_object' or 'json_schema'.`,
      'text.format.type',
    );
  return jsonSchemaFormat(f, 'text.format');
}
