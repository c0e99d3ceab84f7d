import { refuseDeepJson } from '../depth';
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
import { array, object, optionalNumber, optionalString, string, unsupported, type Json } from '../wire';

/**
 * Converse request bodies (`POST /model/{modelId}/converse` and `/converse-stream`). The model id and
 * streaming are in the path, not the body: the provider puts them there, so `encodeRequest` leaves
 * them out and `decodeRequest` returns `model: ''` and `stream: false` for the caller to fill in
 * from the path it served.
 */

export const FORMAT = 'Bedrock Converse';

const IMAGE_FORMATS: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

/** Request fields the neutral model has no place for; refusing them beats ignoring what they ask. */
const REFUSED_FIELDS = ['additionalModelRequestFields', 'guardrailConfig', 'promptVariables'] as const;

export function decodeRequest(body: Json): ChatRequest {
  for (const f of REFUSED_FIELDS) {
    if (body[f] !== undefined && body[f] !== null)
      throw new TranslationError(`'${f}' is not supported by this gateway.`, f);
  }
  const names = new Map<string, string>(); // toolUseId → tool name, for results (Gemini needs it)
  const messages = array(body.messages, 'messages').map((m, i) => decodeMessage(m, `messages[${i}]`, names));
  const req: ChatRequest = {
    model: '',
    system: decodeSystem(body.system),
    messages,
    stream: false,
  };

  const config =
    body.inferenceConfig === undefined ? undefined : object(body.inferenceConfig, 'inferenceConfig');
  if (config) {
    const maxTokens = optionalNumber(config.maxTokens, 'inferenceConfig.maxTokens');
    const temperature = optionalNumber(config.temperature, 'inferenceConfig.temperature');
    const topP = optionalNumber(config.topP, 'inferenceConfig.topP');
    if (maxTokens !== undefined) req.maxTokens = maxTokens;
    if (temperature !== undefined) req.temperature = temperature;
    if (topP !== undefined) req.topP = topP;
    if (config.stopSequences !== undefined && config.stopSequences !== null) {
      req.stop = array(config.stopSequences, 'inferenceConfig.stopSequences').map((s, i) =>
        string(s, `inferenceConfig.stopSequences[${i}]`),
      );
    }
  }

  if (body.toolConfig !== undefined && body.toolConfig !== null) {
    const tc = object(body.toolConfig, 'toolConfig');
    req.tools = decodeTools(tc.tools);
    if (tc.toolChoice !== undefined && tc.toolChoice !== null)
      req.toolChoice = decodeToolChoice(tc.toolChoice);
  }

  if (body.outputConfig !== undefined && body.outputConfig !== null) {
    const format = decodeOutputConfig(object(body.outputConfig, 'outputConfig'));
    if (format) req.responseFormat = format;
  }

  // Converse has no end-user field; the gateway carries it in requestMetadata (invocation-log metadata).
  if (body.requestMetadata !== undefined && body.requestMetadata !== null) {
    const user = optionalString(object(body.requestMetadata, 'requestMetadata').user, 'requestMetadata.user');
    if (user !== undefined) req.user = user;
  }
  return req;
}

/** The single member of a Smithy union (a content block, a tool, a tool choice). */
function member(v: unknown, param: string): [string, unknown] {
  const o = object(v, param);
  const keys = Object.keys(o);
  const [key] = keys;
  if (keys.length !== 1 || key === undefined)
    throw new TranslationError(`'${param}' must have exactly one member.`, param);
  return [key, o[key]];
}

function decodeSystem(v: unknown): TextPart[] {
  if (v === undefined || v === null) return [];
  const out: TextPart[] = [];
  array(v, 'system').forEach((b, i) => {
    const param = `system[${i}]`;
    const [kind, value] = member(b, param);
    if (kind === 'text') out.push({ type: 'text', text: string(value, `${param}.text`) });
    else if (kind !== 'cachePoint') unsupportedBlock(kind, param); // a cache hint changes cost, not meaning
  });
  return out;
}

function decodeMessage(v: unknown, param: string, names: Map<string, string>): Message {
  const m = object(v, param);
  const role = m.role;
  if (role !== 'user' && role !== 'assistant')
    throw new TranslationError(`'${param}.role' must be 'user' or 'assistant'.`, `${param}.role`);
  const content: Part[] = [];
  array(m.content, `${param}.content`).forEach((b, j) => {
    const p = `${param}.content[${j}]`;
    const [kind, value] = member(b, p);
    switch (kind) {
      case 'text':
        content.push({ type: 'text', text: string(value, `${p}.text`) });
        break;
      case 'image':
        content.push(decodeImage(value, `${p}.image`));
        break;
      case 'toolUse': {
        const t = object(value, `${p}.toolUse`);
        const id = string(t.toolUseId, `${p}.toolUse.toolUseId`);
        const name = string(t.name, `${p}.toolUse.name`);
        names.set(id, name);
        content.push({ type: 'tool_call', id, name, arguments: JSON.stringify(t.input ?? {}) });
        break;
      }
      case 'toolResult':
        content.push(decodeToolResult(value, `${p}.toolResult`, names));
        break;
      case 'cachePoint':
        break;
      default:
        unsupportedBlock(kind, p);
    }
  });
  return { role, content };
}

