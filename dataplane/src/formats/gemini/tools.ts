import { refuseDeepJson } from '../depth';
import { TranslationError, type ToolChoice, type ToolDefinition, type ToolResultPart } from '../ir';
import { array, isObject, object, optionalString, string, unsupported, type Json } from '../wire';
import { openApiToJsonSchema } from './schema';

/**
 * Gemini tools ↔ the neutral ones: function declarations, the function-calling config, and the
 * bodies of function calls and responses.
 */

const FORMAT = 'Gemini';
/** Where decode refuses something: the neutral model, hence every other format, cannot carry it. */
const NEUTRAL = 'other formats';

// ---------------------------------------------------------------- decode

export function decodeTools(tools: unknown[]): ToolDefinition[] {
  const out: ToolDefinition[] = [];
  for (const [i, t] of tools.entries()) {
    const tool = object(t, `tools[${i}]`);
    for (const key of Object.keys(tool)) {
      // Every other Tool field is a Google-hosted tool (googleSearch, codeExecution, urlContext, …).
      if (key !== 'functionDeclarations') unsupported(`The ${key} tool`, NEUTRAL, `tools[${i}].${key}`);
    }
    if (tool.functionDeclarations === undefined) continue;
    for (const [j, d] of array(tool.functionDeclarations, `tools[${i}].functionDeclarations`).entries()) {
      const param = `tools[${i}].functionDeclarations[${j}]`;
      const decl = object(d, param);
      const def: ToolDefinition = {
        name: string(decl.name, `${param}.name`),
        parameters: { type: 'object', properties: {} },
      };
      const description = optionalString(decl.description, `${param}.description`);
      if (description !== undefined) def.description = description;
      if (decl.parametersJsonSchema !== undefined && decl.parametersJsonSchema !== null)
        def.parameters = object(decl.parametersJsonSchema, `${param}.parametersJsonSchema`);
      else if (decl.parameters !== undefined && decl.parameters !== null)
        def.parameters = openApiToJsonSchema(object(decl.parameters, `${param}.parameters`));
      out.push(def);
    }
  }
  return out;
}

export function decodeToolConfig(v: unknown): ToolChoice | undefined {
  if (v === undefined || v === null) return undefined;
  const config = object(v, 'toolConfig');
  if (config.functionCallingConfig === undefined || config.functionCallingConfig === null) return undefined;
  const param = 'toolConfig.functionCallingConfig';
  const fcc = object(config.functionCallingConfig, param);
  const mode = optionalString(fcc.mode, `${param}.mode`);
  const names =
    fcc.allowedFunctionNames === undefined || fcc.allowedFunctionNames === null
      ? []
      : array(fcc.allowedFunctionNames, `${param}.allowedFunctionNames`).map((n, i) =>
          string(n, `${param}.allowedFunctionNames[${i}]`),
        );
  switch (mode) {
    case undefined:
    case 'MODE_UNSPECIFIED':
      return undefined;
    case 'AUTO':
      return { type: 'auto' };
    case 'NONE':
      return { type: 'none' };
    case 'ANY':
      if (names.length === 0) return { type: 'required' };
      if (names.length === 1) return { type: 'tool', name: names[0] ?? '' };
      return unsupported('allowedFunctionNames with several names', NEUTRAL, `${param}.allowedFunctionNames`);
    case 'VALIDATED':
      return unsupported('Function calling mode VALIDATED', NEUTRAL, `${param}.mode`);
    default:
      throw new TranslationError(`'${param}.mode' must be AUTO, ANY or NONE.`, `${param}.mode`);
  }
}

// ---------------------------------------------------------------- encode

/** The neutral tool definitions as one Gemini `functionDeclarations` tool. */
export function encodeTools(tools: ToolDefinition[]): Json[] {
  return [
    {
      functionDeclarations: tools.map((t) => ({
        name: t.name,
        ...(t.description !== undefined ? { description: t.description } : {}),
        parametersJsonSchema: t.parameters,
      })),
    },
  ];
}

export function encodeToolChoice(choice: ToolChoice): Json {
  switch (choice.type) {
    case 'auto':
      return { mode: 'AUTO' };
    case 'none':
      return { mode: 'NONE' };
    case 'required':
      return { mode: 'ANY' };
    case 'tool':
      return { mode: 'ANY', allowedFunctionNames: [choice.name] };
  }
}

export function parseArgs(text: string, param: string): Json {
  if (text.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new TranslationError('Tool call arguments are not valid JSON.', param);
  }
  refuseDeepJson(text, 'tool call arguments', param);
  if (!isObject(v)) throw new TranslationError('Tool call arguments must be a JSON object.', param);
  return v;
}

/**
 * Gemini wants a JSON object. A text that is itself a JSON object is sent as that object; any other
 * text is wrapped as `{"output": text}` (`{"error": text}` for a failed call), the keys Google's
 * reference names for a function's output and error.
 */
export function functionResponseBody(p: ToolResultPart, param: string): Json {
  const texts: string[] = [];
  for (const c of p.content) {
    if (c.type === 'image') unsupported('An image in a tool result', FORMAT, param);
    else texts.push(c.text);
  }
  const text = texts.join('');
  if (p.isError === true) return { error: text };
  const parsed = tryParseObject(text);
  if (parsed) refuseDeepJson(text, 'a tool result', param);
  // An object that looks like the wrapper itself is wrapped again, so decode gives back the text.
  if (parsed && !isWrapper(parsed)) return parsed;
  return { output: text };
}

function tryParseObject(text: string): Json | undefined {
  if (!text.trimStart().startsWith('{')) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function isWrapper(v: Json): boolean {
  const keys = Object.keys(v);
  return keys.length === 1 && (keys[0] === 'output' || keys[0] === 'error');
}
