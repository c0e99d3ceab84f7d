import type { CompiledRegistry } from '@tollgate/protocol';
import { CallAbort } from './abort';
import { createMockAdapter } from './mock';
import { MAX_EMBEDDING_DIMENSIONS } from '../formats/openai-wire';
import type { UpstreamCall } from './types';

const registry = (mock: Partial<NonNullable<CompiledRegistry['mock']>> = {}): CompiledRegistry => ({
  source: { namespace: 'default', name: 'mock', generation: 1 },
  provider: 'mock',
  baseUrl: '',
  models: ['m1', 'm2'],
  aliases: {},
  timeouts: { connectMs: 1000, requestMs: 1000, idleMs: 1000 },
  mock: { latencyMs: 0, chunkDelayMs: 0, failureRate: 0, failureStatus: 500, ...mock },
});

const call = (over: Partial<UpstreamCall> = {}): UpstreamCall => ({
  operation: 'chat.completions',
  registry: registry(),
  model: 'm1',
  body: {
    model: 'm1',
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hello mock world' },
    ],
  },
  rawBody: undefined,
  stream: false,
  requestId: 'r1',
  signal: new CallAbort(),
  ...over,
});

interface Completion {
  id: string;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}
interface Chunk {
  id: string;
  choices: { delta: { content?: string }; finish_reason: string | null }[];
  usage?: { completion_tokens: number };
}

async function text(body: AsyncIterable<Uint8Array>): Promise<string> {
  let s = '';
  for await (const c of body) s += Buffer.from(c).toString();
  return s;
}

describe('mock provider', () => {
  const adapter = createMockAdapter();

  it('answers a chat completion in OpenAI format, echoing the last user message, with usage', async () => {
    const res = await adapter.send(call());
    expect(res.status).toBe(200);
    const body = JSON.parse(await text(res.body)) as Completion;
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'm1',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Echo: hello mock world' },
          finish_reason: 'stop',
        },
      ],
    });
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
  });

  it('streams SSE chunks: role, one per word, finish, usage when asked, then [DONE]', async () => {
    const res = await adapter.send(
      call({
        stream: true,
        registry: registry({ reply: 'alpha beta gamma' }),
        body: {
          model: 'm1',
          messages: [{ role: 'user', content: 'x' }],
          stream_options: { include_usage: true },
        },
      }),
    );
    expect(res.headers['content-type']).toBe('text/event-stream');
    const events = (await text(res.body)).split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.replace(/^data: /, '')) as Chunk);
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '', refusal: null });
    expect(chunks.slice(1, 4).map((c) => c.choices[0]?.delta.content)).toEqual(['alpha', ' beta', ' gamma']);
    expect(chunks[4]?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks[5]?.choices).toEqual([]);
    expect(chunks[5]?.usage?.completion_tokens).toBeGreaterThan(0);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it('fails deterministically at the configured rate with an OpenAI error body', async () => {
    const half = createMockAdapter();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push(
        (await half.send(call({ registry: registry({ failureRate: 0.5, failureStatus: 503 }) }))).status,
      );
    expect(statuses).toEqual([200, 503, 200, 503, 200, 503]);
    const always = await createMockAdapter().send(
      call({ registry: registry({ failureRate: 1, failureStatus: 429 }) }),
    );
    expect(always.status).toBe(429);
    expect(JSON.parse(await text(always.body))).toMatchObject({ error: { code: 'mock_failure' } });
  });

  it('serves embeddings where similar texts are closer than unrelated ones', async () => {
    const res = await adapter.send(
      call({
        operation: 'embeddings',
        body: {
          model: 'e',
          input: ['the cat sat on the mat', 'the cat sat on a mat', 'quarterly tax report'],
        },
      }),
    );
    const { data } = JSON.parse(await text(res.body)) as { data: { embedding: number[] }[] };
    const [a, b, c] = data.map((d) => d.embedding);
    const cos = (x: number[] = [], y: number[] = []) => x.reduce((s, v, i) => s + v * (y[i] ?? 0), 0);
    expect(a).toHaveLength(64);
    expect(cos(a, a)).toBeCloseTo(1, 6);
    expect(cos(a, b)).toBeGreaterThan(cos(a, c) + 0.3);
  });

  it.each([
    ['dimensions -1', { dimensions: -1 }, 'dimensions'],
    ['dimensions 1.5', { dimensions: 1.5 }, 'dimensions'],
    ['dimensions 0', { dimensions: 0 }, 'dimensions'],
    ['dimensions "8"', { dimensions: '8' }, 'dimensions'],
    ['dimensions past the largest model', { dimensions: MAX_EMBEDDING_DIMENSIONS + 1 }, 'dimensions'],
    ['dimensions 1e9 (no giant allocation)', { dimensions: 1e9 }, 'dimensions'],
    ['an empty input array', { input: [] }, 'input'],
    ['an input of objects', { input: [{ text: 'x' }] }, 'input'],
  ])('refuses embeddings with %s: 400 in OpenAI format, as OpenAI does', async (_name, over, param) => {
    const res = await adapter.send(
      call({ operation: 'embeddings', body: { model: 'e', input: 'hello', ...over } }),
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(await text(res.body))).toMatchObject({
      error: { type: 'invalid_request_error', param },
    });
  });

  it.each([
    ['a string', 'hello', undefined, 64],
    ['token ids', [1, 2, 3], 16, 16],
    ['arrays of token ids', [[1, 2], [3]], MAX_EMBEDDING_DIMENSIONS, MAX_EMBEDDING_DIMENSIONS],
  ])('serves embeddings of %s with the dimensions asked', async (_name, input, dimensions, length) => {
    const res = await adapter.send(
      call({ operation: 'embeddings', body: { model: 'e', input, dimensions } }),
    );
    expect(res.status).toBe(200);
    const { data } = JSON.parse(await text(res.body)) as { data: { embedding: number[] }[] };
    expect(data[0]?.embedding).toHaveLength(length);
  });

  it('lists the registry models', async () => {
    const res = await adapter.send(call({ operation: 'models', body: undefined }));
    expect(JSON.parse(await text(res.body))).toMatchObject({
      object: 'list',
      data: [{ id: 'm1' }, { id: 'm2' }],
    });
  });

  it('stops waiting when the call is aborted', async () => {
    const abort = new CallAbort();
    const pending = adapter.send(call({ registry: registry({ latencyMs: 10_000 }), signal: abort }));
    abort.abort('gone');
    await expect(pending).rejects.toThrow();
  });
});
