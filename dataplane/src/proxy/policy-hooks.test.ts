import { Writable } from 'node:stream';
import { ConfigStore } from '../config/store';
import type { ChatResponse } from '../formats/ir';
import type { PolicyEngine } from '../policies/engine';
import { Pipeline } from '../policies/pipeline';
import type { Plugin, PolicyRequest } from '../policies/types';
import { recordingMock } from '../testing/recording-mock';
import { createLogger } from '../telemetry/logger';
import { createMetrics } from '../telemetry/metrics';
import { consumer, gateway, registry, route } from '../testing/resources';
import { GatewayError } from '../errors/errors';
import { createProxy } from './app';
import { proxyClient } from '../testing/proxy-client';
import { jsonPoster } from '../testing/requests';

/**
 * What plugins can do beyond accepting or refusing: answer in place of the upstream, replace the
 * body, inspect and rewrite whole responses, read the whole response after it was sent. Through
 * the proxy's listener against the built-in mock provider (real codecs on both sides).
 */
type Listener = ReturnType<typeof createProxy>['listener'];

function setup(plugin: Plugin, around: (listener: Listener) => Listener = (l) => l) {
  const store = new ConfigStore();
  store.replaceAll([
    gateway('acme'),
    registry('up', {
      provider: 'mock',
      mock: { latencyMs: 0, chunkDelayMs: 0, failureRate: 0, failureStatus: 500 },
    }),
    consumer(
      'app',
      'acme',
      ['sk-app'],
      [route('gpt', ['up', 1, 'gpt-up']), route('cheap', ['up', 1, 'cheap-up'])],
    ),
  ]);
  const { adapter: recording, calls } = recordingMock();
  const pipeline = new Pipeline([{ plugins: [plugin], parallel: false }]);
  const engine: PolicyEngine = {
    pipelineFor: () => pipeline,
    prepare: () => undefined,
    close: async () => undefined,
  };
  const metrics = createMetrics({ defaultMetrics: false });
  const { listener } = createProxy({
    store,
    adapters: { mock: recording },
    metrics,
    policies: engine,
    logger: createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
  });
  const app = proxyClient(around(listener));
  const post = jsonPoster(app, 'sk-app');
  return { post, calls, metrics };
}

const CHAT = { model: 'gpt', messages: [{ role: 'user', content: 'hello there' }] };
const MESSAGES = { model: 'gpt', max_tokens: 50, messages: [{ role: 'user', content: 'hello there' }] };
const CACHED: ChatResponse = {
  id: 'cached_1',
  model: 'gpt-up',
  content: [{ type: 'text', text: 'from the cache' }],
  stopReason: 'end',
  usage: { inputTokens: 7, outputTokens: 3 },
};

/** Resolves with the request once post-response ran. */
function afterResponse(): { hook: (req: PolicyRequest) => void; done: Promise<PolicyRequest> } {
  let resolve: (r: PolicyRequest) => void = () => undefined;
  const done = new Promise<PolicyRequest>((r) => (resolve = r));
  return { hook: (req) => resolve(req), done };
}

describe('a pre-request answer (a cache hit)', () => {
  it('is sent in the OpenAI format without calling the upstream; post-response sees it as cached', async () => {
    const after = afterResponse();
    const s = setup({
      name: 'cache',
      preRequest: () => ({ response: CACHED, headers: { 'x-tollgate-cache': 'hit' } }),
      postResponse: after.hook,
    });
    const res = await s.post('/app/v1/chat/completions', CHAT);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-tollgate-cache')).toBe('hit');
    const body = (await res.json()) as { object: string; choices: { message: { content: string } }[] };
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0]?.message.content).toBe('from the cache');
    expect(s.calls).toHaveLength(0);
    const req = await after.done;
    expect(req.response).toEqual({ status: 200, stream: false, cached: true });
  });

  it('is written before it is recorded, as an upstream answer is', async () => {
    const inFlightAtEnd: number[] = [];
    const s = setup({ name: 'cache', preRequest: () => ({ response: CACHED }) }, (listener) => (req, res) => {
      const end = res.end.bind(res);
      res.end = ((...args: Parameters<typeof res.end>) => {
        inFlightAtEnd.push(s.metrics.inFlight.value);
        return end(...args);
      }) as typeof res.end;
      listener(req, res);
    });
    const res = await s.post('/app/v1/chat/completions', CHAT);
    expect(res.status).toBe(200);
    // Still in flight while its answer is written; recorded right after, in the same turn.
    expect(inFlightAtEnd).toEqual([1]);
    expect(s.metrics.inFlight.value).toBe(0);
  });

  it('is a proper stream in the caller’s format when the caller streams (Anthropic Messages)', async () => {
    const s = setup({ name: 'cache', preRequest: () => ({ response: CACHED }) });
    const res = await s.post(
      '/app/v1/messages',
      { ...MESSAGES, stream: true },
      { 'anthropic-version': '2023-06-01' },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    const events = [...text.matchAll(/^event: (\S+)/gm)].map((m) => m[1]);
    expect(events).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(text).toContain('"text":"from the cache"');
    expect(s.calls).toHaveLength(0);
  });
});

