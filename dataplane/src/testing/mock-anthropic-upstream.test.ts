import Anthropic from '@anthropic-ai/sdk';
import { startMockAnthropicUpstream, type MockAnthropicUpstream } from './mock-anthropic-upstream';

const KEY = 'sk-ant-mock';
const headers = (extra: Record<string, string> = {}) => ({
  'x-api-key': KEY,
  'anthropic-version': '2023-06-01',
  'content-type': 'application/json',
  ...extra,
});
const weather = {
  model: 'claude-haiku-4-5',
  max_tokens: 100,
  messages: [{ role: 'user', content: 'Weather in Paris?' }],
  tools: [{ name: 'get_weather', input_schema: { type: 'object' } }],
};

async function post(url: string, body: unknown, h: Record<string, string> = headers()) {
  const res = await fetch(url, { method: 'POST', headers: h, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('mock Anthropic upstream', () => {
  let mock: MockAnthropicUpstream;
  let messages: string;
  beforeAll(async () => {
    mock = await startMockAnthropicUpstream({ apiKey: KEY });
    messages = `${mock.url}/v1/messages`;
  });
  afterAll(() => mock.close());
  beforeEach(() => mock.behave({ kind: 'ok' }));

  it.each<[string, Record<string, string>, unknown, number, string, string]>([
    [
      'no x-api-key',
      { 'x-api-key': '' },
      weather,
      401,
      'authentication_error',
      'x-api-key header is required',
    ],
    [
      'a wrong x-api-key',
      { 'x-api-key': 'sk-ant-wrong' },
      weather,
      401,
      'authentication_error',
      'invalid x-api-key',
    ],
    [
      'no anthropic-version',
      { 'anthropic-version': '' },
      weather,
      400,
      'invalid_request_error',
      'anthropic-version: header is required',
    ],
    [
      'a form body',
      { 'content-type': 'text/plain' },
      weather,
      400,
      'invalid_request_error',
      'content-type: must be application/json',
    ],
    [
      'no max_tokens',
      {},
      { ...weather, max_tokens: undefined },
      400,
      'invalid_request_error',
      'max_tokens: Field required',
    ],
    [
      'top_k, which the codec refuses',
      {},
      { ...weather, top_k: 3 },
      400,
      'invalid_request_error',
      "'top_k' is not supported",
    ],
  ])('refuses %s', async (_name, extra, body, status, type, message) => {
    const h = Object.fromEntries(Object.entries(headers(extra)).filter(([, v]) => v !== ''));
    const res = await post(messages, body, h);
    expect(res.status).toBe(status);
    const json = JSON.parse(res.text) as { type: string; error: { type: string; message: string } };
    expect(json.type).toBe('error');
    expect(json.error.type).toBe(type);
    expect(json.error.message).toContain(message);
  });

  it('answers 404 for another path', async () => {
    const res = await post(`${mock.url}/v1/complete`, weather);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.text)).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });

  it('answers the scenario reply as a Messages API body with a request-id', async () => {
    const res = await post(messages, { ...weather, tools: undefined, system: 'Be nice.' });
    expect(res.status).toBe(200);
    expect(res.headers.get('request-id')).toMatch(/^req_mock_\d+$/);
    expect(JSON.parse(res.text)).toEqual({
      id: expect.stringMatching(/^msg_mock_\d+$/),
      type: 'message',
      role: 'assistant',
      model: 'claude-haiku-4-5',
      content: [{ type: 'text', text: 'Echo: Weather in Paris?' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: 4,
        cache_creation_input_tokens: null,
        cache_read_input_tokens: 2,
        output_tokens: 4,
        output_tokens_details: { thinking_tokens: 0 },
      },
    });
    const recorded = mock.requests[mock.requests.length - 1];
    expect(recorded?.path).toBe('/v1/messages');
    expect(recorded?.headers['x-api-key']).toBe(KEY);
  });

  it('streams a tool call as exactly this SSE text', async () => {
    const fresh = await startMockAnthropicUpstream({ apiKey: KEY });
    try {
      const res = await post(`${fresh.url}/v1/messages`, { ...weather, stream: true });
      expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(res.text).toBe(
        'event: message_start\n' +
          'data: {"type":"message_start","message":{"id":"msg_mock_1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"cache_creation_input_tokens":null,"cache_read_input_tokens":2,"output_tokens":1,"output_tokens_details":{"thinking_tokens":0}}}}\n\n' +
          'event: content_block_start\n' +
          'data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"call_mock_1","name":"get_weather","input":{}}}\n\n' +
          'event: content_block_delta\n' +
          'data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\\"city\\":"}}\n\n' +
          'event: content_block_delta\n' +
          'data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"\\"Paris\\"}"}}\n\n' +
          'event: content_block_stop\n' +
          'data: {"type":"content_block_stop","index":0}\n\n' +
          'event: message_delta\n' +
          'data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":3,"cache_read_input_tokens":2,"output_tokens":1,"output_tokens_details":{"thinking_tokens":0}}}\n\n' +
          'event: message_stop\n' +
          'data: {"type":"message_stop"}\n\n',
      );
    } finally {
      await fresh.close();
    }
  });

  it('answers a status behaviour with the Anthropic error body and retry-after', async () => {
    mock.behave({ kind: 'status', status: 529, retryAfter: '7' });
    const res = await post(messages, weather);
    expect(res.status).toBe(529);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(JSON.parse(res.text)).toMatchObject({
      type: 'error',
      error: { type: 'overloaded_error', message: 'mock upstream answered 529' },
    });
  });

  it('drops the connection after N frames with dieMidStream', async () => {
    mock.behave({ kind: 'dieMidStream', afterChunks: 2 });
    const res = await fetch(messages, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({ ...weather, stream: true }),
    });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
  });

  it('answers a truncated body with malformed', async () => {
    mock.behave({ kind: 'malformed' });
    const res = await post(messages, weather);
    expect(() => JSON.parse(res.text)).toThrow();
  });

  it('serves the official SDK, streaming included', async () => {
    // @anthropic-ai/sdk 1.x sends an apiKey as `Authorization: Bearer`; Anthropic documents x-api-key.
    const client = new Anthropic({
      apiKey: null,
      defaultHeaders: { 'x-api-key': KEY },
      baseURL: mock.url,
      maxRetries: 0,
    });
    const msg = await client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'Hello there' }],
    });
    expect(msg.content).toEqual([{ type: 'text', text: 'Echo: Hello there' }]);
    const streamed = await client.messages
      .stream({
        model: 'claude-haiku-4-5',
        max_tokens: 50,
        messages: [{ role: 'user', content: 'Weather in both cities?' }],
        tools: [{ name: 'get_weather', input_schema: { type: 'object' } }],
      })
      .finalMessage();
    expect(streamed.content).toMatchObject([
      { type: 'tool_use', id: 'call_mock_1', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'call_mock_2', name: 'get_weather', input: { city: 'Rome' } },
    ]);
    expect(streamed.stop_reason).toBe('tool_use');
    expect(streamed.usage).toMatchObject({ input_tokens: 3, cache_read_input_tokens: 2, output_tokens: 2 });
  });
});

