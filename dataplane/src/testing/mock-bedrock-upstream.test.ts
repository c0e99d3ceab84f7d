import { bedrockConverseFormat } from '../formats/bedrock-converse';
import type { Frame, StreamEvent } from '../formats/ir';
import { UpstreamFormatError } from '../formats/wire';
import { decodeEventStream } from '../providers/aws/eventstream';
import { signAwsRequest, type AwsCredentials } from '../providers/aws/sigv4';
import { startMockBedrockUpstream, type MockBedrockUpstream } from './mock-bedrock-upstream';

const MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const creds: AwsCredentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE',
};
const hello = { messages: [{ role: 'user', content: [{ text: 'hello there' }] }] };
const weather = {
  messages: [{ role: 'user', content: [{ text: 'weather in both cities' }] }],
  toolConfig: {
    tools: [{ toolSpec: { name: 'get_weather', inputSchema: { json: { type: 'object' } } } }],
  },
};

/** The path as the AWS SDKs build it: the model id URL-encoded (`:` → `%3A`). */
const path = (op: 'converse' | 'converse-stream', model = MODEL) =>
  `/model/${encodeURIComponent(model)}/${op}`;

async function signedPost(
  mock: MockBedrockUpstream,
  op: 'converse' | 'converse-stream',
  body: unknown,
  signWith: AwsCredentials = creds,
  region = 'us-west-2',
): Promise<Response> {
  const url = `${mock.url}${path(op)}`;
  const text = JSON.stringify(body);
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  const signed = await signAwsRequest({
    method: 'POST',
    url,
    headers,
    body: text,
    region,
    service: 'bedrock',
    credentials: signWith,
  });
  return fetch(url, { method: 'POST', headers: { ...headers, ...signed }, body: text });
}