describe('a replaced body', () => {
  it('routes by its model and is what the upstream receives', async () => {
    const s = setup({
      name: 'rewrite',
      preRequest: (req) => {
        req.setBody({ ...req.body, model: 'cheap', messages: [{ role: 'user', content: 'masked [EMAIL]' }] });
      },
    });
    const res = await s.post('/app/v1/chat/completions', CHAT);
    expect(res.status).toBe(200);
    expect(s.calls).toHaveLength(1);
    expect(s.calls[0]?.model).toBe('cheap-up');
    expect(res.headers.get('x-selected-model')).toBe('cheap-up');
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toBe('Echo: masked [EMAIL]');
  });

  it('is checked again: a plugin that breaks the body gets the same 400 a caller would', async () => {
    const s = setup({ name: 'broken', preRequest: (req) => req.setBody({ ...req.body, model: 7 }) });
    const res = await s.post('/app/v1/chat/completions', CHAT);
    expect(res.status).toBe(400);
    expect(s.calls).toHaveLength(0);
  });
});

describe('response inspection', () => {
  const shout: Plugin = {
    name: 'shout',
    inspectResponse: (_req, res) => ({
      ...res,
      content: res.content.map((p) => (p.type === 'text' ? { ...p, text: p.text.toUpperCase() } : p)),
    }),
  };

  it('rewrites a native response (OpenAI caller, OpenAI-format upstream)', async () => {
    const s = setup(shout);
    const res = await s.post('/app/v1/chat/completions', CHAT);
    const body = (await res.json()) as {
      choices: { message: { content: string } }[];
      usage: { total_tokens: number };
    };
    expect(body.choices[0]?.message.content).toBe('ECHO: HELLO THERE');
    expect(body.usage.total_tokens).toBeGreaterThan(0);
  });

  it('rewrites a translated response (Anthropic caller)', async () => {
    const s = setup(shout);
    const res = await s.post('/app/v1/messages', MESSAGES, { 'anthropic-version': '2023-06-01' });
    const body = (await res.json()) as { type: string; content: { text: string }[] };
    expect(body.type).toBe('message');
    expect(body.content[0]?.text).toBe('ECHO: HELLO THERE');
  });

  it('refuses a response with the error in the caller’s format', async () => {
    const s = setup({
      name: 'guard',
      inspectResponse: () => {
        throw new GatewayError(422, 'response_blocked', 'The response was blocked by policy.');
      },
    });
    const res = await s.post('/app/v1/messages', MESSAGES, { 'anthropic-version': '2023-06-01' });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'The response was blocked by policy.' },
    });
  });

  it('leaves streams alone', async () => {
    const s = setup(shout);
    const res = await s.post('/app/v1/chat/completions', { ...CHAT, stream: true });
    expect(await res.text()).toContain('"content":" there"');
  });
});

describe('the whole response for post-response', () => {
  const reader = () => {
    const after = afterResponse();
    return {
      plugin: { name: 'reader', needsResponseContent: true, postResponse: after.hook },
      done: after.done,
    };
  };

  it.each([
    ['a native body', '/app/v1/chat/completions', CHAT, {}],
    ['a native stream', '/app/v1/chat/completions', { ...CHAT, stream: true }, {}],
    ['a translated body', '/app/v1/messages', MESSAGES, { 'anthropic-version': '2023-06-01' }],
    [
      'a translated stream',
      '/app/v1/messages',
      { ...MESSAGES, stream: true },
      { 'anthropic-version': '2023-06-01' },
    ],
  ])('is assembled from %s', async (_what, path, body, headers) => {
    const r = reader();
    const s = setup(r.plugin);
    const res = await s.post(path, body, headers);
    expect(res.status).toBe(200);
    await res.text();
    const req = await r.done;
    expect(req.responseContent?.content).toEqual([{ type: 'text', text: 'Echo: hello there' }]);
    expect(req.responseContent?.stopReason).toBe('end');
    expect(req.usage?.outputTokens).toBe(3);
  });
});
