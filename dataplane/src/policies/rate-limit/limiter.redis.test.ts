import { redisReady, startTestRedis, type TestRedis } from '../../testing/redis-server';
import { LocalCounterStore } from './local-store';
import { RateLimiter, type LimiterMetrics } from './limiter';
import { RedisCounterStore } from './redis-store';
import type { Algorithm, CostRule, Decision, RateRule } from './window';

/** Against a real redis-server started for this file (its own port, no persistence). */
let redis: TestRedis;
const stores: RedisCounterStore[] = [];
function store(options: { clock?: () => number; commandTimeoutMs?: number } = {}) {
  const s = new RedisCounterStore({ url: redis.url, ...options });
  stores.push(s);
  return s;
}
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await redis?.stop();
});

describe('hits of one key made together', () => {
  const evalshaCalls = async (s: RedisCounterStore) => {
    const info = await s.client.info('commandstats');
    return Number(/cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1] ?? 0);
  };

  it.each<Algorithm>(['SlidingWindow', 'TokenBucket'])(
    '%s: go as one command and are decided in the order they came, as one by one',
    async (algorithm) => {
      let now = 1_700_000_000_000;
      const clock = () => now;
      const remote = store({ clock });
      await redisReady(remote);
      const rule: RateRule = { limit: 5, windowMs: 60_000, algorithm };
      const key = `batch:${algorithm}`;
      await remote.hit('warm-up', rule); // the script is loaded: EVALSHA from here on
      const before = await evalshaCalls(remote);
      const together = await Promise.all(Array.from({ length: 8 }, () => remote.hit(key, rule)));
      expect((await evalshaCalls(remote)) - before).toBe(1);
      const local = new LocalCounterStore(clock);
      const oneByOne = Array.from({ length: 8 }, () => local.hit(key, rule));
      expect(together).toEqual(oneByOne);
      expect(together.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false, false]);
      // other keys and rules are separate commands in the same turn, each decided on its own
      now += 1;
      const [a, b] = await Promise.all([remote.hit(`${key}:a`, rule), remote.hit(`${key}:b`, rule)]);
      expect([a.remaining, b.remaining]).toEqual([4, 4]);
    },
  );
});

describe('the Lua scripts decide exactly as the in-process arithmetic', () => {
  it.each<[Algorithm, number, number]>([
    ['SlidingWindow', 1, 1000],
    ['SlidingWindow', 5, 1000],
    ['SlidingWindow', 7, 60_000],
    ['SlidingWindow', 200, 3_600_000],
    ['TokenBucket', 1, 1000],
    ['TokenBucket', 3, 1000],
    ['TokenBucket', 7, 60_000],
    ['TokenBucket', 100, 1500],
  ])('%s, limit %i per %i ms', async (algorithm, limit, windowMs) => {
    let now = 1_700_000_000_123;
    const clock = () => now;
    const remote = store({ clock });
    await redisReady(remote);
    const local = new LocalCounterStore(clock);
    const rule: RateRule = { limit, windowMs, algorithm };
    const key = `test:${algorithm}:${limit}:${windowMs}`;
    let seed = limit * 31 + windowMs;
    const fromRedis: Decision[] = [];
    const fromLocal: Decision[] = [];
    for (let i = 0; i < Math.max(150, limit * 3); i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      // on average 1.5 times the allowed rate, with bursts and gaps
      now += seed % Math.ceil((windowMs / limit) * 1.3);
      fromRedis.push(await remote.hit(key, rule));
      fromLocal.push(local.hit(key, rule));
    }
    expect(fromRedis).toEqual(fromLocal);
    expect(fromLocal.filter((d) => !d.allowed).length).toBeGreaterThan(5);
  });

  it.each<[number, number]>([
    [1, 1000],
    [100, 1000],
    [10_000, 60_000],
    [2 ** 33, 86_400_000],
    [7, 1500],
  ])('cost-weighted window (peek, charge), limit %i per %i ms', async (limit, windowMs) => {
    let now = 1_700_000_000_123;
    const clock = () => now;
    const remote = store({ clock });
    await redisReady(remote);
    const local = new LocalCounterStore(clock);
    const rule: CostRule = { limit, windowMs };
    const key = `test:cost:${limit}:${windowMs}`;
    let seed = limit + windowMs;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const fromRedis: Decision[] = [];
    const fromLocal: Decision[] = [];
    for (let i = 0; i < 200; i++) {
      now += next() % Math.ceil(windowMs / 3);
      const need = 1 + (next() % limit);
      fromRedis.push(await remote.peek(key, rule, need));
      fromLocal.push(local.peek(key, rule, need));
      if (fromLocal[fromLocal.length - 1]?.allowed) {
        // usage of up to 1.5 times what was asked for, sometimes far over the cap
        const cost = i % 50 === 49 ? 1e15 : need + (next() % Math.ceil(need / 2));
        fromRedis.push(await remote.charge(key, rule, cost));
        fromLocal.push(local.charge(key, rule, cost));
      }
    }
    expect(fromRedis).toEqual(fromLocal);
    expect(fromLocal.filter((d) => !d.allowed).length).toBeGreaterThan(5);
  });

  it('by default counts on the Redis server clock and lets idle keys expire', async () => {
    const s = store();
    await redisReady(s);
    const d = await s.hit('test:server-clock', { limit: 2, windowMs: 5000, algorithm: 'SlidingWindow' });
    expect(d).toMatchObject({ allowed: true, remaining: 1, retryAfterMs: 0 });
    const ttl = await s.client.pttl('test:server-clock');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10_000);
  });
});

