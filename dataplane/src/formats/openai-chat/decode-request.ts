import {
  TranslationError,
  type ChatRequest,
  type ImagePart,
  type Message,
  type ResponseFormat,
  type TextPart,
  type ToolCallPart,
  type ToolChoice,
  type ToolDefinition,
  type ToolResultPart,
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
  unsupported,
  type Json,
} from '../wire';

const FORMAT = 'OpenAI Chat Completions';

/** A field the neutral model has no place for: refused by name, never dropped. */
function refuse(field: string): never {
  throw new TranslationError(
    `'${field}' has no equivalent in the gateway's neutral request and cannot be translated.`,
    field,
  );
}

/**
 * Request fields the neutral model lacks, with the test that they are at their neutral value
 * (absent, null, or the default OpenAI documents) and so can be ignored.
 */
const NEUTRAL_ONLY: Record<string, (v: unknown) => boolean> = {
  n: (v) => v === 1,
  logprobs: (v) => v === false,
  top_logprobs: (v) => v === 0,
  presence_penalty: (v) => v === 0,
  frequency_penalty: (v) => v === 0,
  logit_bias: (v) => isObject(v) && Object.keys(v).length === 0,
  audio: () => false,
  modalities: (v) => Array.isArray(v) && v.length === 1 && v[0] === 'text',
  prediction: () => false,
  seed: () => false,
  web_search_options: () => false,
  functions: (v) => Array.isArray(v) && v.length === 0,
  function_call: () => false,
  // They change what the model produces, and no other format carries them.
  reasoning_effort: () => false,
  verbosity: () => false,
};

/** The Chat Completions fields the neutral request has no place for (refused by `decodeRequest` unless neutral). */
export const UNTRANSLATED_FIELDS: readonly string[] = Object.keys(NEUTRAL_ONLY);

/** Chat Completions body → neutral request; strict on what matters, tolerant of unknown fields. */
export function decodeRequest(body: Json): ChatRequest {
  for (const [field, isNeutral] of Object.entries(NEUTRAL_ONLY)) {
    const v = body[field];
    if (v !== undefined && v !== null && !isNeutral(v)) refuse(field);
  }
  if (body.stream_options !== undefined && body.stream_options !== null)
    object(body.stream_options, 'stream_options');

  const { system, messages } = decodeMessages(array(body.messages, 'messages'));
  const req: ChatRequest = {
    model: string(body.model, 'model'),
    system,
    messages,
    stream: optionalBoolean(body.stream, 'stream') ?? false,
  };
  if (body.tools !== undefined && body.tools !== null) req.tools = decodeTools(array(body.tools, 'tools'));
  if (body.tool_choice !== undefined && body.tool_choice !== null)
    req.toolChoice = decodeToolChoice(body.tool_choice);
  const parallel = optionalBoolean(body.parallel_tool_calls, 'parallel_tool_calls');
  if (parallel !== undefined) req.parallelToolCalls = parallel;
  if (body.response_format !== undefined && body.response_format !== null)
    req.responseFormat = decodeResponseFormat(object(body.response_format, 'response_format'));
  const temperature = optionalNumber(body.temperature, 'temperature');
  if (temperature !== undefined) req.temperature = temperature;
  const topP = optionalNumber(body.top_p, 'top_p');
  if (topP !== undefined) req.topP = topP;
  // max_tokens is deprecated but still sent by many clients; the newer field wins when both are set.
  const maxTokens =
    optionalNumber(body.max_completion_tokens, 'max_completion_tokens') ??
    optionalNumber(body.max_tokens, 'max_tokens');
  if (maxTokens !== undefined) req.maxTokens = maxTokens;
  const stop = decodeStop(body.stop);
  if (stop !== undefined) req.stop = stop;
  const user = optionalString(body.user, 'user');
  if (user !== undefined) req.user = user;
  return req;
}

function decodeStop(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return [v];
  return array(v, 'stop').map((s, i) => string(s, `stop[${i}]`));
}

