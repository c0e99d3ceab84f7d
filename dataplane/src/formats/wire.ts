import { randomBytes } from 'node:crypto';
import { TranslationError, type Frame, type ResponseFormat } from './ir';

/**
 * Small readers shared by every codec: they check a decoded JSON value's shape and name the
 * offending field in the 400 they raise, so each codec states only what its format allows.
 */

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function object(v: unknown, param: string): Json {
  if (!isObject(v)) throw new TranslationError(`'${param}' must be an object.`, param);
  return v;
}

export function array(v: unknown, param: string): unknown[] {
  if (!Array.isArray(v)) throw new TranslationError(`'${param}' must be an array.`, param);
  return v;
}

export function string(v: unknown, param: string): string {
  if (typeof v !== 'string') throw new TranslationError(`'${param}' must be a string.`, param);
  return v;
}

export function optionalString(v: unknown, param: string): string | undefined {
  return v === undefined || v === null ? undefined : string(v, param);
}

export function optionalNumber(v: unknown, param: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new TranslationError(`'${param}' must be a number.`, param);
  return v;
}

export function optionalBoolean(v: unknown, param: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new TranslationError(`'${param}' must be a boolean.`, param);
  return v;
}

/**
 * OpenAI's JSON-schema output format `{name, schema, strict?, description?}`, read at `at` (Chat
 * Completions nests it under `response_format.json_schema`, Responses puts it in `text.format`).
 */
export function jsonSchemaFormat(f: Json, at: string): Extract<ResponseFormat, { type: 'json_schema' }> {
  const out: Extract<ResponseFormat, { type: 'json_schema' }> = {
    type: 'json_schema',
    name: string(f.name, `${at}.name`),
    schema: object(f.schema, `${at}.schema`),
  };
  const strict = optionalBoolean(f.strict, `${at}.strict`);
  if (strict !== undefined) out.strict = strict;
  const description = optionalString(f.description, `${at}.description`);
  if (description !== undefined) out.description = description;
  return out;
}

/** A non-negative integer count from an upstream's usage block; 0 when absent or malformed. */
export function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0;
}

/** Refuses what the target format cannot express: never drop it silently. */
export function unsupported(what: string, format: string, param?: string): never {
  throw new TranslationError(`${what} cannot be translated to ${format}.`, param);
}

export function newId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('base64url')}`;
}

/** A frame of JSON data; `event` names it (Anthropic and Responses name their SSE events). */
export function frame(data: unknown, event?: string): Frame {
  const json = typeof data === 'string' ? data : JSON.stringify(data);
  return event === undefined ? { data: json } : { event, data: json };
}

/** Frames as SSE text: an `event:` line when the frame is named, then its data line. */
export function sseText(frames: readonly Frame[]): string {
  let out = '';
  for (const f of frames)
    out += f.event === undefined ? `data: ${f.data}\n\n` : `event: ${f.event}\ndata: ${f.data}\n\n`;
  return out;
}

/** Parses one whole SSE event (as split by the proxy's SSE splitter) into a frame; undefined for comments only. */
export function parseSseEvent(text: string): Frame | undefined {
  let event: string | undefined;
  const data: string[] = [];
  for (const raw of text.split(/\r\n|\r|\n/)) {
    if (raw === '' || raw.startsWith(':')) continue;
    const colon = raw.indexOf(':');
    const field = colon === -1 ? raw : raw.slice(0, colon);
    let value = colon === -1 ? '' : raw.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (event === undefined && data.length === 0) return undefined;
  return event === undefined ? { data: data.join('\n') } : { event, data: data.join('\n') };
}

/** Parses a frame's JSON data; a malformed frame is a protocol error of the upstream. */
export function frameJson(frame: Frame): Json {
  let v: unknown;
  try {
    v = JSON.parse(frame.data);
  } catch {
    throw new UpstreamFormatError(`malformed stream event: ${frame.data.slice(0, 80)}`);
  }
  if (!isObject(v)) throw new UpstreamFormatError('stream event is not a JSON object');
  return v;
}

/** The upstream sent something its own format does not allow; the gateway answers 502. */
export class UpstreamFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamFormatError';
  }
}