function decodeToolResult(v: unknown, param: string, names: Map<string, string>): Part {
  const r = object(v, param);
  const toolCallId = string(r.toolUseId, `${param}.toolUseId`);
  const content: (TextPart | ImagePart)[] = [];
  array(r.content, `${param}.content`).forEach((b, k) => {
    const p = `${param}.content[${k}]`;
    const [kind, value] = member(b, p);
    if (kind === 'text') content.push({ type: 'text', text: string(value, `${p}.text`) });
    else if (kind === 'image') content.push(decodeImage(value, `${p}.image`));
    // JSON results become their JSON text: every format can carry text.
    else if (kind === 'json') content.push({ type: 'text', text: JSON.stringify(value) });
    else unsupportedBlock(kind, p);
  });
  const part: Part = { type: 'tool_result', toolCallId, content };
  const name = names.get(toolCallId);
  if (name !== undefined) part.name = name;
  if (r.status !== undefined && r.status !== null) {
    if (r.status !== 'success' && r.status !== 'error')
      throw new TranslationError(`'${param}.status' must be 'success' or 'error'.`, `${param}.status`);
    part.isError = r.status === 'error';
  }
  return part;
}

function decodeImage(v: unknown, param: string): ImagePart {
  const img = object(v, param);
  const format = string(img.format, `${param}.format`);
  if (!['png', 'jpeg', 'gif', 'webp'].includes(format))
    throw new TranslationError(`'${param}.format' must be png, jpeg, gif or webp.`, `${param}.format`);
  const [kind, value] = member(img.source, `${param}.source`);
  if (kind !== 'bytes')
    // S3 locations would need the gateway to hold the caller's S3 access; it does not fetch images.
    throw new TranslationError(`Image source '${kind}' is not supported; send bytes.`, `${param}.source`);
  return {
    type: 'image',
    source: { kind: 'base64', mediaType: `image/${format}`, data: string(value, `${param}.source.bytes`) },
  };
}

function decodeTools(v: unknown): ToolDefinition[] {
  const tools: ToolDefinition[] = [];
  array(v, 'toolConfig.tools').forEach((t, i) => {
    const param = `toolConfig.tools[${i}]`;
    const [kind, value] = member(t, param);
    if (kind === 'cachePoint') return;
    if (kind !== 'toolSpec') unsupportedBlock(kind, param);
    const spec = object(value, `${param}.toolSpec`);
    const schema = object(spec.inputSchema, `${param}.toolSpec.inputSchema`);
    const def: ToolDefinition = {
      name: string(spec.name, `${param}.toolSpec.name`),
      parameters: object(schema.json, `${param}.toolSpec.inputSchema.json`),
    };
    const description = optionalString(spec.description, `${param}.toolSpec.description`);
    if (description !== undefined) def.description = description;
    tools.push(def);
  });
  return tools;
}

function decodeToolChoice(v: unknown): ToolChoice {
  const [kind, value] = member(v, 'toolConfig.toolChoice');
  if (kind === 'auto') return { type: 'auto' };
  if (kind === 'any') return { type: 'required' };
  if (kind === 'tool')
    return {
      type: 'tool',
      name: string(object(value, 'toolConfig.toolChoice.tool').name, 'toolConfig.toolChoice.tool.name'),
    };
  throw new TranslationError(`Unknown tool choice '${kind}'.`, 'toolConfig.toolChoice');
}

function decodeOutputConfig(c: Json): ResponseFormat | undefined {
  if (c.textFormat === undefined || c.textFormat === null) return undefined;
  const f = object(c.textFormat, 'outputConfig.textFormat');
  if (f.type !== 'json_schema')
    throw new TranslationError(
      `'outputConfig.textFormat.type' must be 'json_schema'.`,
      'outputConfig.textFormat.type',
    );
  const [kind, value] = member(f.structure, 'outputConfig.textFormat.structure');
  if (kind !== 'jsonSchema')
    throw new TranslationError(`Unknown output structure '${kind}'.`, 'outputConfig.textFormat.structure');
  const param = 'outputConfig.textFormat.structure.jsonSchema';
  const def = object(value, param);
  // The schema travels as JSON text.
  let schema: unknown;
  try {
    schema = JSON.parse(string(def.schema, `${param}.schema`));
  } catch (e) {
    if (e instanceof TranslationError) throw e;
    throw new TranslationError(`'${param}.schema' must be JSON text.`, `${param}.schema`);
  }
  refuseDeepJson(def.schema as string, `'${param}.schema'`, `${param}.schema`);
  const format: ResponseFormat = {
    type: 'json_schema',
    name: optionalString(def.name, `${param}.name`) ?? 'response',
    schema: object(schema, `${param}.schema`),
  };
  const description = optionalString(def.description, `${param}.description`);
  if (description !== undefined) format.description = description;
  return format;
}

