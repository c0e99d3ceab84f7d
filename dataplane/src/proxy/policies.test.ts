import { Writable } from 'node:stream';
import type { CompiledPolicyPlugins, Resource } from '@tollgate/protocol';
import { ConfigStore } from '../config/store';
import { createPolicyEngine, type PolicyEngine } from '../policies/engine';
import { Pipeline } from '../policies/pipeline';
import { RateLimiter } from '../policies/rate-limit/limiter';
import { RedisCounterStore } from '../policies/rate-limit/redis-store';
import type { Plugin, PolicyRequest } from '../policies/types';
import type { ProviderAdapter, UpstreamCall, UpstreamResponse } from '../providers/types';
import { createLogger } from '../telemetry/logger';
import { createMetrics, type ProxyMetrics } from '../telemetry/metrics';
import { refusingPort } from '../testing/mock-openai-upstream';
import { consumer, gateway, registry, route } from '../testing/resources';
import { GatewayError } from '../errors/errors';
import { createProxy } from './app';
import { proxyClient } from '../testing/proxy-client';

/** The policy stages inside the real pipeline, through the proxy's listener (testing/proxy-client). */
class Upstream implements ProviderAdapter {
  calls: UpstreamCall[] = [];
  headers: Record<string, string> = { 'content-type': 'application/json' };
  async send(call: UpstreamCall): Promise<UpstreamResponse> {
    this.calls.push(call);
    const headers = this.headers;
    const stream = call.stream;
    return {
      status: 200,
      headers: stream ? { 'content-type': 'text/event-stream' } : headers,
      body: (async function* () {
        yield Buffer.from(stream ? 'data: {"n":1}\n\ndata: [DONE]\n\n' : '{"ok":true,"choices":[]}');
      })(),
    };
  }
  async close() {}
}

function policy(
  name: string,
  targets: Resource<'Policy'>['body']['targets'],
  plugins: CompiledPolicyPlugins,
  parallel = false,
) {
  return {
    kind: 'Policy' as const,
    name: `default/${name}`,
    version: `v-${name}`,
    body: { source: { namespace: 'default', name, generation: 1 }, targets, parallel, plugins },
  };
}
const onGateway = [{ kind: 'Gateway' as const, name: 'default/acme' }];
const onApp = [{ kind: 'Consumer' as const, name: 'default/app' }];
const limit = (requests: number, over: Partial<NonNullable<CompiledPolicyPlugins['rateLimit']>> = {}) => ({
  requests,
  windowMs: 60_000,
  algorithm: 'SlidingWindow' as const,
  key: 'Consumer' as const,
  failureMode: 'FailOpen' as const,
  ...over,
});
const CORS = {
  allowOrigins: ['https://app.example.com'],
  allowMethods: ['POST', 'GET'],
  allowHeaders: ['authorization', 'content-type', 'x-ag-gateway-slug'],
  exposeHeaders: ['x-request-id', 'x-ratelimit-remaining'],
  allowCredentials: true,
  maxAgeMs: 600_000,
};

