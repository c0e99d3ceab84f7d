import { generateKeyPairSync } from 'node:crypto';
import { request } from 'undici';
import { parseSseEvent } from '../formats/wire';
import { geminiFormat } from '../formats/gemini';
import type { Frame, StreamEvent } from '../formats/ir';
import { createServiceAccountTokenSource } from '../providers/google/token';
import {
  startMockGeminiUpstream,
  startMockTokenEndpoint,
  type MockGeminiUpstream,
} from './mock-gemini-upstream';

const ask = (text: string, extra: Record<string, unknown> = {}) => ({
  contents: [{ role: 'user', parts: [{ text }] }],
  ...extra,
});
const weather = {
  tools: [{ functionDeclarations: [{ name: 'get_weather', parametersJsonSchema: { type: 'object' } }] }],
};

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

function decodeSse(text: string): StreamEvent[] {
  const d = geminiFormat.streamDecoder();
  return text
    .split('\n\n')
    .map((e) => parseSseEvent(e))
    .filter((f): f is Frame => f !== undefined)
    .flatMap((f) => d.push(f));
}

describe('mock Gemini API upstream', () => {
  let up: MockGeminiUpstream;
  beforeAll(async () => {
    up = await startMockGeminiUpstream({ mode: 'gemini', apiKey: 'AIza-test' });
  });
  afterAll(() => up.close());
  beforeEach(() => up.behave({ kind: 'ok' }));
  const gen = (model = 'gemini-2.5-flash') => `${up.url}/v1beta/models/${model}:generateContent`;

  it('answers the scenario reply as a GenerateContentResponse', async () => {
    const res = await post(gen(), ask('hello there'), { 'x-goog-api-key': 'AIza-test' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({
      candidates: [
        {
          content: { role: 'model', parts: [{ text: 'Echo: hello there' }] },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      usageMetadata: {
        promptTokenCount: 5,
        candidatesTokenCount: 3,
        totalTokenCount: 8,
        cachedContentTokenCount: 2,
        thoughtsTokenCount: 0,
      },
      modelVersion: 'gemini-2.5-flash',
      responseId: `resp_mock_${up.requests.length}`,
    });
    expect(up.requests.at(-1)?.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
  });

  it('accepts the key as ?key= and streams parallel calls over SSE', async () => {
    const res = await post(
      `${up.url}/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse&key=AIza-test`,
      ask('weather in both', weather),
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(decodeSse(res.text)).toEqual([
      { type: 'start', id: `resp_mock_${up.requests.length}`, model: 'gemini-2.5-pro' },
      { type: 'tool_call_start', index: 0, id: 'call_mock_1', name: 'get_weather' },
      { type: 'tool_call_delta', index: 0, arguments: '{"city":"Paris"}' },
      { type: 'tool_call_start', index: 1, id: 'call_mock_2', name: 'get_weather' },
      { type: 'tool_call_delta', index: 1, arguments: '{"city":"Rome"}' },
      { type: 'finish', stopReason: 'tool_calls' },
      { type: 'usage', usage: { inputTokens: 5, outputTokens: 2, cachedInputTokens: 2, reasoningTokens: 0 } },
    ]);
  });

  it('streams a JSON array without alt=sse', async () => {
    const res = await post(`${up.url}/v1beta/models/m:streamGenerateContent`, ask('a b'), {
      'x-goog-api-key': 'AIza-test',
    });
    const chunks = JSON.parse(res.text) as unknown[];
    expect(chunks).toHaveLength(4); // "Echo:", " a", " b", finish + usage
  });

  it.each<[string, Record<string, string>, number, string]>([
    ['no key', {}, 403, 'PERMISSION_DENIED'],
    ['a wrong key', { 'x-goog-api-key': 'AIza-wrong' }, 400, 'INVALID_ARGUMENT'],
  ])("answers %s with Google's error body", async (_name, headers, status, name) => {
    const res = await post(gen(), ask('x'), headers);
    expect(res.status).toBe(status);
    expect(JSON.parse(res.text)).toMatchObject({ error: { code: status, status: name } });
  });

  it('answers status behaviours, unknown paths and bad bodies in Google error format', async () => {
    up.behave({ kind: 'status', status: 429, retryAfter: '7' });
    const limited = await post(gen(), ask('x'), { 'x-goog-api-key': 'AIza-test' });
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('7');
    expect(geminiFormat.decodeErrorMessage(JSON.parse(limited.text))).toBe('mock upstream answered 429');
    up.behave({ kind: 'ok' });
    const missing = await post(
      `${up.url}/v1beta/models/m:embedContent`,
      {},
      { 'x-goog-api-key': 'AIza-test' },
    );
    expect(missing.status).toBe(404);
    const bad = await post(gen(), { contents: 'nope' }, { 'x-goog-api-key': 'AIza-test' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toEqual({
      error: { code: 400, message: "'contents' must be an array.", status: 'INVALID_ARGUMENT' },
    });
  });

  it('drops the connection mid-stream', async () => {
    up.behave({ kind: 'dieMidStream', afterChunks: 1 });
    await expect(
      post(`${up.url}/v1beta/models/m:streamGenerateContent?alt=sse`, ask('one two three'), {
        'x-goog-api-key': 'AIza-test',
      }),
    ).rejects.toThrow();
  });
});

describe('mock Vertex AI upstream with a service-account token', () => {
  it('requires the token the token endpoint issues', async () => {
    const keys = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const tokens = await startMockTokenEndpoint(keys.publicKey, { accessToken: 'ya29.vertex' });
    const up = await startMockGeminiUpstream({ mode: 'vertex', accessToken: 'ya29.vertex', project: 'p1' });
    try {
      const source = createServiceAccountTokenSource(
        JSON.stringify({
          type: 'service_account',
          client_email: 'sa@p1.iam.gserviceaccount.com',
          private_key: keys.privateKey,
          private_key_id: 'k1',
          token_uri: tokens.url,
        }),
      );
      const path = '/v1/projects/p1/locations/us-central1/publishers/google/models/gemini-2.5-flash';
      const res = await post(`${up.url}${path}:generateContent`, ask('hi'), {
        authorization: `Bearer ${await source.token()}`,
      });
      expect(res.status).toBe(200);
      expect(geminiFormat.decodeResponse(JSON.parse(res.text)).content).toEqual([
        { type: 'text', text: 'Echo: hi' },
      ]);

      const sse = await post(`${up.url}${path}:streamGenerateContent?alt=sse`, ask('hi'), {
        authorization: 'Bearer ya29.vertex',
      });
      expect(decodeSse(sse.text).filter((e) => e.type === 'text')).toEqual([
        { type: 'text', text: 'Echo:' },
        { type: 'text', text: ' hi' },
      ]);

      const denied = await post(`${up.url}${path}:generateContent`, ask('hi'), {
        authorization: 'Bearer wrong',
      });
      expect(denied.status).toBe(401);
      expect(JSON.parse(denied.text)).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });

      const otherProject = await post(
        `${up.url}/v1/projects/p2/locations/us-central1/publishers/google/models/m:generateContent`,
        ask('hi'),
        { authorization: 'Bearer ya29.vertex' },
      );
      expect(otherProject.status).toBe(404);
      expect(tokens.calls).toHaveLength(1);
    } finally {
      await up.close();
      await tokens.close();
    }
  });
});
