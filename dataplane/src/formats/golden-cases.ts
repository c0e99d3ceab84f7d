import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { FORMATS } from './index';
import {
  TranslationError,
  type ChatRequest,
  type ChatResponse,
  type FormatName,
  type StreamEvent,
  type WireFormat,
} from './ir';
import { decodeAll, encodeAll, framesOf } from '../testing/codec';
import { sseText } from './wire';

/**
 * The translation golden matrix: each folder under testdata/ holds a neutral request
 * (`request.json`), response (`response.json`) and/or stream (`stream.json`), and one expected file
 * per format and direction, written by the codecs (UPDATE_GOLDEN=1) and read by a person. The
 * expected files are the specification of what each format makes of the neutral model.
 */
export const TESTDATA = path.join(__dirname, 'testdata');

export const GOLDEN_CASES = readdirSync(TESTDATA, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

export const FORMAT_NAMES = Object.keys(FORMATS) as FormatName[];

/** A neutral stream: its events and the encoder's options (the request comes from request.json). */
export interface GoldenStream {
  includeUsage: boolean;
  events: StreamEvent[];
}

export interface GoldenCase {
  name: string;
  request?: ChatRequest;
  response?: ChatResponse;
  stream?: GoldenStream;
  /** Bodies a client sends in a format (`client-<format>.json`), for the decode-client direction. */
  clients: Partial<Record<FormatName, Record<string, unknown>>>;
}

/** One step of the matrix: its expected file and what the codec makes of the case. */
export interface Direction {
  /** e.g. `encode-request`; with the format, the test's name. */
  name: string;
  /** The expected file's name in the case's folder. */
  file: (format: FormatName) => string;
  /** Whether this case has an input for this direction and format. */
  applies: (c: GoldenCase, format: FormatName) => boolean;
  /** The result as the expected file holds it (JSON value or, for `.sse` files, text). */
  run: (c: GoldenCase, format: WireFormat) => unknown;
}

function readJson<T>(dir: string, file: string): T | undefined {
  const p = path.join(dir, file);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as T) : undefined;
}

export function readCase(name: string): GoldenCase {
  const dir = path.join(TESTDATA, name);
  const c: GoldenCase = { name, clients: {} };
  const request = readJson<ChatRequest>(dir, 'request.json');
  if (request) c.request = request;
  const response = readJson<ChatResponse>(dir, 'response.json');
  if (response) c.response = response;
  const stream = readJson<GoldenStream>(dir, 'stream.json');
  if (stream) c.stream = stream;
  for (const f of FORMAT_NAMES) {
    const body = readJson<Record<string, unknown>>(dir, `client-${f}.json`);
    if (body) c.clients[f] = body;
  }
  return c;
}

/** A refusal as the expected file records it: the field the 400 names and its message. */
export interface Refusal {
  refused: { param: string | null; message: string };
}

/** Runs `fn`; a TranslationError becomes a recorded refusal, so refusals are golden too. */
function orRefusal<T>(fn: () => T): T | Refusal {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TranslationError) return { refused: { param: e.param ?? null, message: e.message } };
    throw e;
  }
}

export function isRefusal(v: unknown): v is Refusal {
  return typeof v === 'object' && v !== null && 'refused' in v;
}

/** Where `after` differs from `before`: a path and both values (absent when the side has none). */
export interface Difference {
  path: string;
  was?: unknown;
  now?: unknown;
}

/** A structural diff of two JSON values, for round-trip files: empty when the round trip is exact. */
export function differences(before: unknown, after: unknown, at = ''): Difference[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const bothArrays = Array.isArray(before) && Array.isArray(after);
  const bothObjects =
    !bothArrays &&
    typeof before === 'object' &&
    before !== null &&
    !Array.isArray(before) &&
    typeof after === 'object' &&
    after !== null &&
    !Array.isArray(after);
  if (bothArrays) {
    const n = Math.max(before.length, after.length);
    return Array.from({ length: n }, (_, i) => differences(before[i], after[i], `${at}[${i}]`)).flat();
  }
  if (bothObjects) {
    const b = before as Record<string, unknown>;
    const a = after as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
    return keys.flatMap((k) => differences(b[k], a[k], at === '' ? k : `${at}.${k}`));
  }
  const d: Difference = { path: at === '' ? '.' : at };
  if (before !== undefined) d.was = before;
  if (after !== undefined) d.now = after;
  return [d];
}

