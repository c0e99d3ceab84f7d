import type { CompiledTokenRateLimit } from '@tollgate/protocol';
import { openAIErrorOf, policy, usageProxy } from '../../testing/usage-proxy';
import { RateLimiter } from '../rate-limit/limiter';
import type { PolicyRequest } from '../types';
import { TokenLimiter } from './limiter';
import { createTokenRateLimit } from './plugin';

/**
 * tokenRateLimit through the proxy (its listener, built-in mock provider). One mock chat of
 * "hello there" uses 8 tokens: 5 input + 3 output ("Echo: hello there").
 */
const limit = (tokens: number, over: Partial<CompiledTokenRateLimit> = {}): CompiledTokenRateLimit => ({
  tokens,
  windowMs: 60_000,
  estimatePrompt: false,
  key: 'Consumer',
  failureMode: 'FailOpen',
  ...over,
});

function setup(config: CompiledTokenRateLimit) {
  let now = 1_200_000; // a whole number of minutes: the window starts here
  const s = usageProxy([policy('tokens', { tokenRateLimit: config })], { now: () => now });
  return { ...s, advance: (ms: number) => (now += ms) };
}

const tokenHeaders = (res: Response) => [
  res.headers.get('x-ratelimit-limit-tokens'),
  res.headers.get('x-ratelimit-remaining-tokens'),
  res.headers.get('x-ratelimit-reset-tokens'),
];