function setup(
  policies: Resource<'Policy'>[],
  options: { engine?: (metrics: ProxyMetrics) => PolicyEngine } = {},
) {
  const logLines: string[] = [];
  const store = new ConfigStore();
  const resources = [
    gateway('acme', { limits: { maxRequestBodyBytes: 400, requestTimeoutMs: 2000 } }),
    registry('up'),
    consumer('app', 'acme', ['sk-app', 'sk-app-2'], [route('gpt', ['up'])]),
    consumer('other', 'acme', ['sk-other'], [route('gpt', ['up'])]),
    ...policies,
  ];
  store.replaceAll(resources);
  let now = 1_000_000;
  const metrics = createMetrics({ defaultMetrics: false });
  const engine =
    options.engine?.(metrics) ??
    createPolicyEngine({ limiter: new RateLimiter({ now: () => now, metrics }) });
  const upstream = new Upstream();
  const { listener } = createProxy({
    store,
    adapters: { openai: upstream, 'openai-compatible': upstream, mock: upstream },
    metrics,
    policies: engine,
    logger: createLogger({
      destination: new Writable({
        write(chunk, _e, cb) {
          logLines.push(String(chunk));
          cb();
        },
      }),
    }),
  });
  const app = proxyClient(listener);
  const call = (
    path: string,
    init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) =>
    app.request(path, {
      method: init.method ?? 'POST',
      ...(init.body === undefined
        ? {}
        : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
      headers: {
        'content-type': 'application/json',
        'x-ag-gateway-slug': 'acme',
        authorization: 'Bearer sk-app',
        ...init.headers,
      },
    });
  const chat = (headers: Record<string, string> = {}, body: unknown = CHAT, slug = 'app') =>
    call(`/${slug}/v1/chat/completions`, { body, headers });
  return {
    app,
    call,
    chat,
    store,
    resources,
    upstream,
    metrics,
    logLines,
    advance: (ms: number) => (now += ms),
  };
}
const CHAT = { model: 'gpt', messages: [{ role: 'user', content: 'hi' }] };
const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; message: string; type: string } }).error;