/**
 * A round trip's record: how decode(encode(x)) differs from x (the normalisation), or the refusal.
 * `whole`: a stream's events shift when one is added or merged, so a changed stream is recorded whole
 * (`decoded`) rather than as differences by index.
 */
function roundTrip(
  original: unknown,
  encoded: unknown,
  decode: (v: unknown) => unknown,
  whole = false,
): unknown {
  if (isRefusal(encoded)) return encoded;
  const decoded = orRefusal(() => decode(encoded));
  if (isRefusal(decoded)) return decoded;
  const plain: unknown = JSON.parse(JSON.stringify(decoded));
  const diff = differences(original, plain);
  if (whole) return diff.length === 0 ? { identical: true } : { decoded: plain };
  return { differences: diff };
}

function encodeStream(c: GoldenCase, format: WireFormat): string {
  const s = c.stream as GoldenStream;
  const opts = c.request
    ? { includeUsage: s.includeUsage, request: c.request }
    : { includeUsage: s.includeUsage };
  return sseText(encodeAll(format, s.events, opts));
}

export const DIRECTIONS: Direction[] = [
  {
    name: 'decode-client',
    file: (f) => `decoded-${f}.json`,
    applies: (c, f) => c.clients[f] !== undefined,
    run: (c, f) => orRefusal(() => f.decodeRequest(c.clients[f.name] as Record<string, unknown>)),
  },
  {
    name: 'encode-request',
    file: (f) => `to-${f}.json`,
    applies: (c) => c.request !== undefined,
    run: (c, f) => orRefusal(() => f.encodeRequest(c.request as ChatRequest)),
  },
  {
    name: 'round-trip-request',
    file: (f) => `from-${f}.json`,
    applies: (c) => c.request !== undefined,
    run: (c, f) =>
      roundTrip(
        c.request,
        orRefusal(() => f.encodeRequest(c.request as ChatRequest)),
        (body) => f.decodeRequest(body as Record<string, unknown>),
      ),
  },
  {
    name: 'encode-response',
    file: (f) => `response-to-${f}.json`,
    applies: (c) => c.response !== undefined,
    run: (c, f) => orRefusal(() => f.encodeResponse(c.response as ChatResponse, c.request)),
  },
  {
    name: 'round-trip-response',
    file: (f) => `response-from-${f}.json`,
    applies: (c) => c.response !== undefined,
    run: (c, f) =>
      roundTrip(
        c.response,
        orRefusal(() => f.encodeResponse(c.response as ChatResponse, c.request)),
        (body) => f.decodeResponse(body),
      ),
  },
  {
    name: 'encode-stream',
    file: (f) => `stream-to-${f}.sse`,
    applies: (c) => c.stream !== undefined,
    run: (c, f) => encodeStream(c, f),
  },
  {
    name: 'round-trip-stream',
    file: (f) => `stream-from-${f}.json`,
    applies: (c) => c.stream !== undefined,
    run: (c, f) =>
      roundTrip(c.stream?.events, encodeStream(c, f), (text) => decodeAll(f, framesOf(text as string)), true),
  },
];

/** Every (case, direction, format) the matrix checks, named `<case>: <direction> <format>`. */
export function matrix(): { title: string; c: GoldenCase; direction: Direction; format: FormatName }[] {
  return GOLDEN_CASES.map(readCase).flatMap((c) =>
    DIRECTIONS.flatMap((direction) =>
      FORMAT_NAMES.filter((format) => direction.applies(c, format)).map((format) => ({
        title: `${c.name}: ${direction.name} ${format}`,
        c,
        direction,
        format,
      })),
    ),
  );
}

/** A case's neutral request, for codec tests that decode a recorded body into it. */
export function goldenRequest(name: string): ChatRequest {
  const { request } = readCase(name);
  if (!request) throw new Error(`golden case ${name} has no request.json`);
  return request;
}
