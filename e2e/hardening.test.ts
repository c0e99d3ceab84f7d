import OpenAI from 'openai';
import { MAX_JSON_DEPTH } from '@tollgate/dataplane/formats/depth';
import { MAX_MODEL_NAME_LENGTH, MAX_OUTPUT_TOKENS } from '@tollgate/dataplane/proxy/request-checks';
import { openAIFor } from './clients';
import {
  APP_HEADERS,
  FANCY_UPSTREAM_MODEL,
  HARDENING_KEY,
  startHardeningUpstreams,
  type HardeningTarget,
} from './hardening';
import { standaloneOn, type InProcessTollgate } from './standalone';

/**
 * Issue 12's request-side defects, through the whole request path on real sockets: Tollgate
 * in-process → real mock upstreams (see hardening.ts for the routes). Each case failed before the
 * fix (500 after a billed upstream call, 502 "Maximum call stack size exceeded", 502 "Invalid array
 * length", a wrong-typed max_tokens passed through).
 */
let target: HardeningTarget;
let tg: InProcessTollgate;
let openai: OpenAI;

beforeAll(async () => {
  target = await startHardeningUpstreams();
  tg = await standaloneOn(target.yaml);
  openai = openAIFor(tg.base, 'app', HARDENING_KEY);
});

afterAll(async () => {
  await tg?.stop();
  await target?.close();
});

beforeEach(() => target.forget());

type OpenAIErrorBody = { error: { message: string; type: string; param: string | null; code: string } };
type AnthropicErrorBody = { type: string; error: { type: string; message: string } };

