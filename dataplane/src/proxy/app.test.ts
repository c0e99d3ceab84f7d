import { Writable } from 'node:stream';
import { ConfigStore } from '../config/store';
import type { ProviderAdapter, UpstreamCall, UpstreamResponse } from '../providers/types';
import { UpstreamError } from '../providers/types';
import { createLogger } from '../telemetry/logger';
import { createMetrics } from '../telemetry/metrics';
import { consumer, gateway, registry, route } from '../testing/resources';
import { createProxy } from './app';
import { proxyClient } from '../testing/proxy-client';
import { jsonPoster } from '../testing/requests';

/** An adapter that records calls and answers what the test scripts: the boundary, not a stub of the pipeline. */
class ScriptedAdapter implements ProviderAdapter {
  calls: UpstreamCall[] = [];
  next: (call: UpstreamCall) => Promise<UpstreamResponse> = async (call) =>
    json(200, { ok: true, model: call.model, choices: [] });
  send(call: UpstreamCall) {
    this.calls.push(call);
    return this.next(call);
  }
  async close() {}
}

async function* chunks(...parts: string[]) {
  for (const p of parts) yield Buffer.from(p);
}
function json(status: number, body: unknown): UpstreamResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: chunks(JSON.stringify(body)) };
}

type Listener = ReturnType<typeof createProxy>['listener'];

function setup(opts: { maxBody?: number; around?: (listener: Listener) => Listener } = {}) {
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(String(chunk));
      cb();
    },
  });
  const store = new ConfigStore();
  store.replaceAll([
    gateway('acme', {
      hostnames: ['acme.example.com'],
      limits: { maxRequestBodyBytes: opts.maxBody ?? 4096, requestTimeoutMs: 300 },
    }),
    registry('up', {
      apiKey: 'sk-upstream-secret',
      models: ['real-model', 'other'],
      aliases: { alias: 'real-model' },
    }),
    registry('ghost-reg'),
    consumer(
      'app',
      'acme',
      ['sk-caller'],
      [
        route('gpt', ['up', 1, 'real-model']),
        route('alias', ['up']),
        route('other', ['up']),
        route('unserved', ['up']),
        route('dead', ['missing-registry']),
      ],
    ),
    consumer('other', 'acme', ['sk-other'], [route('gpt', ['up'])]),
  ]);
  store.markSynced();
  const adapter = new ScriptedAdapter();
  const metrics = createMetrics({ defaultMetrics: false });
  const { listener } = createProxy({
    store,
    adapters: { openai: adapter, 'openai-compatible': adapter, mock: adapter },
    metrics,
    logger: createLogger({ destination }),
  });
  const app = proxyClient(opts.around ? opts.around(listener) : listener);
  const post = jsonPoster(app, 'sk-caller');
  return { app, adapter, store, metrics, post, logLines };
}

const chat = { model: 'gpt', messages: [{ role: 'user', content: 'hi' }] };