describe('mock Anthropic upstream on Vertex AI', () => {
  let mock: MockAnthropicUpstream;
  const TOKEN = 'ya29.mock-token';
  const path = (verb: string) =>
    `${mock.url}/v1/projects/my-project/locations/us-east5/publishers/anthropic/models/claude-haiku-4-5@20251001:${verb}`;
  const vertexHeaders = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const body = {
    anthropic_version: 'vertex-2023-10-16',
    max_tokens: 100,
    messages: [{ role: 'user', content: 'Hi Vertex' }],
  };
  beforeAll(async () => {
    mock = await startMockAnthropicUpstream({ vertex: true, accessToken: TOKEN });
  });
  afterAll(() => mock.close());

  it('answers rawPredict with the model taken from the path', async () => {
    const res = await post(path('rawPredict'), body, vertexHeaders);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({
      model: 'claude-haiku-4-5@20251001',
      content: [{ type: 'text', text: 'Echo: Hi Vertex' }],
    });
  });

  it('streams from streamRawPredict', async () => {
    const res = await post(path('streamRawPredict'), { ...body, stream: true }, vertexHeaders);
    expect(res.text.startsWith('event: message_start\n')).toBe(true);
    expect(res.text.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n')).toBe(true);
  });

  it.each<[string, Record<string, string>, unknown, number]>([
    ['no bearer token', { 'content-type': 'application/json' }, body, 401],
    ['a wrong bearer token', { ...vertexHeaders, authorization: 'Bearer nope' }, body, 401],
    [
      'an x-api-key instead of a token',
      { 'x-api-key': 'sk-ant', 'content-type': 'application/json' },
      body,
      401,
    ],
    ['no anthropic_version', vertexHeaders, { ...body, anthropic_version: undefined }, 400],
    ['a model in the body', vertexHeaders, { ...body, model: 'claude-haiku-4-5' }, 400],
  ])('refuses %s', async (_name, h, b, status) => {
    const res = await post(path('rawPredict'), b, h);
    expect(res.status).toBe(status);
    if (status === 401)
      expect(JSON.parse(res.text)).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
    else
      expect(JSON.parse(res.text)).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('answers 404 for the Anthropic path', async () => {
    const res = await post(`${mock.url}/v1/messages`, body, vertexHeaders);
    expect(res.status).toBe(404);
  });
});