async function* bodyChunks(res: Response): AsyncGenerator<Uint8Array> {
  const reader = res.body?.getReader();
  if (!reader) return;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

async function streamEvents(res: Response): Promise<StreamEvent[]> {
  const decoder = bedrockConverseFormat.streamDecoder();
  const events: StreamEvent[] = [];
  for await (const frame of decodeEventStream(bodyChunks(res))) events.push(...decoder.push(frame));
  return events;
}

describe('mock Bedrock upstream with SigV4', () => {
  let mock: MockBedrockUpstream;
  beforeAll(async () => {
    mock = await startMockBedrockUpstream({ region: 'us-west-2', credentials: creds });
  });
  afterAll(() => mock.close());
  afterEach(() => mock.behave({ kind: 'ok' }));

  it('answers a signed Converse request with the scenario reply', async () => {
    const res = await signedPost(mock, 'converse', hello);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      output: { message: { role: 'assistant', content: [{ text: 'Echo: hello there' }] } },
      stopReason: 'end_turn',
      usage: { inputTokens: 3, outputTokens: 3, totalTokens: 8, cacheReadInputTokens: 2 },
      metrics: { latencyMs: 0 },
    });
    const recorded = mock.requests.at(-1);
    expect(recorded?.path).toBe('/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse');
    expect(recorded?.headers['x-amz-security-token']).toBe(creds.sessionToken);
  });

  it('streams the scenario as an event stream: parallel tool calls', async () => {
    const res = await signedPost(mock, 'converse-stream', weather);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.amazon.eventstream');
    const events = await streamEvents(res);
    expect(events.map((e) => (e.type === 'start' ? { ...e, id: 'x' } : e))).toEqual([
      { type: 'start', id: 'x', model: '' },
      { type: 'tool_call_start', index: 0, id: 'call_mock_1', name: 'get_weather' },
      { type: 'tool_call_delta', index: 0, arguments: '{"city":' },
      { type: 'tool_call_delta', index: 0, arguments: '"Paris"}' },
      { type: 'tool_call_start', index: 1, id: 'call_mock_2', name: 'get_weather' },
      { type: 'tool_call_delta', index: 1, arguments: '{"city":' },
      { type: 'tool_call_delta', index: 1, arguments: '"Rome"}' },
      { type: 'finish', stopReason: 'tool_calls' },
      { type: 'usage', usage: { inputTokens: 5, outputTokens: 2, cachedInputTokens: 2 } },
    ]);
  });

  it.each<[string, () => Promise<Response>, string, string]>([
    [
      'a wrong secret',
      () => signedPost(mock, 'converse', hello, { ...creds, secretAccessKey: 'not-the-secret' }),
      'InvalidSignatureException',
      'The request signature we calculated does not match',
    ],
    [
      'the wrong region',
      () => signedPost(mock, 'converse', hello, creds, 'eu-central-1'),
      'InvalidSignatureException',
      'The request signature we calculated does not match',
    ],
    [
      'an unknown access key',
      () => signedPost(mock, 'converse', hello, { ...creds, accessKeyId: 'AKIAOTHER' }),
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    ],
    [
      'a body changed after signing',
      async () => {
        const url = `${mock.url}${path('converse')}`;
        const headers = { 'content-type': 'application/json' };
        const signed = await signAwsRequest({
          method: 'POST',
          url,
          headers,
          body: JSON.stringify(hello),
          region: 'us-west-2',
          service: 'bedrock',
          credentials: creds,
        });
        return fetch(url, {
          method: 'POST',
          headers: { ...headers, ...signed },
          body: JSON.stringify(weather),
        });
      },
      'InvalidSignatureException',
      'The request signature we calculated does not match',
    ],
    [
      'no Authorization header',
      () => fetch(`${mock.url}${path('converse')}`, { method: 'POST', body: JSON.stringify(hello) }),
      'MissingAuthenticationTokenException',
      'Missing Authentication Token',
    ],
    [
      'an API key the mock was not given',
      () =>
        fetch(`${mock.url}${path('converse')}`, {
          method: 'POST',
          headers: { authorization: 'Bearer ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl' },
          body: JSON.stringify(hello),
        }),
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    ],
  ])('refuses %s with 403', async (_name, send, type, message) => {
    const res = await send();
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-errortype')).toBe(type);
    const body = await res.json();
    expect(bedrockConverseFormat.decodeErrorMessage(body)).toContain(message);
  });

  it('answers a status behaviour with the Bedrock error body and type', async () => {
    mock.behave({ kind: 'status', status: 429, retryAfter: '2' });
    const res = await signedPost(mock, 'converse', hello);
    expect(res.status).toBe(429);
    expect(res.headers.get('x-amzn-errortype')).toBe('ThrottlingException');
    expect(res.headers.get('retry-after')).toBe('2');
    expect(await res.json()).toEqual({ message: 'mock upstream answered 429' });
  });

  it('answers a request the codec refuses with a ValidationException', async () => {
    const res = await signedPost(mock, 'converse', { messages: [{ role: 'system', content: [] }] });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('ValidationException');
  });

  it('answers an unknown path with 404', async () => {
    const url = `${mock.url}/model/${encodeURIComponent(MODEL)}/invoke`;
    const signed = await signAwsRequest({
      method: 'POST',
      url,
      body: '{}',
      region: 'us-west-2',
      service: 'bedrock',
      credentials: creds,
    });
    const res = await fetch(url, { method: 'POST', headers: { ...signed }, body: '{}' });
    expect(res.status).toBe(404);
  });

  it('drops the connection mid-stream after N messages', async () => {
    mock.behave({ kind: 'dieMidStream', afterChunks: 2 });
    const res = await signedPost(mock, 'converse-stream', hello);
    const frames: Frame[] = [];
    await expect(
      (async () => {
        for await (const f of decodeEventStream(bodyChunks(res))) frames.push(f);
      })(),
    ).rejects.toThrow();
    expect(frames.map((f) => f.event)).toEqual(['messageStart', 'contentBlockDelta']);
  });

  it('sends a truncated event stream when malformed', async () => {
    mock.behave({ kind: 'malformed' });
    const res = await signedPost(mock, 'converse-stream', hello);
    await expect(streamEvents(res)).rejects.toThrow(UpstreamFormatError);
  });

  it('answers with the ok behaviour reply text', async () => {
    mock.behave({ kind: 'ok', reply: 'Fixed answer here' });
    const res = await signedPost(mock, 'converse', hello);
    const decoded = bedrockConverseFormat.decodeResponse(await res.json());
    expect(decoded.content).toEqual([{ type: 'text', text: 'Fixed answer here' }]);
  });
});

describe('mock Bedrock upstream with an API key', () => {
  let mock: MockBedrockUpstream;
  beforeAll(async () => {
    mock = await startMockBedrockUpstream({ apiKey: 'ABSKexample-key' });
  });
  afterAll(() => mock.close());

  it.each<[string, string, number]>([
    ['the key', 'Bearer ABSKexample-key', 200],
    ['another key', 'Bearer ABSKother', 403],
  ])('with %s (%s) answers %i', async (_name, authorization, status) => {
    const res = await fetch(`${mock.url}${path('converse')}`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify(hello),
    });
    expect(res.status).toBe(status);
  });
});