describe('proxy pipeline', () => {
  it('routes, swaps the model, sends registry credentials, and tags the response', async () => {
    const { post, adapter } = setup();
    const res = await post('/app/v1/chat/completions', chat, { 'x-request-id': 'req-123' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, model: 'real-model', choices: [] });
    expect(res.headers.get('x-selected-provider')).toBe('openai-compatible');
    expect(res.headers.get('x-selected-registry')).toBe('default/up');
    expect(res.headers.get('x-selected-model')).toBe('real-model');
    expect(res.headers.get('x-request-id')).toBe('req-123');
    const call = adapter.calls[0];
    expect(call?.model).toBe('real-model');
    expect(call?.registry.apiKey).toBe('sk-upstream-secret');
    // The model changed, so the body is re-encoded with the upstream's name (nothing else changes).
    expect(call?.body).toEqual({ ...chat, model: 'real-model' });
    expect(call?.rawBody).toBeUndefined();
    expect(call?.format).toBe('openai-chat');
  });

  it('writes the answer before recording it (metrics and access log are off the critical path)', async () => {
    const inFlightAtEnd: number[] = [];
    const { post, metrics, logLines } = setup({
      around: (listener) => (req, res) => {
        const end = res.end.bind(res);
        res.end = ((...args: Parameters<typeof res.end>) => {
          inFlightAtEnd.push(metrics.inFlight.value);
          return end(...args);
        }) as typeof res.end;
        listener(req, res);
      },
    });
    const res = await post('/app/v1/chat/completions', chat);
    expect(res.status).toBe(200);
    // Still in flight while its answer is written; recorded right after, in the same turn.
    expect(inFlightAtEnd).toEqual([1]);
    expect(metrics.inFlight.value).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(logLines.join('')).toContain('"status":200');
  });

  it('passes the raw bytes through untouched when the model name is the upstream one', async () => {
    const { post, adapter } = setup();
    const raw =
      '{"model":"other",  "messages":[{"role":"user","content":"x"}],"unknown_field":{"kept":true}}';
    expect((await post('/app/v1/chat/completions', raw)).status).toBe(200);
    expect(adapter.calls[0]?.model).toBe('other');
    expect(Buffer.from(adapter.calls[0]?.rawBody ?? []).toString()).toBe(raw);
  });

  it('re-encodes the body when an alias rewrites the model, keeping unknown fields', async () => {
    const { post, adapter } = setup();
    const raw = '{"model":"alias","messages":[{"role":"user","content":"x"}],"unknown_field":{"kept":true}}';
    expect((await post('/app/v1/chat/completions', raw)).status).toBe(200);
    const call = adapter.calls[0];
    expect(call?.model).toBe('real-model');
    expect(call?.rawBody).toBeUndefined();
    expect(call?.body).toEqual({
      model: 'real-model',
      messages: [{ role: 'user', content: 'x' }],
      unknown_field: { kept: true },
    });
  });

  it('generates a request id when none (or a malformed one) is given', async () => {
    const { post } = setup();
    const res = await post('/app/v1/chat/completions', chat, { 'x-request-id': 'bad id with spaces' });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('finds the gateway by Host', async () => {
    const { app } = setup();
    const res = await app.request('http://acme.example.com/app/v1/models', {
      headers: { 'x-api-key': 'sk-caller' },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; data: { id: string }[] };
    expect(body.object).toBe('list');
    expect(body.data.map((m) => m.id)).toEqual(['alias', 'dead', 'gpt', 'other', 'unserved']);
  });

  type Case = [
    name: string,
    path: string,
    body: unknown,
    headers: Record<string, string>,
    status: number,
    code: string,
  ];
  const cases: Case[] = [
    ['malformed JSON', '/app/v1/chat/completions', '{"model":', {}, 400, 'invalid_json'],
    ['JSON that is not an object', '/app/v1/chat/completions', '[1,2]', {}, 400, 'invalid_request'],
    ['model missing', '/app/v1/chat/completions', { messages: [] }, {}, 400, 'invalid_model'],
    ['model wrong type', '/app/v1/chat/completions', { model: 42, messages: [] }, {}, 400, 'invalid_model'],
    [
      'messages wrong type',
      '/app/v1/chat/completions',
      { model: 'gpt', messages: 'hi' },
      {},
      400,
      'invalid_messages',
    ],
    ['stream wrong type', '/app/v1/chat/completions', { ...chat, stream: 'yes' }, {}, 400, 'invalid_type'],
    ['embeddings input missing', '/app/v1/embeddings', { model: 'gpt' }, {}, 400, 'invalid_input'],
    [
      'not JSON content type',
      '/app/v1/chat/completions',
      chat,
      { 'content-type': 'text/plain' },
      415,
      'unsupported_media_type',
    ],
    ['no key', '/app/v1/chat/completions', chat, { authorization: '' }, 401, 'missing_api_key'],
    [
      'bad key',
      '/app/v1/chat/completions',
      chat,
      { authorization: 'Bearer sk-nope' },
      401,
      'invalid_api_key',
    ],
    [
      'key of another consumer',
      '/app/v1/chat/completions',
      chat,
      { authorization: 'Bearer sk-other' },
      403,
      'api_key_not_allowed',
    ],
    [
      'unknown gateway',
      '/app/v1/chat/completions',
      chat,
      { 'x-ag-gateway-slug': 'nope' },
      404,
      'gateway_not_found',
    ],
    ['unknown consumer', '/nobody/v1/chat/completions', chat, {}, 404, 'consumer_not_found'],
    ['unknown model', '/app/v1/chat/completions', { ...chat, model: 'nope' }, {}, 404, 'model_not_found'],
    [
      'model the registry does not serve',
      '/app/v1/chat/completions',
      { ...chat, model: 'unserved' },
      {},
      404,
      'model_not_found',
    ],
    [
      'route whose registry is gone',
      '/app/v1/chat/completions',
      { ...chat, model: 'dead' },
      {},
      503,
      'no_upstream_available',
    ],
    ['unknown endpoint', '/app/v1/images/generations', chat, {}, 404, 'unknown_url'],
    ['wrong method', '/app/v1/chat/completions', undefined, {}, 405, 'method_not_allowed'],
  ];
  it.each(
    cases.map(([name, path, body, headers, status, code]) => ({ name, path, body, headers, status, code })),
  )('$name → $status $code in OpenAI error format', async ({ path, body, headers, status, code }) => {
    const { app, post, adapter } = setup();
    const res =
      body === undefined
        ? await app.request(path, { method: 'GET', headers: { 'x-ag-gateway-slug': 'acme' } })
        : await post(path, body, headers);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/json');
    const err = (await res.json()) as { error: { message: string; type: string; code: string; param: null } };
    expect(err.error.code).toBe(code);
    expect(typeof err.error.message).toBe('string');
    expect(err.error.message.length).toBeGreaterThan(5);
    expect(err.error).toHaveProperty('type');
    expect(err.error.param).toBeNull();
    expect(adapter.calls).toHaveLength(0);
  });

  it('413 for a body over the gateway limit, by length or while streaming', async () => {
    const { post, app } = setup({ maxBody: 100 });
    const big = { ...chat, pad: 'x'.repeat(200) };
    expect((await post('/app/v1/chat/completions', big)).status).toBe(413);
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode('x'.repeat(50)));
        c.close();
      },
    });
    const res = await app.request('/app/v1/chat/completions', {
      method: 'POST',
      body: stream,
      headers: { 'x-ag-gateway-slug': 'acme', authorization: 'Bearer sk-caller' },
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
  });

  it.each([
    ['connect', 502, 'upstream_error'],
    ['timeout', 504, 'upstream_timeout'],
  ] as const)('upstream %s error → %i', async (kind, status, code) => {
    const { post, adapter } = setup();
    adapter.next = async () => {
      throw new UpstreamError(kind, 'ECONNREFUSED');
    };
    const res = await post('/app/v1/chat/completions', chat);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
  });

  it('504 when the gateway deadline passes while the upstream hangs', async () => {
    const { post, adapter } = setup();
    adapter.next = (call) =>
      new Promise((_resolve, reject) => call.signal.once('abort', () => reject(call.signal.reason)));
    const started = Date.now();
    const res = await post('/app/v1/chat/completions', chat);
    expect(res.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('relays upstream 4xx/5xx bodies, but hides an upstream credential rejection as 502', async () => {
    const { post, adapter } = setup();
    adapter.next = async () =>
      json(429, { error: { message: 'slow down', type: 'requests', code: 'rate_limit_exceeded' } });
    const limited = await post('/app/v1/chat/completions', chat);
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { error: { message: string } }).error.message).toBe('slow down');
    adapter.next = async () => json(401, { error: { message: 'Incorrect API key provided: sk-upst***' } });
    const denied = await post('/app/v1/chat/completions', chat);
    expect(denied.status).toBe(502);
    expect(await denied.text()).not.toContain('sk-upst');
  });

  it('relays SSE event by event and turns a mid-stream failure into an error event', async () => {
    const { post, adapter } = setup();
    adapter.next = async () => ({
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      body: (async function* () {
        yield Buffer.from('data: {"n":1}\n\nda');
        yield Buffer.from('ta: {"n":2}\n\ndata: {"n":3, "partial');
        throw Object.assign(new Error('socket hang up'), { code: 'UND_ERR_SOCKET' });
      })(),
    });
    const res = await post('/app/v1/chat/completions', { ...chat, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    const events = text.split('\n\n').filter(Boolean);
    expect(events[0]).toBe('data: {"n":1}');
    expect(events[1]).toBe('data: {"n":2}');
    // the half-received third event is not forwarded; an explicit error event is
    expect(events).toHaveLength(3);
    const err = JSON.parse((events[2] ?? '').replace(/^data: /, '')) as {
      error: { code: string; message: string };
    };
    expect(err.error.code).toBe('upstream_stream_error');
    // in words: the library's code is for the log only
    expect(err.error.message).toContain('closed the connection');
    expect(err.error.message).not.toContain('UND_ERR_SOCKET');
    expect(text).not.toContain('[DONE]');
  });

  it('keeps the config a request started with when a new one is swapped in', async () => {
    const { post, adapter, store } = setup();
    let release: () => void = () => undefined;
    let arrived: () => void = () => undefined;
    const called = new Promise<void>((r) => (arrived = r));
    adapter.next = (call) =>
      new Promise((resolve) => {
        release = () => resolve(json(200, { model: call.model, choices: [] }));
        arrived();
      });
    const pending = post('/app/v1/chat/completions', chat);
    await called; // the request is at the upstream
    store.replaceAll([]); // everything removed mid-flight
    release();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ model: 'real-model', choices: [] });
    expect((await post('/app/v1/chat/completions', chat)).status).toBe(404);
  });

  it('logs one line per request with no secret, and counts metrics by bounded labels', async () => {
    const { post, logLines, metrics } = setup();
    await post('/app/v1/chat/completions', chat, { 'x-request-id': 'log-1' });
    await post('/app/v1/chat/completions', chat, { authorization: 'Bearer sk-wrong-key' });
    await post('/app/v1/chat/completions', { ...chat, model: 'made-up-model-name' });
    await new Promise((r) => setTimeout(r, 50));
    const requests = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'request');
    expect(requests).toHaveLength(3);
    expect(requests[0]).toMatchObject({
      requestId: 'log-1',
      status: 200,
      gateway: 'acme',
      consumer: 'app',
      model: 'gpt',
    });
    const all = logLines.join('\n');
    for (const secret of ['sk-caller', 'sk-wrong-key', 'sk-upstream-secret'])
      expect(all).not.toContain(secret);
    const text = await metrics.registry.metrics();
    expect(text).toContain(
      'tollgate_requests_total{gateway="acme",consumer="app",registry="default/up",model="gpt",status="200"} 1',
    );
    expect(text).toContain('status="401"} 1');
    expect(text).not.toContain('made-up-model-name');
  });
});