describe('cors', () => {
  const preflight = (s: ReturnType<typeof setup>, slug: string, origin = 'https://app.example.com') =>
    s.app.request(`/${slug}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: {
        'x-ag-gateway-slug': 'acme',
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });

  it('answers a preflight at the edge with 204, before authentication (no key sent)', async () => {
    const s = setup([policy('web', onGateway, { cors: CORS })]);
    const res = await preflight(s, 'app');
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(
      Object.fromEntries([...res.headers].filter(([k]) => k.startsWith('access-control') || k === 'vary')),
    ).toEqual({
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'POST, GET',
      'access-control-allow-headers': 'authorization, content-type, x-ag-gateway-slug',
      'access-control-max-age': '600',
      vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    });
    expect(s.upstream.calls).toHaveLength(0);
  });

  it('answers an unlisted origin without allowing it; OPTIONS without a cors plugin stays 405', async () => {
    const s = setup([policy('web', onApp, { cors: CORS })]);
    const evil = await preflight(s, 'app', 'https://evil.example.com');
    expect(evil.status).toBe(204);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const other = await preflight(s, 'other');
    expect(other.status).toBe(405);
    expect((await errorOf(other)).code).toBe('method_not_allowed');
    expect((await preflight(s, 'nobody')).status).toBe(404);
  });

  it('puts the CORS headers on every response: success, stream, and errors', async () => {
    const s = setup([policy('web', onGateway, { cors: CORS, rateLimit: limit(2) })]);
    s.upstream.headers = { 'content-type': 'application/json', vary: 'Accept-Encoding' };
    const origin = { origin: 'https://app.example.com' };
    const ok = await s.chat(origin);
    const streamed = await s.chat(origin, { ...CHAT, stream: true });
    const limited = await s.chat(origin);
    const unauthorised = await s.chat({ ...origin, authorization: 'Bearer nope' });
    const models = await s.call('/app/v1/models', { method: 'GET', headers: origin });
    expect([ok.status, streamed.status, limited.status, unauthorised.status, models.status]).toEqual([
      200, 200, 429, 401, 429,
    ]);
    for (const res of [ok, streamed, limited, unauthorised, models]) {
      expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
      expect(res.headers.get('access-control-expose-headers')).toBe('x-request-id, x-ratelimit-remaining');
    }
    expect(ok.headers.get('vary')).toBe('Accept-Encoding, Origin');
    expect(limited.headers.get('vary')).toBe('Origin');
  });
});

describe('requestSize', () => {
  it("maxBodyBytes replaces the gateway's limit for the consumers it covers", async () => {
    const s = setup([policy('big', onApp, { requestSize: { maxBodyBytes: 2000 } })]);
    const body = { ...CHAT, pad: 'x'.repeat(1000) };
    expect((await s.chat({}, body)).status).toBe(200); // over the gateway's 400, under the policy's 2000
    const other = await s.chat({ authorization: 'Bearer sk-other' }, body, 'other');
    expect(other.status).toBe(413);
    const tooBig = await s.chat({}, { ...CHAT, pad: 'x'.repeat(3000) });
    expect(tooBig.status).toBe(413);
    expect(await errorOf(tooBig)).toMatchObject({
      code: 'request_too_large',
      message: 'Request body exceeds the limit of 2000 bytes.',
    });
  });

  it('maxMessages: at the limit passes, over it is a 413 too_many_messages', async () => {
    const s = setup([policy('short', onGateway, { requestSize: { maxMessages: 2 } })]);
    const messages = (n: number) => ({
      ...CHAT,
      messages: Array.from({ length: n }, () => ({ role: 'user', content: 'x' })),
    });
    expect((await s.chat({}, messages(2))).status).toBe(200);
    const res = await s.chat({}, messages(3));
    expect(res.status).toBe(413);
    expect(await errorOf(res)).toEqual({
      code: 'too_many_messages',
      type: 'invalid_request_error',
      param: null,
      message: 'The request has 3 messages; at most 2 are allowed.',
    });
    expect(s.upstream.calls).toHaveLength(1);
  });
});

describe('rateLimit', () => {
  it('counts, refuses with 429 + Retry-After in the OpenAI format, and reports the state on every response', async () => {
    const s = setup([policy('limits', onGateway, { rateLimit: limit(2) })]);
    const a = await s.chat();
    const b = await s.chat();
    const c = await s.chat();
    expect([a.status, b.status, c.status]).toEqual([200, 200, 429]);
    expect([a, b, c].map((r) => r.headers.get('x-ratelimit-remaining'))).toEqual(['1', '0', '0']);
    for (const r of [a, b, c]) {
      expect(r.headers.get('x-ratelimit-limit')).toBe('2');
      expect(Number(r.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);
    }
    expect(c.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
    expect(await errorOf(c)).toEqual({
      code: 'rate_limit_exceeded',
      type: 'requests',
      param: null,
      message: expect.stringContaining('Rate limit reached (2 requests per 1m per consumer)'),
    });
    expect(s.upstream.calls).toHaveLength(2);
    // the other consumer has its own counter (key: Consumer)
    expect((await s.chat({ authorization: 'Bearer sk-other' }, CHAT, 'other')).status).toBe(200);
    // and time heals
    s.advance(120_001);
    expect((await s.chat()).status).toBe(200);
  });

  it('a consumer-level limit overrides the gateway-level one for that consumer only', async () => {
    const s = setup([
      policy('gateway-wide', onGateway, { rateLimit: limit(100) }),
      policy('app-strict', onApp, { rateLimit: limit(1) }),
    ]);
    expect((await s.chat()).headers.get('x-ratelimit-limit')).toBe('1');
    expect((await s.chat()).status).toBe(429);
    const other = await s.chat({ authorization: 'Bearer sk-other' }, CHAT, 'other');
    expect(other.status).toBe(200);
    expect(other.headers.get('x-ratelimit-limit')).toBe('100');
  });

  it('key APIKey: each key of a consumer has its own counter', async () => {
    const s = setup([
      policy('per-key', onApp, { rateLimit: limit(1, { key: 'APIKey', algorithm: 'TokenBucket' }) }),
    ]);
    expect((await s.chat()).status).toBe(200);
    expect((await s.chat()).status).toBe(429);
    expect((await s.chat({ authorization: 'Bearer sk-app-2' })).status).toBe(200);
  });

  it('key Header: counted per header value', async () => {
    const s = setup([
      policy('per-user', onApp, { rateLimit: limit(1, { key: 'Header', header: 'x-user' }) }),
    ]);
    expect((await s.chat({ 'x-user': 'alice' })).status).toBe(200);
    expect((await s.chat({ 'x-user': 'alice' })).status).toBe(429);
    expect((await s.chat({ 'x-user': 'bob' })).status).toBe(200);
  });

  it('counters survive a config reload', async () => {
    const s = setup([policy('limits', onGateway, { rateLimit: limit(1) })]);
    expect((await s.chat()).status).toBe(200);
    s.store.replaceAll([...s.resources]);
    expect((await s.chat()).status).toBe(429);
  });

  it('FailClosed answers 503 at once while Redis is unreachable; FailOpen serves from in-process counters', async () => {
    const redis = new RedisCounterStore({
      url: `redis://127.0.0.1:${await refusingPort()}`,
      commandTimeoutMs: 100,
    });
    try {
      const engine = (metrics: ProxyMetrics) =>
        createPolicyEngine({ limiter: new RateLimiter({ redis, metrics }) });
      const s = setup(
        [
          policy('closed', onApp, { rateLimit: limit(5, { failureMode: 'FailClosed' }) }),
          policy('open', [{ kind: 'Consumer', name: 'default/other' }], { rateLimit: limit(1) }),
        ],
        { engine },
      );
      const t0 = performance.now();
      const closed = await s.chat();
      expect(performance.now() - t0).toBeLessThan(200);
      expect(closed.status).toBe(503);
      expect(closed.headers.get('retry-after')).toBe('1');
      expect((await errorOf(closed)).code).toBe('rate_limiter_unavailable');
      const other = () => s.chat({ authorization: 'Bearer sk-other' }, CHAT, 'other');
      expect((await other()).status).toBe(200);
      expect((await other()).status).toBe(429);
      const text = await s.metrics.registry.metrics();
      expect(text).toContain(
        'tollgate_ratelimit_decisions_total{policy="default/closed",decision="unavailable",store="none"} 1',
      );
      expect(text).toContain(
        'tollgate_ratelimit_decisions_total{policy="default/open",decision="limited",store="local"} 1',
      );
    } finally {
      await redis.close();
    }
  });
});