function unsupportedBlock(kind: string, param: string): never {
  throw new TranslationError(`Content block '${kind}' is not supported by this gateway.`, param);
}

export function encodeRequest(req: ChatRequest): Json {
  if (req.parallelToolCalls === false) {
    // Converse has no switch for it (only model-specific additionalModelRequestFields).
    unsupported('parallel_tool_calls=false', FORMAT, 'parallelToolCalls');
  }
  const body: Json = { messages: req.messages.map((m, i) => encodeMessage(m, `messages[${i}]`)) };
  if (req.system.length > 0) body.system = req.system.map((p) => ({ text: p.text }));

  const config: Json = {};
  if (req.maxTokens !== undefined) config.maxTokens = req.maxTokens;
  if (req.temperature !== undefined) config.temperature = req.temperature;
  if (req.topP !== undefined) config.topP = req.topP;
  if (req.stop !== undefined && req.stop.length > 0) config.stopSequences = [...req.stop];
  if (Object.keys(config).length > 0) body.inferenceConfig = config;

  const toolConfig = encodeToolConfig(req);
  if (toolConfig) body.toolConfig = toolConfig;

  const format = req.responseFormat;
  if (format?.type === 'json_object') {
    // Converse constrains output only to a given schema.
    unsupported('response_format json_object (without a schema)', FORMAT, 'responseFormat');
  }
  if (format?.type === 'json_schema') {
    const def: Json = { schema: JSON.stringify(format.schema), name: format.name };
    if (format.description !== undefined) def.description = format.description;
    body.outputConfig = { textFormat: { type: 'json_schema', structure: { jsonSchema: def } } };
  }
  if (req.user !== undefined) body.requestMetadata = { user: req.user };
  return body;
}

function encodeToolConfig(req: ChatRequest): Json | undefined {
  const tools = req.tools ?? [];
  const choice = req.toolChoice;
  if (choice?.type === 'none') {
    // Converse has no "none" mode; leaving the tools out means the same, unless the conversation
    // already holds tool blocks, which Converse accepts only with a toolConfig.
    const hasToolBlocks = req.messages.some((m) =>
      m.content.some((p) => p.type === 'tool_call' || p.type === 'tool_result'),
    );
    if (hasToolBlocks && tools.length > 0)
      unsupported("tool_choice 'none' in a conversation with tool calls", FORMAT, 'toolChoice');
    return undefined;
  }
  if (tools.length === 0) {
    if (choice?.type === 'required' || choice?.type === 'tool')
      throw new TranslationError('tool_choice requires tools.', 'toolChoice');
    return undefined;
  }
  const out: Json = {
    tools: tools.map((t) => {
      const spec: Json = { name: t.name };
      if (t.description !== undefined) spec.description = t.description;
      spec.inputSchema = { json: t.parameters };
      return { toolSpec: spec };
    }),
  };
  if (choice?.type === 'auto') out.toolChoice = { auto: {} };
  else if (choice?.type === 'required') out.toolChoice = { any: {} };
  else if (choice?.type === 'tool') out.toolChoice = { tool: { name: choice.name } };
  return out;
}

function encodeMessage(m: Message, param: string): Json {
  return {
    role: m.role,
    content: m.content.map((p, j) => encodePart(p, `${param}.content[${j}]`)),
  };
}

function encodePart(p: Part, param: string): Json {
  switch (p.type) {
    case 'text':
      return { text: p.text };
    case 'image':
      return { image: encodeImage(p, param) };
    case 'tool_call':
      return { toolUse: { toolUseId: p.id, name: p.name, input: parseArguments(p.arguments, param) } };
    case 'tool_result': {
      const r: Json = {
        toolUseId: p.toolCallId,
        content: p.content.map((c, k) =>
          c.type === 'text' ? { text: c.text } : { image: encodeImage(c, `${param}.content[${k}]`) },
        ),
      };
      if (p.isError !== undefined) r.status = p.isError ? 'error' : 'success';
      return { toolResult: r };
    }
  }
}

function encodeImage(p: ImagePart, param: string): Json {
  if (p.source.kind === 'url') {
    // Converse takes bytes or an S3 location; the gateway does not fetch URLs.
    unsupported('Images by URL', FORMAT, param);
  }
  const format = IMAGE_FORMATS[p.source.mediaType.toLowerCase()];
  if (format === undefined) unsupported(`Images of type ${p.source.mediaType}`, FORMAT, param);
  return { format, source: { bytes: p.source.data } };
}

/** Converse takes tool input as a JSON value, not text. */
function parseArguments(text: string, param: string): unknown {
  if (text.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text) as unknown;
  } catch {
    throw new TranslationError('Tool call arguments must be JSON to be sent to Bedrock Converse.', param);
  }
  refuseDeepJson(text, 'tool call arguments', param);
  return v;
}