describe('tokenRateLimit', () => {
  it('charges the reported usage of plain and streamed responses, then refuses with 429 and an exact Retry-After', async () => {
    const s = setup(limit(20));
    const a = await s.chat();
    expect(a.status).toBe(200);
    await a.json();
    await s.settle();
    const b = await s.chat('gpt', { stream: true });
    expect(b.status).toBe(200);
    expect(await b.text()).toContain('data: [DONE]');
    await s.settle();
    const c = await s.chat();
    await c.json();
    await s.settle();
    const d = await s.chat();
    expect([a.status, b.status, c.status, d.status]).toEqual([200, 200, 200, 429]);
    // remaining is before the request's own usage; reset is when the window is empty again
    expect([a, b, c, d].map(tokenHeaders)).toEqual([
      ['20', '20', '0ms'],
      ['20', '12', '2m0s'],
      ['20', '4', '2m0s'],
      ['20', '0', '2m0s'],
    ]);
    // 24 used of 20: the next window opens with all 24 weighing on it, one token fits once
    // 24 × (1 - t/60s) + 1 <= 20, i.e. 12.54 s into it: 72.54 s from now
    expect(d.headers.get('retry-after')).toBe('73');
    expect(await openAIErrorOf(d)).toMatchObject({
      code: 'token_rate_limit_exceeded',
      message: expect.stringContaining('Token rate limit reached (20 tokens per 1m per consumer)'),
    });
    // another consumer has its own counter
    expect((await s.chat('gpt', { consumer: 'other', key: 'sk-other' })).status).toBe(200);
    s.advance(72_539);
    expect((await s.chat()).status).toBe(429);
    s.advance(1);
    expect((await s.chat()).status).toBe(200);
  });

  it('estimatePrompt: refuses a prompt estimated over what is left, and one over the whole limit without Retry-After', async () => {
    const s = setup(limit(100, { estimatePrompt: true }));
    const tooLarge = await s.chat('gpt', { text: 'x'.repeat(404) }); // ~101 tokens
    expect(tooLarge.status).toBe(429);
    expect(tooLarge.headers.get('retry-after')).toBeNull();
    expect(await openAIErrorOf(tooLarge)).toMatchObject({
      code: 'token_rate_limit_exceeded',
      message: expect.stringContaining('Request too large: the prompt alone is about 101 tokens'),
    });
    const first = await s.chat('gpt', { text: 'x'.repeat(300) }); // ~75 tokens, 7 used (5 in + "Echo: x…")
    expect(first.status).toBe(200);
    await first.json();
    await s.settle();
    const refused = await s.chat('gpt', { text: 'x'.repeat(376) }); // ~94 tokens, 93 left
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-ratelimit-remaining-tokens')).toBe('93');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await openAIErrorOf(refused)).message).toContain(
      'The prompt needs about 94 tokens; 93 are left.',
    );
    expect((await s.chat('gpt', { text: 'x'.repeat(372) })).status).toBe(200); // ~93 tokens

    // without the estimate the same prompt passes: only an empty window refuses
    const plain = setup(limit(100));
    expect((await plain.chat('gpt', { text: 'x'.repeat(404) })).status).toBe(200);
  });

  it('charges nothing without usage (upstream error) and does not check model lists', async () => {
    const s = setup(limit(10));
    const failed = await s.chat('fails');
    expect(failed.status).toBe(400);
    await failed.json();
    const models = await s.app.request('/app/v1/models', {
      headers: { 'x-ag-gateway-slug': 'acme', authorization: 'Bearer sk-app' },
    });
    expect(models.status).toBe(200);
    expect(models.headers.get('x-ratelimit-limit-tokens')).toBeNull();
    await s.settle();
    const next = await s.chat();
    expect(next.headers.get('x-ratelimit-remaining-tokens')).toBe('10');
  });

  it('charges embeddings their input tokens (usage.prompt_tokens)', async () => {
    const s = setup(limit(10));
    const embedded = await s.post('/app/v1/embeddings', { model: 'embed', input: 'hello there' });
    expect(embedded.status).toBe(200);
    const { usage } = (await embedded.json()) as { usage: { prompt_tokens: number } };
    expect(usage.prompt_tokens).toBeGreaterThan(0);
    await s.settle();
    const next = await s.chat();
    expect(next.headers.get('x-ratelimit-remaining-tokens')).toBe(String(10 - usage.prompt_tokens));
  });

  it('refuses in the caller’s format (Anthropic Messages), headers included', async () => {
    const s = setup(limit(5));
    const ask = () =>
      s.post(
        '/app/v1/messages',
        { model: 'gpt', max_tokens: 20, messages: [{ role: 'user', content: 'hello there' }] },
        { 'anthropic-version': '2023-06-01' },
      );
    const ok = await ask();
    expect(ok.status).toBe(200);
    await ok.json();
    await s.settle();
    const refused = await ask();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-ratelimit-remaining-tokens')).toBe('0');
    expect(await refused.json()).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', message: expect.stringContaining('Token rate limit reached') },
    });
  });

  it('keeps its counters across a config reload and reports metrics', async () => {
    const s = setup(limit(8));
    await (await s.chat()).json();
    await s.settle();
    s.store.replaceAll([...s.resources]);
    expect((await s.chat()).status).toBe(429);
    const text = await s.metrics.registry.metrics();
    expect(text).toContain(
      'tollgate_token_ratelimit_decisions_total{policy="default/tokens",decision="allowed",store="local"} 1',
    );
    expect(text).toContain(
      'tollgate_token_ratelimit_decisions_total{policy="default/tokens",decision="limited",store="local"} 1',
    );
    expect(text).toContain('tollgate_token_ratelimit_tokens_total{policy="default/tokens",store="local"} 8');
  });

  it('key Header: counted per header value', async () => {
    const s = setup(limit(8, { key: 'Header', header: 'x-user' }));
    const as = (user: string) =>
      s.post(
        '/app/v1/chat/completions',
        { model: 'gpt', messages: [{ role: 'user', content: 'hello there' }] },
        {
          'x-user': user,
        },
      );
    await (await as('alice')).json();
    await s.settle();
    expect((await as('alice')).status).toBe(429);
    expect((await as('bob')).status).toBe(200);
  });
});

describe('tokenRateLimit post-response', () => {
  it('charges nothing for an answer a plugin gave in place of the upstream (a cache hit)', async () => {
    const tokens = new TokenLimiter(new RateLimiter());
    const plugin = createTokenRateLimit(limit(100), 'default/p', tokens);
    const request = (cached: boolean) =>
      ({
        operation: 'chat.completions',
        gateway: { name: 'default/acme' },
        consumer: { name: 'default/app' },
        apiKeyHash: 'h',
        clientIp: undefined,
        header: () => undefined,
        responseHeaders: {},
        response: { status: 200, stream: false, ...(cached ? { cached: true } : {}) },
        usage: { inputTokens: 30, outputTokens: 10 },
      }) as unknown as PolicyRequest;
    const left = async () => {
      const req = request(false);
      await plugin.preRequest?.(req);
      return req.responseHeaders['x-ratelimit-remaining-tokens'];
    };
    await plugin.postResponse?.(request(true));
    expect(await left()).toBe('100');
    await plugin.postResponse?.(request(false));
    expect(await left()).toBe('60');
  });
});
