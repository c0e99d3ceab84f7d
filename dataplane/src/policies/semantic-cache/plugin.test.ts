import { startCacheFixture, type CacheFixture } from '../../testing/semantic-cache';

/**
 * The semanticCache plugin inside the real proxy, through its listener: chat answered by the
 * built-in mock provider (it echoes the question), prompts embedded by a real HTTP mock of
 * `/v1/embeddings` whose vectors make similar texts similar.
 */
const ask = (content: string, extra: Record<string, unknown> = {}) => ({
  model: 'gpt',
  messages: [{ role: 'user', content }],
  ...extra,
});
const FRANCE = 'What is the capital of France?';
const FRANCE_AGAIN = 'what is the capital of France'; // similarity 0.96 with the mock's vectors
const HAIKU = 'Write a haiku about autumn leaves';

type ChatBody = {
  id: string;
  choices: { message: { content: string } }[];
  usage?: { prompt_tokens: number; completion_tokens: number };
};
const textOf = async (res: Response) => ((await res.json()) as ChatBody).choices[0]?.message.content;
/** Lets post-response hooks (which store answers) finish. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

let f: CacheFixture;
afterEach(async () => {
  await f.close();
});

async function warm(content = FRANCE, extra: Record<string, unknown> = {}, consumer = 'app') {
  const res = await f.post('/v1/chat/completions', ask(content, extra), {}, consumer);
  expect(res.status).toBe(200);
  expect(res.headers.get('x-tollgate-cache')).toBe('miss');
  await res.text();
  await settle();
}

describe('semanticCache: hits and misses', () => {
  it('answers a similar prompt from the cache without calling the upstream', async () => {
    f = await startCacheFixture();
    await warm();
    expect(f.chat.calls).toHaveLength(1);

    const res = await f.post('/v1/chat/completions', ask(FRANCE_AGAIN));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-tollgate-cache')).toBe('hit');
    expect(Number(res.headers.get('x-tollgate-cache-similarity'))).toBeGreaterThanOrEqual(0.9);
    const body = (await res.json()) as ChatBody;
    expect(body.choices[0]?.message.content).toBe(`Echo: ${FRANCE}`); // the first prompt's answer
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.usage).toMatchObject({ prompt_tokens: 0, completion_tokens: 0 });
    expect(f.chat.calls).toHaveLength(1);
    expect(await f.counted('miss')).toBe(1);
    expect(await f.counted('hit')).toBe(1);
  });

  it('misses on a dissimilar prompt', async () => {
    f = await startCacheFixture();
    await warm();
    const res = await f.post('/v1/chat/completions', ask(HAIKU));
    expect(res.headers.get('x-tollgate-cache')).toBe('miss');
    expect(await textOf(res)).toBe(`Echo: ${HAIKU}`);
    expect(f.chat.calls).toHaveLength(2);
  });

  it('misses for another model, other tools or another temperature, even for the same prompt', async () => {
    f = await startCacheFixture();
    await warm();
    const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];
    for (const extra of [{ model: 'gpt-mini' }, { tools }, { temperature: 0 }]) {
      const res = await f.post('/v1/chat/completions', ask(FRANCE, extra));
      expect(res.headers.get('x-tollgate-cache')).toBe('miss');
      await res.text();
    }
    expect(f.chat.calls).toHaveLength(4);
  });

  it('misses when the same question ends another conversation', async () => {
    f = await startCacheFixture();
    await warm();
    const res = await f.post('/v1/chat/completions', {
      model: 'gpt',
      messages: [
        { role: 'user', content: 'We are writing a novel set on Mars.' },
        { role: 'assistant', content: 'Great, tell me more.' },
        { role: 'user', content: FRANCE },
      ],
    });
    expect(res.headers.get('x-tollgate-cache')).toBe('miss');
    expect(f.chat.calls).toHaveLength(2);
  });

  it('stores tool calls and serves them again', async () => {
    f = await startCacheFixture();
    const tools = [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }];
    await warm('Weather in Paris?', { tools });
    const res = await f.post('/v1/chat/completions', ask('weather in Paris', { tools }));
    expect(res.headers.get('x-tollgate-cache')).toBe('hit');
    const body = (await res.json()) as {
      choices: { finish_reason: string; message: { tool_calls: { function: { name: string } }[] } }[];
    };
    expect(body.choices[0]?.finish_reason).toBe('tool_calls');
    expect(body.choices[0]?.message.tool_calls[0]?.function.name).toBe('weather');
    expect(f.chat.calls).toHaveLength(1);
  });
});

describe('semanticCache: scope and lifetime', () => {
  it('scope Consumer: another consumer of the gateway does not see the entry', async () => {
    f = await startCacheFixture({ scope: 'Consumer' });
    await warm();
    const res = await f.post('/v1/chat/completions', ask(FRANCE_AGAIN), {}, 'other');
    expect(res.headers.get('x-tollgate-cache')).toBe('miss');
    expect(f.chat.calls).toHaveLength(2);
  });

  it('scope Gateway: every consumer of the gateway shares the entries', async () => {
    f = await startCacheFixture({ scope: 'Gateway' });
    await warm();
    const res = await f.post('/v1/chat/completions', ask(FRANCE_AGAIN), {}, 'other');
    expect(res.headers.get('x-tollgate-cache')).toBe('hit');
    expect(await textOf(res)).toBe(`Echo: ${FRANCE}`);
    expect(f.chat.calls).toHaveLength(1);
  });

  it('serves an entry until its TTL is over, then asks the upstream again', async () => {
    f = await startCacheFixture({ ttlMs: 10_000 });
    await warm();
    f.clock.now += 9_999;
    expect((await f.post('/v1/chat/completions', ask(FRANCE))).headers.get('x-tollgate-cache')).toBe('hit');
    f.clock.now += 1;
    const res = await f.post('/v1/chat/completions', ask(FRANCE));
    expect(res.headers.get('x-tollgate-cache')).toBe('miss');
    expect(f.chat.calls).toHaveLength(2);
  });

  it('uses the threshold: a stricter one turns the similar prompt into a miss', async () => {
    f = await startCacheFixture({ threshold: 0.99 });
    await warm();
    const res = await f.post('/v1/chat/completions', ask(FRANCE_AGAIN));
    expect(res.headers.get('x-tollgate-cache')).toBe('miss');
    expect((await f.post('/v1/chat/completions', ask(FRANCE))).headers.get('x-tollgate-cache')).toBe('hit');
  });
});

describe('semanticCache: config changes', () => {
  it('keeps its entries across a config reload, and drops them with the Policy', async () => {
    f = await startCacheFixture();
    await warm();
    const resources = [...f.store.current.resources.values()];
    f.store.replaceAll(resources); // a new snapshot, new pipelines: the same cache
    expect((await f.post('/v1/chat/completions', ask(FRANCE))).headers.get('x-tollgate-cache')).toBe('hit');
    f.store.replaceAll(resources.filter((r) => r.kind !== 'Policy'));
    const uncached = await f.post('/v1/chat/completions', ask(FRANCE));
    expect(uncached.headers.get('x-tollgate-cache')).toBeNull();
    f.store.replaceAll(resources); // the Policy is back, its old entries are not
    expect((await f.post('/v1/chat/completions', ask(FRANCE))).headers.get('x-tollgate-cache')).toBe('miss');
    expect(f.chat.calls).toHaveLength(3);
  });
});

describe('semanticCache: threshold 1', () => {
  it('still answers the very same question (32-bit float rounding aside)', async () => {
    f = await startCacheFixture({ threshold: 1 });
    await warm();
    expect((await f.post('/v1/chat/completions', ask(FRANCE))).headers.get('x-tollgate-cache')).toBe('hit');
    expect((await f.post('/v1/chat/completions', ask(FRANCE_AGAIN))).headers.get('x-tollgate-cache')).toBe(
      'miss',
    );
  });
});

describe('semanticCache: what is not cached', () => {
  it('Cache-Control: no-store neither looks up nor stores', async () => {
    f = await startCacheFixture();
    const first = await f.post('/v1/chat/completions', ask(FRANCE), { 'cache-control': 'no-store' });
    expect(first.headers.get('x-tollgate-cache')).toBe('skip');
    await first.text();
    await settle();
    expect((await f.post('/v1/chat/completions', ask(FRANCE))).headers.get('x-tollgate-cache')).toBe('miss');
    expect(f.chat.calls).toHaveLength(2);
    expect(f.embeddings.requests).toHaveLength(1); // no-store does not even embed
  });

  it('Cache-Control: no-cache asks the upstream and stores the fresh answer in place of the old one', async () => {
    f = await startCacheFixture();
    await warm();
    const refresh = await f.post('/v1/chat/completions', ask(FRANCE_AGAIN), { 'cache-control': 'no-cache' });
    expect(refresh.headers.get('x-tollgate-cache')).toBe('skip');
    expect(await textOf(refresh)).toBe(`Echo: ${FRANCE_AGAIN}`);
    await settle();
    const res = await f.post('/v1/chat/completions', ask(FRANCE_AGAIN));
    expect(res.headers.get('x-tollgate-cache')).toBe('hit');
    expect(await textOf(res)).toBe(`Echo: ${FRANCE_AGAIN}`);
    expect(f.chat.calls).toHaveLength(2);
  });

  it('does not store a failed answer', async () => {
    f = await startCacheFixture();
    f.chat.mode = 'error';
    const failed = await f.post('/v1/chat/completions', ask(FRANCE));
    expect(failed.status).toBe(500); // relayed as the upstream answered
    await failed.text();
    await settle();
    f.chat.mode = 'ok';
    const calls = f.chat.calls.length;
    const res = await f.post('/v1/chat/completions', ask(FRANCE));
    expect(res.headers.get('x-tollgate-cache')).toBe('miss');
    expect(f.chat.calls.length).toBe(calls + 1);
  });

  it('does not store an answer cut off by max_tokens', async () => {
    f = await startCacheFixture();
    f.chat.mode = 'length';
    const cut = await f.post('/v1/chat/completions', ask(FRANCE));
    expect(((await cut.json()) as { choices: { finish_reason: string }[] }).choices[0]?.finish_reason).toBe(
      'length',
    );
    await settle();
    f.chat.mode = 'ok';
    expect((await f.post('/v1/chat/completions', ask(FRANCE))).headers.get('x-tollgate-cache')).toBe('miss');
  });

  it('does not store a stream that broke before it finished, and stores one that finished', async () => {
    f = await startCacheFixture();
    f.chat.mode = 'cut';
    const broken = await f.post('/v1/chat/completions', ask(FRANCE, { stream: true }));
    expect(broken.status).toBe(200);
    expect(await broken.text()).toContain('"error"');
    await settle();
    f.chat.mode = 'ok';
    const whole = await f.post('/v1/chat/completions', ask(FRANCE, { stream: true }));
    expect(whole.headers.get('x-tollgate-cache')).toBe('miss');
    expect(await whole.text()).toContain('[DONE]');
    await settle();
    const res = await f.post('/v1/chat/completions', ask(FRANCE_AGAIN));
    expect(res.headers.get('x-tollgate-cache')).toBe('hit');
    expect(await textOf(res)).toBe(`Echo: ${FRANCE}`);
    expect(f.chat.calls).toHaveLength(2);
  });

  it('leaves embeddings requests and model lists alone', async () => {
    f = await startCacheFixture();
    const res = await f.post('/v1/embeddings', { model: 'gpt', input: 'hi' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-tollgate-cache')).toBeNull();
    expect(await f.counted('skip')).toBe(0);
  });
});

describe('semanticCache: embeddings unavailable', () => {
  it('serves the request without the cache when the embeddings API fails, and says so', async () => {
    f = await startCacheFixture();
    f.embeddings.behave({ kind: 'status', status: 500 });
    const res = await f.post('/v1/chat/completions', ask(FRANCE));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-tollgate-cache')).toBe('skip');
    expect(await textOf(res)).toBe(`Echo: ${FRANCE}`);
    expect(await f.counted('error')).toBe(1);
    expect(f.logs.join('')).toContain('semantic cache: embedding failed');
    expect(f.logs.join('')).not.toContain('sk-embed');
  });

  it('bounds a hanging embeddings API by its timeout, then skips it for a while', async () => {
    f = await startCacheFixture({}, { embedTimeoutMs: 200 });
    f.embeddings.behave({ kind: 'hang' });
    const start = performance.now();
    const res = await f.post('/v1/chat/completions', ask(FRANCE));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-tollgate-cache')).toBe('skip');
    expect(performance.now() - start).toBeLessThan(1500);
    // Within the back-off the embeddings API is not called at all: no second wait.
    const quick = performance.now();
    const again = await f.post('/v1/chat/completions', ask(FRANCE));
    expect(again.status).toBe(200);
    expect(performance.now() - quick).toBeLessThan(150);
    expect(f.embeddings.requests).toHaveLength(1);
    expect(await f.counted('error')).toBe(2);
    expect(f.chat.calls).toHaveLength(2);
  });

  it('skips the cache when the embedding Registry is not in the config, and recovers when it is back', async () => {
    f = await startCacheFixture();
    const resources = [...f.store.current.resources.values()];
    f.store.replaceAll(resources.filter((r) => !(r.kind === 'Registry' && r.name === 'default/embed')));
    const res = await f.post('/v1/chat/completions', ask(FRANCE));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-tollgate-cache')).toBe('skip');
    f.store.replaceAll(resources);
    f.clock.now += 60_000; // past the back-off
    const back = await f.post('/v1/chat/completions', ask(FRANCE));
    expect(back.headers.get('x-tollgate-cache')).toBe('miss');
  });
});

describe('semanticCache: OpenAI Responses', () => {
  it('answers a similar streamed Responses request from the cache as a Responses event stream', async () => {
    f = await startCacheFixture();
    const first = await f.post('/v1/responses', { model: 'gpt', input: FRANCE });
    expect(first.headers.get('x-tollgate-cache')).toBe('miss');
    await first.text();
    await settle();
    const res = await f.post('/v1/responses', { model: 'gpt', input: FRANCE_AGAIN, stream: true });
    expect(res.headers.get('x-tollgate-cache')).toBe('hit');
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    expect(text).toContain('event: response.created');
    expect(text).toContain('event: response.completed');
    expect(text).toContain(`"delta":"Echo: ${FRANCE}"`);
    expect(f.chat.calls).toHaveLength(1);
  });
});

describe('semanticCache: Anthropic Messages', () => {
  it('answers a similar Messages request from the cache as a Messages body', async () => {
    f = await startCacheFixture();
    const msg = (content: string) => ({
      model: 'gpt',
      max_tokens: 64,
      messages: [{ role: 'user', content }],
    });
    const headers = { 'anthropic-version': '2023-06-01' };
    const first = await f.post('/v1/messages', msg(FRANCE), headers);
    expect(first.headers.get('x-tollgate-cache')).toBe('miss');
    await first.text();
    await settle();
    const res = await f.post('/v1/messages', msg(FRANCE_AGAIN), headers);
    expect(res.headers.get('x-tollgate-cache')).toBe('hit');
    const body = (await res.json()) as { type: string; id: string; content: { text: string }[] };
    expect(body.type).toBe('message');
    expect(body.content[0]?.text).toBe(`Echo: ${FRANCE}`);
    expect(f.chat.calls).toHaveLength(1);
  });
});
