import { ConfigStore } from '../../config/store';
import { createAdapters } from '../../providers';
import type { AdapterSet } from '../../providers/types';
import { startMockOpenAIUpstream, type MockOpenAIUpstream } from '../../testing/mock-openai-upstream';
import { registry } from '../../testing/resources';
import { createEmbedder, EmbeddingError, registryIn, vectorsOf } from './embedder';

const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);

let upstream: MockOpenAIUpstream;
let adapters: AdapterSet;
const store = new ConfigStore();

beforeAll(async () => {
  upstream = await startMockOpenAIUpstream({ apiKey: 'sk-embed' });
  adapters = createAdapters();
  store.replaceAll([
    registry('embed', {
      baseUrl: upstream.url,
      apiKey: 'sk-embed',
      aliases: { small: 'text-embedding-3-small' },
    }),
    registry('builtin', { provider: 'mock', baseUrl: '' }),
  ]);
});
afterAll(async () => {
  await upstream.close();
  await Promise.all([...new Set(Object.values(adapters))].map((a) => a.close()));
});
beforeEach(() => upstream.behave({ kind: 'ok' }));

const call = (over: Partial<Parameters<ReturnType<typeof createEmbedder>>[0]> = {}) => ({
  registry: 'default/embed',
  model: 'small',
  inputs: ['What is the capital of France?', 'what is the capital of France', 'Write a haiku about autumn'],
  requestId: 'req-1',
  ...over,
});

describe('createEmbedder', () => {
  it('embeds through the Registry’s adapter, with its credential and aliases; similar texts are near', async () => {
    const embed = createEmbedder({ registry: registryIn(store), adapters });
    const [a, b, c] = await embed(call());
    const sent = upstream.requests.at(-1);
    expect(sent?.path).toBe('/v1/embeddings');
    expect(JSON.parse(sent?.body ?? '{}')).toEqual({ model: 'text-embedding-3-small', input: call().inputs });
    expect(cos(a ?? [], b ?? [])).toBeGreaterThan(0.95);
    expect(cos(a ?? [], c ?? [])).toBeLessThan(0.5);
  });

  it('embeds with the built-in mock provider too', async () => {
    const embed = createEmbedder({ registry: registryIn(store), adapters });
    const vectors = await embed(call({ registry: 'default/builtin', model: 'any' }));
    expect(vectors).toHaveLength(3);
    expect(vectors[0]).toHaveLength(64);
  });

  it('gives up after its timeout when the embeddings API hangs', async () => {
    upstream.behave({ kind: 'hang' });
    const embed = createEmbedder({ registry: registryIn(store), adapters, timeoutMs: 150 });
    const start = performance.now();
    const err = await embed(call()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmbeddingError);
    expect((err as EmbeddingError).kind).toBe('timeout');
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it('fails on an error status, an unknown Registry, and a refused connection', async () => {
    const embed = createEmbedder({ registry: registryIn(store), adapters });
    upstream.behave({ kind: 'status', status: 503 });
    await expect(embed(call())).rejects.toMatchObject({
      kind: 'upstream',
      message: expect.stringContaining('503'),
    });
    await expect(embed(call({ registry: 'default/ghost' }))).rejects.toMatchObject({ kind: 'unavailable' });
    const down = new ConfigStore();
    down.replaceAll([registry('embed', { baseUrl: 'http://127.0.0.1:1/v1' })]);
    await expect(createEmbedder({ registry: registryIn(down), adapters })(call())).rejects.toMatchObject({
      kind: 'upstream',
    });
  });
});

describe('vectorsOf', () => {
  it('orders vectors by index', () => {
    const body = {
      data: [
        { index: 1, embedding: [0, 1] },
        { index: 0, embedding: [1, 0] },
      ],
    };
    expect(vectorsOf(body, 2)).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });

  it.each([
    ['no data', {}, 1],
    ['too few vectors', { data: [{ index: 0, embedding: [1] }] }, 2],
    [
      'a repeated index',
      {
        data: [
          { index: 0, embedding: [1] },
          { index: 0, embedding: [1] },
        ],
      },
      2,
    ],
    ['a non-number', { data: [{ index: 0, embedding: [1, 'x'] }] }, 1],
    ['a zero vector', { data: [{ index: 0, embedding: [0, 0] }] }, 1],
    ['base64 instead of floats', { data: [{ index: 0, embedding: 'AAAA' }] }, 1],
    [
      'vectors of two lengths',
      {
        data: [
          { index: 0, embedding: [1] },
          { index: 1, embedding: [1, 0] },
        ],
      },
      2,
    ],
  ])('refuses %s', (_name, body, count) => {
    expect(() => vectorsOf(body, count)).toThrow(EmbeddingError);
  });
});
