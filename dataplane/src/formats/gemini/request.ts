import {
  TranslationError,
  type ChatRequest,
  type ImagePart,
  type Message,
  type Part,
  type ResponseFormat,
  type ToolResultPart,
} from '../ir';
import {
  array,
  object,
  optionalBoolean,
  optionalNumber,
  optionalString,
  string,
  unsupported,
  type Json,
} from '../wire';
import { openApiToJsonSchema } from './schema';
import {
  decodeToolConfig,
  decodeTools,
  encodeToolChoice,
  encodeTools,
  functionResponseBody,
  parseArgs,
} from './tools';

/**
 * generateContent request bodies ↔ the neutral request.
 *
 * The model and streaming are not in a Gemini body: they live in the path
 * (`models/{model}:generateContent` vs `:streamGenerateContent?alt=sse`). decodeRequest therefore
 * returns `model: ''` (or a `model` field if a client happens to send one) and `stream: false`; the
 * caller fills both in from the path. encodeRequest leaves both out.
 */

const FORMAT = 'Gemini';
/** Where decode refuses something: the neutral model, hence every other format, cannot carry it. */
const NEUTRAL = 'other formats';

/**
 * Gemini 3 models reject a replayed history whose function calls lack the `thoughtSignature` they
 * were issued with; the neutral model cannot carry signatures, so encode attaches the validator-skip
 * value Google documents for function calls that did not come from the model (history from another
 * model, or rebuilt by a client). Older models never require it.
 */
export const DUMMY_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';
const NO_SIGNATURE_MODELS = /gemini-(1\.|2\.0)/;

export interface EncodeOptions {
  /**
   * Send `functionCall.id` / `functionResponse.id`. The Gemini API accepts them; Vertex AI rejected
   * them ("Unknown name \"id\"") until recently, so a Vertex provider may turn them off. Gemini then
   * pairs calls and responses by name and order.
   */
  functionCallIds: boolean;
}

// ---------------------------------------------------------------- decode

