/**
 * The fuzz campaign's requests, made from a seed: valid requests for every endpoint and route of
 * `hardening.ts`, then broken the ways careless clients and attackers break them — malformed
 * JSON, wrong types, deep nesting, odd model names, huge strings, unknown fields, missing fields.
 * Pure: the same seed gives the same cases.
 */

export type Endpoint = 'chat/completions' | 'messages' | 'responses' | 'embeddings' | 'models';

export interface FuzzCase {
  /** The path after `/app/v1/` (or an unknown one). */
  path: string;
  method: 'GET' | 'POST';
  /** The endpoint whose error format applies (Anthropic's for `messages`, OpenAI's otherwise). */
  endpoint: Endpoint;
  headers: Record<string, string>;
  body?: Buffer;
  /** What was done to it, for the failure report. */
  label: string;
}

const ENDPOINTS: Endpoint[] = ['chat/completions', 'messages', 'responses', 'embeddings', 'models'];
const ROUTED = ['gpt', 'claude', 'gemini', 'embed-mock', 'fancy', 'some-model', 'pool:gpt', '@compat/x-1'];
const ODD_MODELS = [
  '',
  ' ',
  'gpt\u2028x',
  'gpt-🤖',
  'nul\u0000',
  'lone-\ud800',
  'rlo\u202egpt',
  'tab\tname',
  'new\nline',
  'mod\u00e8le',
  'm'.repeat(257),
  'm'.repeat(50_000),
  '@',
  '@/',
  '@compat/',
  'pool:',
  'pool:nope',
  '*',
  '../../etc/passwd',
  '%00',
];
const FIELDS: Record<Exclude<Endpoint, 'models'>, string[]> = {
  'chat/completions': [
    'model',
    'messages',
    'stream',
    'max_tokens',
    'max_completion_tokens',
    'temperature',
    'top_p',
    'n',
    'stop',
    'tools',
    'tool_choice',
    'response_format',
    'stream_options',
    'user',
    'seed',
    'logprobs',
  ],
  messages: [
    'model',
    'messages',
    'max_tokens',
    'system',
    'stream',
    'temperature',
    'stop_sequences',
    'tools',
    'tool_choice',
    'metadata',
    'thinking',
  ],
  responses: [
    'model',
    'input',
    'instructions',
    'stream',
    'max_output_tokens',
    'tools',
    'tool_choice',
    'text',
    'temperature',
    'previous_response_id',
    'store',
    'metadata',
  ],
  embeddings: ['model', 'input', 'dimensions', 'encoding_format', 'user'],
};
const DEPTHS = [8, 64, 126, 127, 128, 129, 500, 5_000, 20_000];

type Rand = () => number;
/** A body as JSON text fragments per field, so values JSON.stringify cannot make (1e308, 20,000 levels) fit. */
type Fields = Map<string, string>;

const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const json = (v: unknown) => JSON.stringify(v);
const nested = (depth: number, r: Rand) =>
  r() < 0.5 ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

function text(r: Rand): string {
  const alphabet = [
    'a',
    'Z',
    ' ',
    '"',
    '\\',
    '\u0000',
    '\u001f',
    '\u2028',
    'é',
    '名',
    '🤖',
    '\ud800',
    '\udfff',
    '{',
    ']',
  ];
  let s = '';
  for (let i = Math.floor(r() * 24); i > 0; i--) s += pick(r, alphabet);
  return s;
}

/** Any JSON value, most of them of the wrong type for whatever field receives them. */
function junk(r: Rand, depth = 0): string {
  switch (Math.floor(r() * 14)) {
    case 0:
      return json(text(r));
    case 1:
      return pick(r, ['-1', '0', '1.5', '1e308', '-1e308', '2147483648', '9007199254740993', '-0', '5']);
    case 2:
      return pick(r, ['true', 'false', 'null']);
    case 3:
      return depth > 2 ? '[]' : `[${junk(r, depth + 1)},${junk(r, depth + 1)}]`;
    case 4:
      return depth > 2 ? '{}' : `{${json(text(r))}:${junk(r, depth + 1)}}`;
    case 5:
      return nested(pick(r, DEPTHS), r);
    case 6:
      return json('x'.repeat(pick(r, [1_000, 100_000])));
    case 7:
      return json([
        { role: pick(r, ['user', 'assistant', 'tool', 'system', 'bogus', '']), content: text(r) },
      ]);
    case 8:
      return `[{"role":"user","content":[{"type":"${pick(r, ['text', 'image_url', 'image', 'input_audio', 'file', 'bogus'])}","text":${junk(r, 3)},"image_url":${junk(r, 3)}}]}]`;
    case 9:
      return `[{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":${json(pick(r, ['{}', '', '{"a":1}', 'not json', '[1]', nested(pick(r, DEPTHS), r)]))}}}]},{"role":"tool","tool_call_id":"c1","content":${junk(r, 3)}}]`;
    case 10:
      return `[{"type":"function","function":{"name":${junk(r, 3)},"parameters":${junk(r, 2)}}}]`;
    case 11:
      return json({
        type: pick(r, ['json_schema', 'json_object', 'text', 'bogus']),
        json_schema: { name: 'x' },
      });
    case 12:
      return json(pick(r, ROUTED));
    default:
      return json(pick(r, ODD_MODELS));
  }
}

function baseFields(endpoint: Exclude<Endpoint, 'models'>, r: Rand): Fields {
  const f: Fields = new Map([['model', json(pick(r, ROUTED))]]);
  const user = json([{ role: 'user', content: 'hi' }]);
  if (endpoint === 'chat/completions') f.set('messages', user);
  else if (endpoint === 'messages') f.set('messages', user).set('max_tokens', '16');
  else f.set('input', json('hi'));
  if (endpoint !== 'embeddings' && r() < 0.3) f.set('stream', 'true');
  return f;
}

