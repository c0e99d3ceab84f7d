import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startTestRedis, type TestRedis } from '@tollgate/dataplane/testing/redis-server';
import { eventually, startTollgate, type RunningTollgate } from './process';
import { anthropicFor, openAIFor } from './clients';
import { acmeWithConsumers } from './manifests';

/**
 * tokenRateLimit and budget in two real `tollgate run` processes (built CLI, `npm run build` first)
 * sharing a redis-server started for this file, driven by the official OpenAI and Anthropic SDKs.
 * The mock provider's usage for "hello there": 5 input tokens (2 cached) and 3 output tokens, so 8
 * tokens, and at the prices below $0.01 on `big`, $0.005 on `small`.
 */
const KEYS = { tokens: 'sk-tokens-key', closed: 'sk-closed-key', spend: 'sk-spend-key' };

const MANIFESTS = `${acmeWithConsumers(KEYS, '{provider: mock, models: [{name: big}, {name: small}]}')}
---
apiVersion: tollgate.dev/v1alpha1
kind: Policy
metadata: {name: tokens}
spec:
  targetRefs: [{kind: Consumer, name: tokens}]
  plugins:
    tokenRateLimit: {tokens: 20, window: 1h}
---
apiVersion: tollgate.dev/v1alpha1
kind: Policy
metadata: {name: closed}
spec:
  targetRefs: [{kind: Consumer, name: closed}]
  plugins:
    tokenRateLimit: {tokens: 100000, window: 1h, failureMode: FailClosed}
---
apiVersion: tollgate.dev/v1alpha1
kind: Policy
metadata: {name: spend}
spec:
  targetRefs: [{kind: Consumer, name: spend}]
  plugins:
    budget:
      amountUSD: "0.03"
      period: Day
      softLimitPercent: 50
      downgradeModel: small
      prices:
        - {model: big, inputPerMTok: "1000", cachedInputPerMTok: "500", outputPerMTok: "2000"}
        - {model: small, inputPerMTok: "500", cachedInputPerMTok: "250", outputPerMTok: "1000"}
`;

const openai = (tg: RunningTollgate, consumer: keyof typeof KEYS) =>
  openAIFor(`http://127.0.0.1:${tg.port}`, consumer, KEYS[consumer], { timeoutMs: 5000 });

const anthropic = (tg: RunningTollgate) =>
  anthropicFor(`http://127.0.0.1:${tg.port}`, 'spend', KEYS.spend, { timeoutMs: 5000 });

const HELLO = [{ role: 'user' as const, content: 'hello there' }];

/** A chat completion (streamed or not) through the OpenAI SDK: status, headers, time taken. */
async function chat(tg: RunningTollgate, consumer: keyof typeof KEYS, stream = false) {
  const t0 = performance.now();
  try {
    if (stream) {
      const { data, response } = await openai(tg, consumer)
        .chat.completions.create({ model: 'big', messages: HELLO, stream: true })
        .withResponse();
      let text = '';
      for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
      return { status: response.status, headers: response.headers, text, ms: performance.now() - t0 };
    }
    const { data, response } = await openai(tg, consumer)
      .chat.completions.create({ model: 'big', messages: HELLO })
      .withResponse();
    const text = data.choices[0]?.message.content ?? '';
    return { status: response.status, headers: response.headers, text, ms: performance.now() - t0 };
  } catch (err) {
    if (!(err instanceof OpenAI.APIError) || err.status === undefined) throw err;
    return { status: err.status, headers: err.headers, text: '', error: err, ms: performance.now() - t0 };
  }
}

/** The sum over both processes of a metric's samples matching `labels`. */
async function metricSum(tgs: RunningTollgate[], name: string, labels: string): Promise<number> {
  let sum = 0;
  for (const tg of tgs) {
    const text = await (await fetch(`http://127.0.0.1:${tg.opsPort}/metrics`)).text();
    for (const line of text.split('\n')) {
      if (line.startsWith(`${name}{`) && line.includes(labels)) sum += Number(line.split(' ').pop());
    }
  }
  return sum;
}