export function decodeRequest(body: Json): ChatRequest {
  if (body.cachedContent !== undefined && body.cachedContent !== null)
    unsupported('cachedContent (a server-side context cache)', NEUTRAL, 'cachedContent');
  const model = optionalString(body.model, 'model')?.replace(/^models\//, '') ?? '';
  const req: ChatRequest = {
    model,
    system: decodeSystem(body.systemInstruction),
    messages: decodeContents(array(body.contents, 'contents')),
    stream: false,
  };
  if (body.tools !== undefined && body.tools !== null) {
    const tools = decodeTools(array(body.tools, 'tools'));
    if (tools.length > 0) req.tools = tools;
  }
  const toolChoice = decodeToolConfig(body.toolConfig);
  if (toolChoice) req.toolChoice = toolChoice;
  if (body.generationConfig !== undefined && body.generationConfig !== null)
    decodeGenerationConfig(object(body.generationConfig, 'generationConfig'), req);
  return req;
}

function decodeSystem(v: unknown): ChatRequest['system'] {
  if (v === undefined || v === null) return [];
  const content = object(v, 'systemInstruction');
  return array(content.parts, 'systemInstruction.parts').map((p, i) => {
    const param = `systemInstruction.parts[${i}]`;
    const part = object(p, param);
    if (part.text === undefined) unsupported('A non-text system instruction part', NEUTRAL, param);
    return { type: 'text', text: string(part.text, `${param}.text`) };
  });
}

interface OpenCall {
  id: string;
  name: string;
  answered: boolean;
}

function decodeContents(contents: unknown[]): Message[] {
  const messages: Message[] = [];
  const calls: OpenCall[] = [];
  let generated = 0;
  for (const [i, c] of contents.entries()) {
    const param = `contents[${i}]`;
    const content = object(c, param);
    const role = optionalString(content.role, `${param}.role`) ?? 'user';
    // 'function' is the role older clients gave turns holding functionResponse parts.
    if (role !== 'user' && role !== 'model' && role !== 'function')
      throw new TranslationError(`'${param}.role' must be 'user' or 'model'.`, `${param}.role`);
    const parts: Part[] = [];
    for (const [j, p] of array(content.parts, `${param}.parts`).entries()) {
      const pp = `${param}.parts[${j}]`;
      const part = object(p, pp);
      if (part.thought === true) continue; // reasoning text: not part of the conversation
      if (part.text !== undefined) {
        parts.push({ type: 'text', text: string(part.text, `${pp}.text`) });
      } else if (part.inlineData !== undefined) {
        const blob = object(part.inlineData, `${pp}.inlineData`);
        const mediaType = string(blob.mimeType, `${pp}.inlineData.mimeType`);
        if (!mediaType.startsWith('image/')) unsupported(`inlineData of type ${mediaType}`, NEUTRAL, pp);
        parts.push(image({ kind: 'base64', mediaType, data: string(blob.data, `${pp}.inlineData.data`) }));
      } else if (part.fileData !== undefined) {
        const file = object(part.fileData, `${pp}.fileData`);
        const mime = optionalString(file.mimeType, `${pp}.fileData.mimeType`);
        if (mime !== undefined && !mime.startsWith('image/'))
          unsupported(`fileData of type ${mime}`, NEUTRAL, pp);
        parts.push(image({ kind: 'url', url: string(file.fileUri, `${pp}.fileData.fileUri`) }));
      } else if (part.functionCall !== undefined) {
        if (role !== 'model')
          throw new TranslationError(`'${pp}.functionCall' is only allowed in a model turn.`, pp);
        const call = object(part.functionCall, `${pp}.functionCall`);
        const name = string(call.name, `${pp}.functionCall.name`);
        const id = optionalString(call.id, `${pp}.functionCall.id`) ?? `call_${generated++}`;
        const args =
          call.args === undefined || call.args === null ? {} : object(call.args, `${pp}.functionCall.args`);
        calls.push({ id, name, answered: false });
        parts.push({ type: 'tool_call', id, name, arguments: JSON.stringify(args) });
      } else if (part.functionResponse !== undefined) {
        if (role === 'model')
          throw new TranslationError(`'${pp}.functionResponse' is only allowed in a user turn.`, pp);
        parts.push(
          decodeFunctionResponse(object(part.functionResponse, `${pp}.functionResponse`), pp, calls),
        );
      } else if (part.executableCode !== undefined || part.codeExecutionResult !== undefined) {
        unsupported('Code execution parts', NEUTRAL, pp);
      } else {
        throw new TranslationError(
          `'${pp}' has no text, inlineData, fileData, functionCall or functionResponse.`,
          pp,
        );
      }
    }
    if (parts.length > 0) messages.push({ role: role === 'model' ? 'assistant' : 'user', content: parts });
  }
  return messages;
}

function image(source: ImagePart['source']): ImagePart {
  return { type: 'image', source };
}

function decodeFunctionResponse(fr: Json, pp: string, calls: OpenCall[]): ToolResultPart {
  const param = `${pp}.functionResponse`;
  const name = string(fr.name, `${param}.name`);
  const response = object(fr.response, `${param}.response`);
  if (Array.isArray(fr.parts) && fr.parts.length > 0)
    unsupported('Multimodal function response parts', NEUTRAL, `${param}.parts`);
  let id = optionalString(fr.id, `${param}.id`);
  // Without ids, a response answers the earliest unanswered call of the same name.
  const call =
    id === undefined ? calls.find((c) => !c.answered && c.name === name) : calls.find((c) => c.id === id);
  if (id === undefined) {
    if (!call)
      throw new TranslationError(`'${param}' answers no earlier functionCall named '${name}'.`, param);
    id = call.id;
  }
  if (call) call.answered = true;
  // Google's convention: {"output": …} for a result, {"error": …} for a failure, else the whole object.
  const keys = Object.keys(response);
  const only = keys.length === 1 ? keys[0] : undefined;
  const result: ToolResultPart = { type: 'tool_result', toolCallId: id, name, content: [] };
  if (only === 'output' || only === 'error') {
    result.content.push({ type: 'text', text: jsonText(response[only]) });
    if (only === 'error') result.isError = true;
  } else {
    result.content.push({ type: 'text', text: JSON.stringify(response) });
  }
  return result;
}

function jsonText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function decodeGenerationConfig(gc: Json, req: ChatRequest): void {
  const p = (k: string) => `generationConfig.${k}`;
  const temperature = optionalNumber(gc.temperature, p('temperature'));
  if (temperature !== undefined) req.temperature = temperature;
  const topP = optionalNumber(gc.topP, p('topP'));
  if (topP !== undefined) req.topP = topP;
  const maxTokens = optionalNumber(gc.maxOutputTokens, p('maxOutputTokens'));
  if (maxTokens !== undefined) req.maxTokens = maxTokens;
  if (gc.stopSequences !== undefined && gc.stopSequences !== null) {
    const stop = array(gc.stopSequences, p('stopSequences')).map((s, i) =>
      string(s, `${p('stopSequences')}[${i}]`),
    );
    if (stop.length > 0) req.stop = stop;
  }
  const n = optionalNumber(gc.candidateCount, p('candidateCount'));
  if (n !== undefined && n > 1) unsupported('candidateCount > 1', NEUTRAL, p('candidateCount'));
  if (optionalBoolean(gc.responseLogprobs, p('responseLogprobs')) === true)
    unsupported('responseLogprobs', NEUTRAL, p('responseLogprobs'));
  if (optionalNumber(gc.logprobs, p('logprobs')) !== undefined)
    unsupported('logprobs', NEUTRAL, p('logprobs'));
  if (gc.responseModalities !== undefined && gc.responseModalities !== null) {
    for (const [i, m] of array(gc.responseModalities, p('responseModalities')).entries()) {
      if (string(m, `${p('responseModalities')}[${i}]`) !== 'TEXT')
        unsupported(`Response modality ${String(m)}`, NEUTRAL, `${p('responseModalities')}[${i}]`);
    }
  }
  for (const key of ['speechConfig', 'imageConfig']) {
    if (gc[key] !== undefined && gc[key] !== null) unsupported(key, NEUTRAL, p(key));
  }
  const format = decodeResponseFormat(gc);
  if (format) req.responseFormat = format;
}

function decodeResponseFormat(gc: Json): ResponseFormat | undefined {
  const mime = optionalString(gc.responseMimeType, 'generationConfig.responseMimeType');
  const jsonSchema = gc.responseJsonSchema ?? undefined;
  const openApiSchema = gc.responseSchema ?? undefined;
  const hasSchema = jsonSchema !== undefined || openApiSchema !== undefined;
  if (mime === undefined) {
    if (hasSchema)
      throw new TranslationError(
        "'generationConfig.responseMimeType' is required with a response schema.",
        'generationConfig.responseMimeType',
      );
    return undefined;
  }
  if (mime === 'text/plain' && !hasSchema) return { type: 'text' };
  if (mime !== 'application/json')
    return unsupported(`responseMimeType ${mime}`, NEUTRAL, 'generationConfig.responseMimeType');
  if (jsonSchema !== undefined)
    return {
      type: 'json_schema',
      name: 'response',
      schema: object(jsonSchema, 'generationConfig.responseJsonSchema'),
    };
  if (openApiSchema !== undefined)
    return {
      type: 'json_schema',
      name: 'response',
      schema: openApiToJsonSchema(object(openApiSchema, 'generationConfig.responseSchema')),
    };
  return { type: 'json_object' };
}

// ---------------------------------------------------------------- encode

export function encodeRequest(req: ChatRequest, opts: EncodeOptions): Json {
  const body: Json = { contents: encodeMessages(req, opts) };
  if (req.system.length > 0) body.systemInstruction = { parts: req.system.map((p) => ({ text: p.text })) };
  const tools = req.tools ?? [];
  if (tools.length > 0) {
    body.tools = encodeTools(tools);
    // Gemini has no switch for one call per turn: refuse rather than let it call several.
    if (req.parallelToolCalls === false && req.toolChoice?.type !== 'none')
      unsupported('parallel_tool_calls: false', FORMAT, 'parallelToolCalls');
  }
  if (req.toolChoice) body.toolConfig = { functionCallingConfig: encodeToolChoice(req.toolChoice) };
  const gc = encodeGenerationConfig(req);
  if (Object.keys(gc).length > 0) body.generationConfig = gc;
  // `user` is not sent: Gemini has no end-user field, and it carries no behaviour.
  return body;
}

function encodeGenerationConfig(req: ChatRequest): Json {
  const gc: Json = {};
  if (req.stop && req.stop.length > 0) gc.stopSequences = req.stop;
  if (req.temperature !== undefined) gc.temperature = req.temperature;
  if (req.topP !== undefined) gc.topP = req.topP;
  if (req.maxTokens !== undefined) gc.maxOutputTokens = req.maxTokens;
  const f = req.responseFormat;
  if (f?.type === 'text') gc.responseMimeType = 'text/plain';
  else if (f?.type === 'json_object') gc.responseMimeType = 'application/json';
  else if (f?.type === 'json_schema') {
    gc.responseMimeType = 'application/json';
    // Gemini has no schema name (a label only) and always enforces the schema (strict).
    let schema = f.schema;
    if (f.description !== undefined) {
      if (schema.description === undefined) schema = { ...schema, description: f.description };
      else if (schema.description !== f.description)
        unsupported('A response format description beside a schema description', FORMAT, 'responseFormat');
    }
    gc.responseJsonSchema = schema;
  }
  return gc;
}

function encodeMessages(req: ChatRequest, opts: EncodeOptions): Json[] {
  const signatures = !NO_SIGNATURE_MODELS.test(req.model);
  const callNames = new Map<string, string>();
  return req.messages.map((m, i) => {
    let signed = false;
    const parts = m.content.map((p, j): Json => {
      const param = `messages[${i}].content[${j}]`;
      switch (p.type) {
        case 'text':
          return { text: p.text };
        case 'image':
          return encodeImage(p, param);
        case 'tool_call': {
          callNames.set(p.id, p.name);
          const call: Json = opts.functionCallIds ? { id: p.id } : {};
          call.name = p.name;
          call.args = parseArgs(p.arguments, `${param}.arguments`);
          const part: Json = { functionCall: call };
          // Only the first call of a step carries a signature (parallel calls share it).
          if (signatures && !signed) part.thoughtSignature = DUMMY_THOUGHT_SIGNATURE;
          signed = true;
          return part;
        }
        case 'tool_result': {
          const name = p.name ?? callNames.get(p.toolCallId);
          if (name === undefined)
            throw new TranslationError(
              `Tool result '${p.toolCallId}' answers no earlier tool call; Gemini needs the tool's name.`,
              param,
            );
          const fr: Json = opts.functionCallIds ? { id: p.toolCallId } : {};
          fr.name = name;
          fr.response = functionResponseBody(p, param);
          return { functionResponse: fr };
        }
      }
    });
    return { role: m.role === 'assistant' ? 'model' : 'user', parts };
  });
}

const EXTENSION_MIME: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  heic: 'image/heic',
  heif: 'image/heif',
};

/**
 * Base64 images and `data:` URLs go inline. Other URLs go as fileData, which needs a MIME type:
 * it is taken from the path's extension (the image formats Gemini accepts); a URL without one
 * cannot be sent, since the codec does no I/O to find out.
 */
function encodeImage(p: ImagePart, param: string): Json {
  const s = p.source;
  if (s.kind === 'base64') return { inlineData: { mimeType: s.mediaType, data: s.data } };
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(s.url);
  if (data) return { inlineData: { mimeType: data[1], data: data[2] } };
  let path: string;
  try {
    path = new URL(s.url).pathname;
  } catch {
    throw new TranslationError(`Image URL '${s.url.slice(0, 80)}' is not a valid URL.`, param);
  }
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  const mimeType = ext === undefined ? undefined : EXTENSION_MIME[ext];
  if (mimeType === undefined)
    return unsupported('An image URL whose type is not known from its extension', FORMAT, param);
  return { fileData: { mimeType, fileUri: s.url } };
}