/** One to three of the ways a body is broken. */
function mutate(endpoint: Exclude<Endpoint, 'models'>, f: Fields, r: Rand): string[] {
  const done: string[] = [];
  for (let n = 1 + Math.floor(r() * 3); n > 0; n--) {
    const field = pick(r, FIELDS[endpoint]);
    switch (Math.floor(r() * 7)) {
      case 0:
      case 1:
        f.set(field, junk(r));
        done.push(`${field}=junk`);
        break;
      case 2: {
        const depth = pick(r, DEPTHS);
        f.set(field, nested(depth, r));
        done.push(`${field}=nested(${depth})`);
        break;
      }
      case 3:
        f.set('model', json(pick(r, ODD_MODELS)));
        done.push('odd model');
        break;
      case 4:
        f.delete(field);
        done.push(`-${field}`);
        break;
      case 5: {
        const key = pick(r, ['__proto__', 'constructor', 'x_unknown', 'ü', '', 'prototype', text(r)]);
        f.set(key, junk(r));
        done.push(`unknown field ${json(key)}`);
        break;
      }
      default: {
        const size = pick(r, [10_000, 300_000, 900_000, 1_200_000]);
        f.set(
          endpoint === 'chat/completions' || endpoint === 'messages' ? 'messages' : 'input',
          endpoint === 'chat/completions' || endpoint === 'messages'
            ? json([{ role: 'user', content: 'y'.repeat(size) }])
            : json('y'.repeat(size)),
        );
        done.push(`huge string ${size}`);
      }
    }
  }
  return done;
}

function serialise(f: Fields): string {
  return `{${[...f].map(([k, v]) => `${json(k)}:${v}`).join(',')}}`;
}

/** Whole-body breakage: what a parser sees before any field. */
function corrupt(body: string, r: Rand): { body: Buffer; label: string } {
  switch (Math.floor(r() * 7)) {
    case 0: {
      const at = Math.floor(r() * body.length);
      return { body: Buffer.from(body.slice(0, at)), label: `truncated at ${at}` };
    }
    case 1: {
      const b = Buffer.from(body);
      b[Math.floor(r() * b.length)] = pick(r, [0x00, 0x22, 0x7b, 0x5d, 0xff, 0xc3]);
      return { body: b, label: 'one byte replaced' };
    }
    case 2:
      return {
        body: Buffer.from(pick(r, ['[]', '42', '"x"', 'null', 'true', '[{}]'])),
        label: 'not an object',
      };
    case 3:
      return { body: Buffer.alloc(0), label: 'empty body' };
    case 4:
      return { body: Buffer.from(`${body}${body}`), label: 'two objects' };
    case 5:
      return { body: Buffer.from(`\ufeff${body}`), label: 'BOM' };
    default:
      return { body: Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), label: 'invalid UTF-8' };
  }
}

const JSON_HEADERS = { 'content-type': 'application/json' };

export function fuzzCases(r: Rand, count: number): FuzzCase[] {
  const cases: FuzzCase[] = [];
  for (let i = 0; i < count; i++) {
    const endpoint = pick(r, ENDPOINTS);
    const headers: Record<string, string> = { ...JSON_HEADERS };
    if (endpoint === 'messages' || r() < 0.1) headers['anthropic-version'] = '2023-06-01';
    if (endpoint === 'models') {
      const odd = r() < 0.3;
      cases.push({
        path: odd ? `models?${pick(r, ['limit=-1', 'after=%00', 'x='.padEnd(2000, 'x')])}` : 'models',
        method: 'GET',
        endpoint,
        headers,
        label: odd ? 'models with an odd query' : 'models',
      });
      continue;
    }
    const roll = r();
    if (roll < 0.03) {
      cases.push({ path: endpoint, method: 'GET', endpoint, headers, label: 'wrong method' });
      continue;
    }
    if (roll < 0.05) {
      const path = pick(r, ['chat/completion', 'messages/batches', 'responses/abc', 'files', 'models/gpt']);
      cases.push({
        path,
        method: 'POST',
        endpoint: 'models',
        headers,
        body: Buffer.from('{}'),
        label: 'unknown path',
      });
      continue;
    }
    const fields = baseFields(endpoint, r);
    const labels = roll < 0.1 ? ['valid'] : mutate(endpoint, fields, r);
    let body: Buffer = Buffer.from(serialise(fields));
    if (r() < 0.15) {
      const broken = corrupt(body.toString(), r);
      body = broken.body;
      labels.push(broken.label);
    }
    if (r() < 0.03) {
      headers['content-type'] = pick(r, [
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data',
      ]);
      labels.push(`content-type ${headers['content-type']}`);
    }
    if (r() < 0.05) {
      // Header values a client can send (visible ASCII and Latin-1): echoed or forwarded ones stay safe.
      const value =
        Array.from({ length: 1 + Math.floor(r() * 300) }, () =>
          String.fromCharCode(pick(r, [0x20 + Math.floor(r() * 0x5f), 0xa0 + Math.floor(r() * 0x60)])),
        )
          .join('')
          .trim() || 'x';
      const name = pick(r, ['x-request-id', 'anthropic-version', 'anthropic-beta', 'origin']);
      headers[name] = value;
      labels.push(`odd ${name}`);
    }
    cases.push({ path: endpoint, method: 'POST', endpoint, headers, body, label: labels.join(', ') });
  }
  return cases;
}