it('holds one limit across clients hitting the same key concurrently (two replicas)', async () => {
  const a = store();
  const b = store();
  await Promise.all([redisReady(a), redisReady(b)]);
  for (const algorithm of ['SlidingWindow', 'TokenBucket'] as const) {
    const rule: RateRule = { limit: 30, windowMs: 3_600_000, algorithm };
    const key = `test:concurrent:${algorithm}`;
    const all = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).hit(key, rule)));
    expect(all.filter((d) => d.allowed)).toHaveLength(30);
  }
});

describe('when Redis fails', () => {
  function recordingMetrics() {
    const seen: string[] = [];
    const metrics: LimiterMetrics = {
      observeRateLimit: (policy, decision, s) => seen.push(`${policy}:${decision}:${s}`),
      countRedisError: (reason) => seen.push(`redis-error:${reason}`),
    };
    return { seen, metrics };
  }
  const rule: RateRule = { limit: 2, windowMs: 60_000, algorithm: 'SlidingWindow' };
  const timed = async <T>(f: () => Promise<T>) => {
    const t0 = performance.now();
    const value = await f();
    return { value, ms: performance.now() - t0 };
  };

  it('killed: FailOpen counts in-process at once, FailClosed refuses at once; Redis is used again once back', async () => {
    const s = store({ commandTimeoutMs: 200 });
    await redisReady(s);
    const { seen, metrics } = recordingMetrics();
    const limiter = new RateLimiter({ redis: s, metrics, cooldownMs: 100 });
    expect(await limiter.hit('p', 'test:kill', rule, 'FailOpen')).toMatchObject({ store: 'redis' });

    await redis.kill();
    const open = await Promise.all(
      [1, 2, 3].map(() => timed(() => limiter.hit('p', 'test:kill', rule, 'FailOpen'))),
    );
    const closed = await timed(() => limiter.hit('p', 'test:kill', rule, 'FailClosed'));
    // the in-process fallback counts afresh: 2 allowed, then limited
    expect(
      open.map((o) => o.value.kind === 'decided' && `${o.value.store}:${o.value.decision.allowed}`),
    ).toEqual(['local:true', 'local:true', 'local:false']);
    expect(closed.value).toEqual({ kind: 'unavailable' });
    for (const t of [...open, closed]) expect(t.ms).toBeLessThan(250);
    expect(seen).toContain('p:unavailable:none');
    expect(seen).toContain('p:allowed:local');

    await redis.start();
    const started = Date.now();
    let back = false;
    while (!back && Date.now() - started < 10_000) {
      const r = await limiter.hit('p', 'test:kill-2', rule, 'FailClosed');
      back = r.kind === 'decided' && r.store === 'redis';
      if (!back) await new Promise((res) => setTimeout(res, 50));
    }
    expect(back).toBe(true);
  });

  it('hung (no answer at all): one request waits the command timeout, the next ones none', async () => {
    const s = store({ commandTimeoutMs: 150 });
    await redisReady(s);
    const { seen, metrics } = recordingMetrics();
    const limiter = new RateLimiter({ redis: s, metrics, cooldownMs: 5000 });
    redis.pause();
    try {
      const first = await timed(() => limiter.hit('p', 'test:hung', rule, 'FailOpen'));
      expect(first.value).toMatchObject({ kind: 'decided', store: 'local' });
      expect(first.ms).toBeGreaterThanOrEqual(140);
      expect(first.ms).toBeLessThan(600);
      const next = await timed(() => limiter.hit('p', 'test:hung', rule, 'FailClosed'));
      expect(next.value).toEqual({ kind: 'unavailable' });
      expect(next.ms).toBeLessThan(50);
      expect(seen).toContain('redis-error:timeout');
    } finally {
      redis.resume();
    }
  });
});
