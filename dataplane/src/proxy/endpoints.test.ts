import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { ConfigStore } from '../config/store';
import { createMockAdapter } from '../providers/mock';
import { createLogger } from '../telemetry/logger';
import { createMetrics } from '../telemetry/metrics';
import { consumer, gateway, registry, route } from '../testing/resources';
import { createProxy, type Proxy } from './app';
import { ENDPOINTS, matchPath } from './endpoints';

describe('matchPath (the Node listener router)', () => {
  it.each([
    ['/app/v1/chat/completions', 'POST /v1/chat/completions', 'app', undefined],
    ['/v1/chat/completions', 'POST /v1/chat/completions', undefined, undefined],
    ['/v1/messages/count_tokens', 'POST /v1/messages/count_tokens', undefined, undefined],
    ['/app/v1/messages/count_tokens', 'POST /v1/messages/count_tokens', 'app', undefined],
    ['/v1/models', 'GET /v1/models', undefined, undefined],
    ['/v1/v1/models', 'GET /v1/models', 'v1', undefined],
    ['/app/v1/models/gpt-4o', 'GET /v1/models/:id', 'app', 'gpt-4o'],
    ['/v1/models/meta-llama%2FLlama-3', 'GET /v1/models/:id', undefined, 'meta-llama/Llama-3'],
  ])('%s → %s, consumer %s, id %s', (path, endpoint, consumerSlug, id) => {
    const m = matchPath(path);
    expect(m && `${m.ep.method} ${m.ep.rest}`).toBe(endpoint);
    expect(m?.consumer).toBe(consumerSlug);
    expect(m?.id).toBe(id);
  });

  it.each([
    '/',
    '/chat/completions',
    '/app/chat/completions',
    '/app/v1/models/',
    '/app/v1/models/a/b',
    '/v1/models/%E0%A4%A',
    '/app/v2/chat/completions',
  ])('%s matches nothing', (path) => {
    expect(matchPath(path)).toBeUndefined();
  });

  it('every endpoint is reachable both ways', () => {
    for (const ep of ENDPOINTS) {
      const path = ep.rest.replace(':id', 'x');
      expect(matchPath(`/c${path}`)?.ep).toBe(ep);
      expect(matchPath(path)?.ep).toBe(ep);
    }
  });
});

/**
 * The routes through the proxy's one front door, the Node listener on a real socket: status, error
 * code and the token-count header of each (these were the answers both former doors agreed on).
 */