function decodeMessages(list: unknown[]): { system: TextPart[]; messages: Message[] } {
  const system: TextPart[] = [];
  const messages: Message[] = [];
  // tool_call_id → name, from the assistant turns seen so far (Gemini needs the name of a result).
  const toolNames = new Map<string, string>();
  list.forEach((raw, i) => {
    const param = `messages[${i}]`;
    const m = object(raw, param);
    const role = string(m.role, `${param}.role`);
    switch (role) {
      case 'system':
      case 'developer':
        // The neutral model keeps instructions apart from the conversation, so only leading ones fit.
        if (messages.length > 0)
          throw new TranslationError(
            `A ${role} message after the conversation has started cannot be translated; put instructions first.`,
            param,
          );
        system.push(...textContent(m.content, `${param}.content`));
        return;
      case 'user':
        messages.push({ role: 'user', content: userContent(m.content, `${param}.content`) });
        return;
      case 'assistant': {
        const content = assistantContent(m, param);
        for (const p of content) if (p.type === 'tool_call') toolNames.set(p.id, p.name);
        messages.push({ role: 'assistant', content });
        return;
      }
      case 'tool': {
        const toolCallId = string(m.tool_call_id, `${param}.tool_call_id`);
        const result: ToolResultPart = {
          type: 'tool_result',
          toolCallId,
          content: textContent(m.content, `${param}.content`),
        };
        const name = toolNames.get(toolCallId);
        if (name !== undefined) result.name = name;
        // Consecutive tool messages answer one assistant turn: one user turn of results.
        const prev = messages[messages.length - 1];
        if (prev?.role === 'user' && prev.content.every((p) => p.type === 'tool_result'))
          prev.content.push(result);
        else messages.push({ role: 'user', content: [result] });
        return;
      }
      case 'function':
        return unsupported("The legacy 'function' role", FORMAT, `${param}.role`);
      default:
        throw new TranslationError(`Unknown role '${role}'.`, `${param}.role`);
    }
  });
  return { system, messages };
}

/** A string or an array of text parts (system, developer and tool messages). Empty string: no part. */
function textContent(v: unknown, param: string): TextPart[] {
  if (typeof v === 'string') return v === '' ? [] : [{ type: 'text', text: v }];
  return array(v, param).map((raw, i) => {
    const p = object(raw, `${param}[${i}]`);
    const type = string(p.type, `${param}[${i}].type`);
    if (type !== 'text') return unsupported(`A '${type}' content part here`, FORMAT, `${param}[${i}]`);
    return { type: 'text', text: string(p.text, `${param}[${i}].text`) };
  });
}

function userContent(v: unknown, param: string): (TextPart | ImagePart)[] {
  if (typeof v === 'string') return v === '' ? [] : [{ type: 'text', text: v }];
  return array(v, param).map((raw, i): TextPart | ImagePart => {
    const pp = `${param}[${i}]`;
    const p = object(raw, pp);
    const type = string(p.type, `${pp}.type`);
    if (type === 'text') return { type: 'text', text: string(p.text, `${pp}.text`) };
    if (type === 'image_url') {
      const img = object(p.image_url, `${pp}.image_url`);
      // `detail` is a resolution hint only OpenAI has; accepted (validated) and not carried.
      optionalString(img.detail, `${pp}.image_url.detail`);
      return { type: 'image', source: imageSource(string(img.url, `${pp}.image_url.url`)) };
    }
    if (type === 'input_audio' || type === 'file')
      return unsupported(`A${type === 'input_audio' ? 'n' : ''} '${type}' content part`, FORMAT, pp);
    throw new TranslationError(`Unknown content part type '${type}'.`, `${pp}.type`);
  });
}

/** `data:<mediaType>;base64,<data>` → a base64 source; any other URL stays a URL. */
function imageSource(url: string): ImagePart['source'] {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (m?.[1] !== undefined && m[2] !== undefined) return { kind: 'base64', mediaType: m[1], data: m[2] };
  return { kind: 'url', url };
}