async function post(endpoint: string, body: unknown): Promise<Response> {
  return fetch(`${tg.base}/app/v1/${endpoint}`, {
    method: 'POST',
    headers: { ...APP_HEADERS, 'anthropic-version': '2023-06-01' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const upstreamCalls = () => Object.values(target.upstreams).reduce((n, u) => n + u.requests.length, 0);
const user = [{ role: 'user', content: 'hi' }];

/** `depth` arrays nested in one another (a JSON value of that depth). */
const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

describe('model names are checked before routing', () => {
  const BAD = [
    ['a line separator', 'gpt\u2028x'],
    ['an emoji', 'gpt-🤖'],
    ['NUL', 'gpt\u0000x'],
    ['a lone surrogate', 'gpt-\ud800'],
    ['right-to-left override', 'gpt\u202ex'],
    ['a space', 'gpt 4o'],
    ['too many characters', 'm'.repeat(MAX_MODEL_NAME_LENGTH + 1)],
  ];

  it.each(BAD)(
    'chat: a name with %s on the * route is 400 invalid_model, no upstream called',
    async (_, model) => {
      const res = await post('chat/completions', { model, messages: user });
      expect(res.status).toBe(400);
      const body = (await res.json()) as OpenAIErrorBody;
      expect(body.error).toMatchObject({
        code: 'invalid_model',
        param: 'model',
        type: 'invalid_request_error',
      });
      expect(upstreamCalls()).toBe(0);
    },
  );

  it.each(BAD)('messages: a name with %s is 400 in Anthropic format', async (_, model) => {
    const res = await post('messages', { model, max_tokens: 10, messages: user });
    expect(res.status).toBe(400);
    const body = (await res.json()) as AnthropicErrorBody;
    expect(body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(body.error.message).toContain("'model'");
    expect(upstreamCalls()).toBe(0);
  });

  it('a name of the longest allowed length is routed on the * route and echoed in X-Selected-Model', async () => {
    const model = `m-${'x'.repeat(MAX_MODEL_NAME_LENGTH - 2)}`;
    const res = await post('chat/completions', { model, messages: user });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-selected-model')).toBe(model);
    expect(JSON.parse(target.upstreams.openai.requests[0]?.body ?? '{}')).toMatchObject({ model });
  });

  it('a configured upstream model a header cannot carry comes back percent-encoded, not as a 500', async () => {
    const res = await post('chat/completions', { model: 'fancy', messages: user });
    expect(res.status).toBe(200);
    // Latin-1 stays as it is; what is above U+00FF is percent-encoded as UTF-8.
    expect(res.headers.get('x-selected-model')).toBe('modèle-%E2%9C%93-%E5%90%8D%E5%89%8D');
    expect(JSON.parse(target.upstreams.openai.requests[0]?.body ?? '{}')).toMatchObject({
      model: FANCY_UPSTREAM_MODEL,
    });
  });
});

describe('JSON nesting is limited when the body is read', () => {
  /** A tools array whose one schema holds a value nested `depth` levels (raw text: the SDKs and JSON.stringify recurse). */
  const tools = (depth: number) =>
    `[{"type":"function","function":{"name":"f","parameters":{"type":"object","default":${nested(depth)}}}}]`;
  const chat = (model: string, depth: number) =>
    `{"model":"${model}","messages":[{"role":"user","content":"hi"}],"tools":${tools(depth)}}`;

  it.each([
    ['chat translated (tools schema)', 'chat/completions', chat('claude', 10_000)],
    ['chat native (tools schema)', 'chat/completions', chat('gpt', 10_000)],
    ['embeddings (input)', 'embeddings', `{"model":"gpt","input":${nested(10_000)}}`],
    [
      'responses translated',
      'responses',
      `{"model":"gemini","input":"hi","metadata":{"a":${nested(10_000)}}}`,
    ],
  ])('%s: 10,000 levels are 400 json_too_deep, no upstream called', async (_, endpoint, body) => {
    const res = await post(endpoint, body);
    expect(res.status).toBe(400);
    const err = (await res.json()) as OpenAIErrorBody;
    expect(err.error.code).toBe('json_too_deep');
    expect(err.error.message).toContain(`${MAX_JSON_DEPTH} levels`);
    expect(upstreamCalls()).toBe(0);
  });

  it('messages: 10,000 levels are 400 in Anthropic format', async () => {
    const res = await post(
      'messages',
      `{"model":"claude","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"metadata":${nested(10_000)}}`,
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('a tool schema nested 100 levels is translated and answered', async () => {
    const res = await post('chat/completions', chat('claude', 100));
    expect(res.status).toBe(200);
  });

  it.each(['claude', 'gemini'])(
    'tool-call arguments (JSON text in the body) nested 10,000 levels, translated to %s: 400, not 502',
    async (model) => {
      const args = `{"a":${nested(10_000)}}`;
      const res = await post('chat/completions', {
        model,
        messages: [
          ...user,
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: args } }],
          },
          { role: 'tool', tool_call_id: 'call_1', content: 'done' },
        ],
      });
      expect(res.status).toBe(400);
      const err = (await res.json()) as OpenAIErrorBody;
      expect(err.error.code).toBe('unsupported_translation');
      expect(err.error.message).toContain('tool call arguments');
      expect(upstreamCalls()).toBe(0);
    },
  );
});

describe('the built-in mock validates embeddings parameters', () => {
  it.each([-1, 0, 1.5, 1e9])('dimensions %p: 400 from the mock, in OpenAI format', async (dimensions) => {
    const err = await openai.embeddings
      .create({ model: 'embed-mock', input: 'hello', dimensions, encoding_format: 'float' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('dimensions');
  });

  it('a valid dimensions is honoured', async () => {
    const res = await openai.embeddings.create({
      model: 'embed-mock',
      input: 'hello',
      dimensions: 8,
      encoding_format: 'float',
    });
    expect(res.data[0]?.embedding).toHaveLength(8);
  });
});

describe('output-token limits are checked on every path', () => {
  const WRONG = ['"5"', '-1', '0', '1.5', '1e308', 'true', '[]', String(MAX_OUTPUT_TOKENS + 1)];
  const chatBody = (field: string, value: string, model: string) =>
    `{"model":"${model}","messages":[{"role":"user","content":"hi"}],"${field}":${value}}`;

  it.each(
    WRONG.flatMap((v) => [
      ['max_tokens', v],
      ['max_completion_tokens', v],
    ]),
  )('chat native: %s = %s is 400 invalid_max_tokens', async (field, value) => {
    const res = await post('chat/completions', chatBody(field, value, 'gpt'));
    expect(res.status).toBe(400);
    expect(((await res.json()) as OpenAIErrorBody).error).toMatchObject({
      code: 'invalid_max_tokens',
      param: field,
    });
    expect(upstreamCalls()).toBe(0);
  });

  it.each(WRONG)('chat translated: max_tokens = %s is 400 invalid_max_tokens', async (value) => {
    const res = await post('chat/completions', chatBody('max_tokens', value, 'claude'));
    expect(res.status).toBe(400);
    expect(((await res.json()) as OpenAIErrorBody).error.code).toBe('invalid_max_tokens');
  });

  it.each(WRONG)('responses native: max_output_tokens = %s is 400', async (value) => {
    const res = await post('responses', `{"model":"gpt","input":"hi","max_output_tokens":${value}}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as OpenAIErrorBody).error).toMatchObject({
      code: 'invalid_max_tokens',
      param: 'max_output_tokens',
    });
  });

  it.each(WRONG)('messages native: max_tokens = %s is 400 in Anthropic format', async (value) => {
    const res = await post(
      'messages',
      `{"model":"claude","messages":[{"role":"user","content":"hi"}],"max_tokens":${value}}`,
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(upstreamCalls()).toBe(0);
  });

  it.each(['5', 'null', String(MAX_OUTPUT_TOKENS)])(
    'a valid or null max_tokens (%s) is served',
    async (value) => {
      const res = await post('chat/completions', chatBody('max_tokens', value, 'gpt'));
      expect(res.status).toBe(200);
    },
  );
});
