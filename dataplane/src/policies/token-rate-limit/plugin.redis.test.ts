import type { CompiledTokenRateLimit } from '@tollgate/protocol';
import { redisReplicas } from '../../testing/redis-replicas';
import { openAIErrorOf, policy, usageProxy } from '../../testing/usage-proxy';

/**
 * Two proxies (two engines, each with its own Redis connection, as two replicas) sharing one real
 * redis-server started for this file. One mock chat of "hello there" uses 8 tokens.
 */
const replicas = redisReplicas();
let proxies: ReturnType<typeof usageProxy>[] = [];

const limit = (over: Partial<CompiledTokenRateLimit>): CompiledTokenRateLimit => ({
  tokens: 20,
  windowMs: 3_600_000,
  estimatePrompt: false,
  key: 'Consumer',
  failureMode: 'FailOpen',
  ...over,
});
const POLICIES = [
  policy('open', { tokenRateLimit: limit({}) }, [{ kind: 'Consumer', name: 'default/app' }]),
  policy('closed', { tokenRateLimit: limit({ tokens: 1000, failureMode: 'FailClosed' }) }, [
    { kind: 'Consumer', name: 'default/other' },
  ]),
];

beforeEach(() => {
  proxies = replicas.stores.map((store) => usageProxy(POLICIES, { redis: store }));
});
afterEach(async () => {
  await Promise.all(proxies.map((p) => p.close()));
});

/** A chat through proxy `i`, its body read and its usage charged; how long it took. */
async function chat(i: number, consumer: 'app' | 'other' = 'app') {
  const p = proxies[i];
  if (!p) throw new Error('no proxy');
  const t0 = performance.now();
  const res = await p.chat('gpt', consumer === 'app' ? {} : { consumer: 'other', key: 'sk-other' });
  const text = await res.text();
  await p.settle();
  return {
    status: res.status,
    remaining: res.headers.get('x-ratelimit-remaining-tokens'),
    ms: performance.now() - t0,
    text,
  };
}

it('two replicas share one token budget per window', async () => {
  const seen = [];
  for (const i of [0, 1, 0, 1]) {
    const r = await chat(i);
    seen.push([i, r.status, r.remaining]);
  }
  expect(seen).toEqual([
    [0, 200, '20'],
    [1, 200, '12'],
    [0, 200, '4'],
    [1, 429, '0'],
  ]);
});

it('Redis killed: FailOpen goes on counting in-process, FailClosed answers 503, nothing hangs; Redis is used again once back', async () => {
  expect((await chat(0)).status).toBe(200);
  await replicas.redis.kill();
  // FailOpen: counted afresh in-process, per replica (20 tokens: 8, 8, then 4 left, then refused)
  const open = [];
  for (let n = 0; n < 4; n++) open.push(await chat(0));
  expect(open.map((r) => [r.status, r.remaining])).toEqual([
    [200, '20'],
    [200, '12'],
    [200, '4'],
    [429, '0'],
  ]);
  const closed = await chat(1, 'other');
  expect(closed.status).toBe(503);
  expect(JSON.parse(closed.text)).toMatchObject({ error: { code: 'rate_limiter_unavailable' } });
  for (const r of [...open, closed]) expect(r.ms).toBeLessThan(1000);

  await replicas.redis.start();
  const started = Date.now();
  let back: Awaited<ReturnType<typeof chat>> | undefined;
  while (Date.now() - started < 10_000) {
    back = await chat(1, 'other');
    if (back.status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(back?.status).toBe(200);
  const text = await proxies[1]?.metrics.registry.metrics();
  expect(text).toContain(
    'tollgate_token_ratelimit_decisions_total{policy="default/closed",decision="unavailable",store="none"}',
  );
  expect(text).toContain(
    'tollgate_token_ratelimit_decisions_total{policy="default/closed",decision="allowed",store="redis"}',
  );
});

it('refuses in the OpenAI format once the shared window is spent', async () => {
  for (const i of [0, 1, 0]) await chat(i);
  const res = await proxies[1]?.chat();
  expect(res?.status).toBe(429);
  expect(res && (await openAIErrorOf(res)).code).toBe('token_rate_limit_exceeded');
  // 24 of 20 used: at least until the next window is 20.9% in
  expect(Number(res?.headers.get('retry-after'))).toBeGreaterThanOrEqual(753);
  expect(Number(res?.headers.get('retry-after'))).toBeLessThanOrEqual(3600 + 753);
});