function assistantContent(m: Json, param: string): (TextPart | ToolCallPart)[] {
  if (m.function_call !== undefined && m.function_call !== null)
    unsupported('The legacy assistant function_call', FORMAT, `${param}.function_call`);
  if (m.audio !== undefined && m.audio !== null) unsupported('Assistant audio', FORMAT, `${param}.audio`);
  const out: (TextPart | ToolCallPart)[] = [];
  const c = m.content;
  if (typeof c === 'string') {
    if (c !== '') out.push({ type: 'text', text: c });
  } else if (c !== undefined && c !== null) {
    array(c, `${param}.content`).forEach((raw, i) => {
      const pp = `${param}.content[${i}]`;
      const p = object(raw, pp);
      const type = string(p.type, `${pp}.type`);
      // A refusal is what the model said; the neutral model has only text for it.
      if (type === 'text') out.push({ type: 'text', text: string(p.text, `${pp}.text`) });
      else if (type === 'refusal') out.push({ type: 'text', text: string(p.refusal, `${pp}.refusal`) });
      else unsupported(`A '${type}' part in an assistant message`, FORMAT, pp);
    });
  }
  const refusal = optionalString(m.refusal, `${param}.refusal`);
  if (refusal !== undefined && refusal !== '') out.push({ type: 'text', text: refusal });
  if (m.tool_calls !== undefined && m.tool_calls !== null) {
    array(m.tool_calls, `${param}.tool_calls`).forEach((raw, i) => {
      const pp = `${param}.tool_calls[${i}]`;
      const tc = object(raw, pp);
      const type = string(tc.type, `${pp}.type`);
      if (type !== 'function') unsupported(`A '${type}' tool call`, FORMAT, `${pp}.type`);
      const fn = object(tc.function, `${pp}.function`);
      out.push({
        type: 'tool_call',
        id: string(tc.id, `${pp}.id`),
        name: string(fn.name, `${pp}.function.name`),
        arguments: string(fn.arguments, `${pp}.function.arguments`),
      });
    });
  }
  return out;
}

function decodeTools(list: unknown[]): ToolDefinition[] {
  return list.map((raw, i) => {
    const param = `tools[${i}]`;
    const t = object(raw, param);
    const type = string(t.type, `${param}.type`);
    if (type !== 'function') unsupported(`A '${type}' tool`, FORMAT, `${param}.type`);
    const fn = object(t.function, `${param}.function`);
    // `strict` (constrained arguments) has no neutral field; it is validated and not carried.
    optionalBoolean(fn.strict, `${param}.function.strict`);
    const tool: ToolDefinition = {
      name: string(fn.name, `${param}.function.name`),
      // OpenAI: "Omitting parameters defines a function with an empty parameter list."
      parameters:
        fn.parameters === undefined || fn.parameters === null
          ? { type: 'object', properties: {} }
          : object(fn.parameters, `${param}.function.parameters`),
    };
    const description = optionalString(fn.description, `${param}.function.description`);
    if (description !== undefined) tool.description = description;
    return tool;
  });
}

function decodeToolChoice(v: unknown): ToolChoice {
  if (v === 'auto' || v === 'none' || v === 'required') return { type: v };
  if (typeof v === 'string')
    throw new TranslationError(`'tool_choice' must be auto, none, required or a function.`, 'tool_choice');
  const c = object(v, 'tool_choice');
  const type = string(c.type, 'tool_choice.type');
  if (type !== 'function') return unsupported(`A '${type}' tool_choice`, FORMAT, 'tool_choice.type');
  const fn = object(c.function, 'tool_choice.function');
  return { type: 'tool', name: string(fn.name, 'tool_choice.function.name') };
}

function decodeResponseFormat(f: Json): ResponseFormat {
  const type = string(f.type, 'response_format.type');
  if (type === 'text' || type === 'json_object') return { type };
  if (type !== 'json_schema')
    return unsupported(`A '${type}' response_format`, FORMAT, 'response_format.type');
  return jsonSchemaFormat(
    object(f.json_schema, 'response_format.json_schema'),
    'response_format.json_schema',
  );
}
