import { Writable } from 'node:stream';
import type { CompiledSemanticCache, Resource } from '@tollgate/protocol';
import { ConfigStore } from '../config/store';
import { createPolicyEngine } from '../policies/engine';
import { RateLimiter } from '../policies/rate-limit/limiter';
import { createEmbedder, registryIn } from '../policies/semantic-cache/embedder';
import { createSemanticCacheMetrics } from '../policies/semantic-cache/metrics';
import { SemanticCacheState } from '../policies/semantic-cache/state';
import { createAdapters } from '../providers';
import { createMockAdapter } from '../providers/mock';
import type { ProviderAdapter, UpstreamCall, UpstreamResponse } from '../providers/types';
import { createProxy, type Proxy } from '../proxy/app';
import { proxyClient } from './proxy-client';
import { createLogger } from '../telemetry/logger';
import { createMetrics, type ProxyMetrics } from '../telemetry/metrics';
import { startMockOpenAIUpstream, type MockOpenAIUpstream } from './mock-openai-upstream';
import { consumer, gateway, registry, route } from './resources';

/**
 * The chat upstream of the semantic-cache tests: the built-in mock provider (its echo scenario),
 * counting calls, switchable to a failure, an answer cut off by max_tokens, or a stream that
 * breaks before it finishes.
 */
export class ChatUpstream implements ProviderAdapter {
  calls: UpstreamCall[] = [];
  mode: 'ok' | 'error' | 'length' | 'cut' = 'ok';
  private readonly mock = createMockAdapter();

  async send(call: UpstreamCall): Promise<UpstreamResponse> {
    this.calls.push(call);
    if (this.mode === 'error') {
      return {
        status: 500,
        headers: { 'content-type': 'application/json' },
        body: once('{"error":{"message":"boom","type":"server_error","code":null}}'),
      };
    }
    const res = await this.mock.send(call);
    if (this.mode === 'length') return { ...res, body: rewrite(res.body) };
    if (this.mode === 'cut') return { ...res, body: cutBeforeFinish(res.body) };
    return res;
  }

  async close() {}
}

async function* once(text: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(text);
}

async function* rewrite(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const chunk of body)
    yield Buffer.from(
      Buffer.from(chunk).toString().replaceAll('"finish_reason":"stop"', '"finish_reason":"length"'),
    );
}

async function* cutBeforeFinish(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    if (Buffer.from(chunk).toString().includes('"finish_reason":"stop"')) throw new Error('connection reset');
    yield chunk;
  }
}

export interface CacheFixture {
  proxy: Proxy;
  chat: ChatUpstream;
  /** The `/v1/embeddings` upstream (a real HTTP server on 127.0.0.1). */
  embeddings: MockOpenAIUpstream;
  clock: { now: number };
  metrics: ProxyMetrics;
  logs: string[];
  store: ConfigStore;
  post(
    path: string,
    body: unknown,
    headers?: Record<string, string>,
    consumerSlug?: string,
  ): Promise<Response>;
  /** `tollgate_semantic_cache_total` of the cache policy for one result. */
  counted(result: 'hit' | 'miss' | 'skip' | 'error'): Promise<number>;
  close(): Promise<void>;
}

export const CACHE_POLICY = 'default/cache';

/**
 * A proxy with a Gateway-level semanticCache Policy (threshold 0.9, TTL 1 min unless given) over
 * two consumers (`app`, `other`, keys `sk-app` and `sk-other`) routing `gpt` and `gpt-mini` to the
 * chat upstream, embedding with the mock upstream's `/v1/embeddings` (similar texts, similar vectors).
 */
export async function startCacheFixture(
  cache: Partial<CompiledSemanticCache> = {},
  options: { embedTimeoutMs?: number } = {},
): Promise<CacheFixture> {
  const embeddings = await startMockOpenAIUpstream({ apiKey: 'sk-embed' });
  const chat = new ChatUpstream();
  const store = new ConfigStore();
  const policy: Resource<'Policy'> = {
    kind: 'Policy',
    name: CACHE_POLICY,
    version: 'v-cache',
    body: {
      source: { namespace: 'default', name: 'cache', generation: 1 },
      targets: [{ kind: 'Gateway', name: 'default/acme' }],
      parallel: false,
      plugins: {
        semanticCache: {
          embeddingRegistry: 'default/embed',
          embeddingModel: 'small',
          threshold: 0.9,
          ttlMs: 60_000,
          scope: 'Consumer',
          ...cache,
        },
      },
    },
  };
  const routes = [route('gpt', ['chat']), route('gpt-mini', ['chat', 1, 'gpt-mini-up'])];
  store.replaceAll([
    gateway('acme'),
    registry('chat', { provider: 'mock', baseUrl: '' }),
    registry('embed', {
      baseUrl: embeddings.url,
      apiKey: 'sk-embed',
      aliases: { small: 'text-embedding-3-small' },
    }),
    consumer('app', 'acme', ['sk-app'], routes),
    consumer('other', 'acme', ['sk-other'], routes),
    policy,
  ]);
  const adapters = { ...createAdapters(), mock: chat };
  const clock = { now: 1_700_000_000_000 };
  const metrics = createMetrics({ defaultMetrics: false });
  const logs: string[] = [];
  const logger = createLogger({
    destination: new Writable({
      write(line, _e, cb) {
        logs.push(String(line));
        cb();
      },
    }),
  });
  const policies = createPolicyEngine({
    limiter: new RateLimiter(),
    logger,
    embedder: createEmbedder({
      registry: registryIn(store),
      adapters,
      ...(options.embedTimeoutMs !== undefined ? { timeoutMs: options.embedTimeoutMs } : {}),
    }),
    semanticCache: new SemanticCacheState({
      now: () => clock.now,
      metrics: createSemanticCacheMetrics(metrics.registry),
    }),
  });
  const proxy = createProxy({ store, adapters, metrics, logger, policies });
  const client = proxyClient(proxy.listener);
  const keys: Record<string, string> = { app: 'sk-app', other: 'sk-other' };
  return {
    proxy,
    chat,
    embeddings,
    clock,
    metrics,
    logs,
    store,
    post: async (path, body, headers = {}, consumerSlug = 'app') =>
      client.request(`/${consumerSlug}${path}`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: {
          'content-type': 'application/json',
          'x-ag-gateway-slug': 'acme',
          authorization: `Bearer ${keys[consumerSlug] ?? ''}`,
          ...headers,
        },
      }),
    async counted(result) {
      const metric = await metrics.registry.getSingleMetricAsString('tollgate_semantic_cache_total');
      const line = metric
        .split('\n')
        .find((l) =>
          l.startsWith(`tollgate_semantic_cache_total{policy="${CACHE_POLICY}",result="${result}"}`),
        );
      return line ? Number(line.split(' ').pop()) : 0;
    },
    async close() {
      await policies.close();
      await Promise.all([...new Set(Object.values(adapters))].map((a) => a.close()));
      await embeddings.close();
    },
  };
}