describe('token limits and budgets in Redis, across two proxy processes', () => {
  let redis: TestRedis;
  let a: RunningTollgate;
  let b: RunningTollgate;
  /** Post-response charges land after the client has its answer: wait for them before the next request. */
  const charged = (name: string, labels: string, total: number) =>
    eventually(async () => Math.abs((await metricSum([a, b], name, labels)) - total) < 1e-9, 5000);

  beforeAll(async () => {
    redis = await startTestRedis();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-usage-'));
    await writeFile(path.join(dir, 'all.yaml'), MANIFESTS);
    [a, b] = await Promise.all([
      startTollgate(['-f', dir, '--no-watch', '--redis-url', redis.url]),
      startTollgate(['-f', dir, '--no-watch', '--redis-url', redis.url]),
    ]);
    await eventually(() => [a, b].every((tg) => tg.logs.some((l) => l.msg === 'Redis connected')), 10_000);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  it('OpenAI SDK: one token window for both processes, streams charged too, then 429 token_rate_limit_exceeded', async () => {
    const results = [];
    for (const [i, [tg, stream]] of (
      [
        [a, false],
        [b, true],
        [a, true],
      ] as const
    ).entries()) {
      results.push(await chat(tg, 'tokens', stream));
      await charged(
        'tollgate_token_ratelimit_tokens_total',
        'policy="default/tokens",store="redis"',
        8 * (i + 1),
      );
    }
    const refused = await chat(b, 'tokens');
    expect(
      [...results, refused].map((r) => [r.status, r.headers.get('x-ratelimit-remaining-tokens')]),
    ).toEqual([
      [200, '20'],
      [200, '12'],
      [200, '4'],
      [429, '0'],
    ]);
    expect(results.map((r) => r.text)).toEqual([
      'Echo: hello there',
      'Echo: hello there',
      'Echo: hello there',
    ]);
    expect(refused.error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(refused.error?.code).toBe('token_rate_limit_exceeded');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(753);
    expect(refused.headers.get('x-ratelimit-limit-tokens')).toBe('20');
  });

  it('Anthropic SDK: one budget for both processes, downgraded past the soft limit, then 429 budget_exceeded', async () => {
    const seen = [];
    for (const [i, tg] of [a, b, a, b].entries()) {
      const { data, response } = await anthropic(tg)
        .messages.create({ model: 'big', max_tokens: 50, messages: HELLO })
        .withResponse();
      seen.push([
        data.model,
        response.headers.get('x-tollgate-budget-remaining-usd'),
        response.headers.get('x-tollgate-budget-downgraded'),
      ]);
      await charged(
        'tollgate_budget_spend_usd_total',
        'policy="default/spend"',
        [0.01, 0.02, 0.025, 0.03][i] ?? 0,
      );
    }
    expect(seen).toEqual([
      ['big', '0.030000', null],
      ['big', '0.020000', null],
      ['small', '0.010000', 'big->small'],
      ['small', '0.005000', 'big->small'],
    ]);
    const refused = await anthropic(a)
      .messages.create({ model: 'big', max_tokens: 50, messages: HELLO })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
    const error = refused as InstanceType<typeof Anthropic.RateLimitError>;
    expect(error.status).toBe(429);
    expect(error.message).toContain('Budget exhausted ($0.03 per day per consumer)');
    const retryAfter = Number(error.headers?.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
  });

  it('Redis killed: FailOpen token limits go on in-process, FailClosed ones answer 503 at once; then recover', async () => {
    expect((await chat(b, 'closed')).status).toBe(200);
    await redis.kill();
    try {
      const down = [await chat(a, 'closed'), await chat(b, 'closed'), await chat(a, 'tokens')];
      expect(down.map((r) => r.status)).toEqual([503, 503, 200]);
      expect(down[0]?.error?.code).toBe('rate_limiter_unavailable');
      // counted afresh in process a: its 20 tokens
      expect(down[2]?.headers.get('x-ratelimit-remaining-tokens')).toBe('20');
      for (const r of down) expect(r.ms).toBeLessThan(1000);
    } finally {
      await redis.start();
    }
    await eventually(async () => (await chat(a, 'closed')).status === 200, 10_000);
    await eventually(async () => (await chat(b, 'closed')).status === 200, 10_000);
  });
});