describe('the front door on the new routes', () => {
  let proxy: Proxy;
  let server: http.Server;
  let origin: string;

  beforeAll(async () => {
    const store = new ConfigStore();
    store.replaceAll([
      gateway('acme', { hostnames: ['acme.example.com'] }),
      gateway('beta'),
      registry('mock', { provider: 'mock', models: ['m1'] }),
      consumer('app', 'acme', ['sk-app'], [route('m1', ['mock'])]),
      consumer('twin-a', 'acme', ['sk-twin'], [route('m1', ['mock'])]),
      consumer('twin-b', 'beta', ['sk-twin'], [route('m1', ['mock'])]),
    ]);
    store.markSynced();
    proxy = createProxy({
      store,
      adapters: { mock: createMockAdapter() },
      metrics: createMetrics({ defaultMetrics: false }),
      logger: createLogger({ level: 'silent' }),
    });
    server = http.createServer(proxy.listener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const chat = { model: 'm1', messages: [{ role: 'user', content: 'hi' }] };
  /** Each case: method, path, headers, body; then the status, error code and token-count header expected. */
  const cases: [
    string,
    string,
    string,
    Record<string, string>,
    unknown,
    number,
    string | undefined,
    string | undefined,
  ][] = [
    [
      'key-only chat',
      'POST',
      '/v1/chat/completions',
      { authorization: 'Bearer sk-app' },
      chat,
      200,
      undefined,
      undefined,
    ],
    [
      'key-only, shared key',
      'POST',
      '/v1/chat/completions',
      { authorization: 'Bearer sk-twin' },
      chat,
      400,
      'ambiguous_api_key',
      undefined,
    ],
    [
      'key-only, unknown key',
      'POST',
      '/v1/chat/completions',
      { authorization: 'Bearer sk-nope' },
      chat,
      401,
      'invalid_api_key',
      undefined,
    ],
    ['key-only, no key', 'GET', '/v1/models', {}, undefined, 401, 'missing_api_key', undefined],
    [
      'consumer path by header',
      'POST',
      '/app/v1/chat/completions',
      { authorization: 'Bearer sk-app', 'x-ag-gateway-slug': 'acme' },
      chat,
      200,
      undefined,
      undefined,
    ],
    [
      'a header naming no gateway, the Host naming one',
      'GET',
      '/app/v1/models',
      { authorization: 'Bearer sk-app', 'x-ag-gateway-slug': 'nope', host: 'acme.example.com' },
      undefined,
      404,
      'gateway_not_found',
      undefined,
    ],
    [
      'by Host',
      'GET',
      '/app/v1/models',
      { authorization: 'Bearer sk-app', host: 'acme.example.com' },
      undefined,
      200,
      undefined,
      undefined,
    ],
    [
      'models/{id}',
      'GET',
      '/v1/models/m1',
      { authorization: 'Bearer sk-app' },
      undefined,
      200,
      undefined,
      undefined,
    ],
    [
      'models/{id} Anthropic shape',
      'GET',
      '/v1/models/m1',
      { 'x-api-key': 'sk-app', 'anthropic-version': '2023-06-01' },
      undefined,
      200,
      undefined,
      undefined,
    ],
    [
      'models/{id} unknown',
      'GET',
      '/v1/models/zzz',
      { authorization: 'Bearer sk-app' },
      undefined,
      404,
      'model_not_found',
      undefined,
    ],
    [
      'models/{id} unknown, Anthropic',
      'GET',
      '/app/v1/models/zzz',
      { 'x-api-key': 'sk-app', 'anthropic-version': '2023-06-01', 'x-ag-gateway-slug': 'acme' },
      undefined,
      404,
      'not_found_error',
      undefined,
    ],
    [
      'count_tokens',
      'POST',
      '/v1/messages/count_tokens',
      { 'x-api-key': 'sk-app' },
      chat,
      200,
      undefined,
      'estimate',
    ],
    [
      'count_tokens without messages',
      'POST',
      '/v1/messages/count_tokens',
      { 'x-api-key': 'sk-app' },
      { model: 'm1' },
      400,
      'invalid_request_error',
      undefined,
    ],
    [
      'wrong method, key-only',
      'GET',
      '/v1/chat/completions',
      { authorization: 'Bearer sk-app' },
      undefined,
      405,
      'method_not_allowed',
      undefined,
    ],
    [
      'key-only preflight',
      'OPTIONS',
      '/v1/chat/completions',
      { origin: 'https://x.example' },
      undefined,
      404,
      'consumer_not_found',
      undefined,
    ],
    [
      'unknown URL',
      'POST',
      '/chat/completions',
      { authorization: 'Bearer sk-app' },
      chat,
      404,
      'unknown_url',
      undefined,
    ],
    [
      'empty consumer segment',
      'POST',
      '//v1/chat/completions',
      { authorization: 'Bearer sk-app' },
      chat,
      404,
      'unknown_url',
      undefined,
    ],
    [
      'trailing slash',
      'POST',
      '/v1/chat/completions/',
      { authorization: 'Bearer sk-app' },
      chat,
      404,
      'unknown_url',
      undefined,
    ],
    [
      'models/{id} with a slash',
      'GET',
      '/v1/models/a/b',
      { authorization: 'Bearer sk-app' },
      undefined,
      404,
      'unknown_url',
      undefined,
    ],
    [
      'models/{id} escaped',
      'GET',
      '/v1/models/m%31',
      { authorization: 'Bearer sk-app' },
      undefined,
      200,
      undefined,
      undefined,
    ],
  ];

  it.each(cases)('%s', async (_name, method, path, headers, body, status, code, tokenCount) => {
    const res = await request(`${origin}${path}`, {
      method: method as 'GET',
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.body.text();
    expect(res.statusCode).toBe(status);
    expect(errorCode(text)).toBe(code);
    expect(res.headers['x-tollgate-token-count']).toBe(tokenCount);
  });

  it('the cases answer what the routes promise (through the listener)', async () => {
    const status = async (path: string, headers: Record<string, string>, body?: unknown) => {
      const res = await request(`${origin}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.body.text();
      return `${res.statusCode} ${String((JSON.parse(text) as { error?: { code?: string; type?: string } }).error?.code ?? '')}`;
    };
    expect(await status('/v1/chat/completions', { authorization: 'Bearer sk-app' }, chat)).toBe('200 ');
    expect(await status('/v1/chat/completions', { authorization: 'Bearer sk-twin' }, chat)).toBe(
      '400 ambiguous_api_key',
    );
    expect(
      await status('/app/v1/models', {
        authorization: 'Bearer sk-app',
        'x-ag-gateway-slug': 'nope',
        host: 'acme.example.com',
      }),
    ).toBe('404 gateway_not_found');
    expect(await status('/app/v1/models', { authorization: 'Bearer sk-app', host: 'acme.example.com' })).toBe(
      '200 ',
    );
    expect(await status('/v1/models/zzz', { authorization: 'Bearer sk-app' })).toBe('404 model_not_found');
  });
});

/** The error's code (OpenAI's `code`, Anthropic's `type`); undefined for a success. */
function errorCode(text: string): string | undefined {
  const error = (JSON.parse(text) as { error?: { code?: string; type?: string } }).error;
  return error === undefined ? undefined : (error.code ?? error.type);
}