describe('stages in the pipeline', () => {
  function probeEngine(plugin: Plugin): () => PolicyEngine {
    const pipeline = new Pipeline([{ plugins: [plugin], parallel: false }]);
    return () => ({ pipelineFor: () => pipeline, prepare: () => undefined, close: async () => undefined });
  }

  it('runs pre-request, post-request, pre-response and post-response in order, with what each knows', async () => {
    const seen: string[] = [];
    const note = (stage: string) => (req: PolicyRequest) => {
      seen.push(`${stage} upstream=${req.upstream?.model ?? '-'} status=${req.response?.status ?? '-'}`);
    };
    let done: () => void = () => undefined;
    const finished = new Promise<void>((r) => (done = r));
    const s = setup([], {
      engine: probeEngine({
        name: 'probe',
        preRequest: note('pre-request'),
        postRequest: note('post-request'),
        preResponse: note('pre-response'),
        postResponse: (req) => {
          note('post-response')(req);
          done();
        },
      }),
    });
    const res = await s.chat();
    expect(res.status).toBe(200);
    await finished;
    expect(seen).toEqual([
      'pre-request upstream=- status=-',
      'post-request upstream=gpt status=-',
      'pre-response upstream=gpt status=200',
      'post-response upstream=gpt status=200',
    ]);
  });

  it('a pre-response rejection replaces the upstream answer; a post-response failure is only logged', async () => {
    const reject = setup([], {
      engine: probeEngine({
        name: 'guard',
        preResponse: () => {
          throw new GatewayError(400, 'blocked', 'blocked by policy');
        },
      }),
    });
    const res = await reject.chat();
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('blocked');

    const failing = setup([], {
      engine: probeEngine({
        name: 'broken',
        postResponse: () => {
          throw new Error('boom');
        },
      }),
    });
    expect((await failing.chat()).status).toBe(200);
    await new Promise((r) => setTimeout(r, 20));
    expect(failing.logLines.join('')).toContain('post-response policy failed');
  });
});
