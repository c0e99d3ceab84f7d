import type { CompiledBudget } from '@tollgate/protocol';
import { redisReady } from '../../testing/redis-server';
import { redisReplicas } from '../../testing/redis-replicas';
import { policy, usageProxy } from '../../testing/usage-proxy';
import type { RedisCounterStore } from '../rate-limit/redis-store';
import { periodOf } from './period';
import { addSpend, readSpend } from './redis-spend';

/**
 * Two proxies (two engines, each with its own Redis connection, as two replicas) sharing one real
 * redis-server started for this file. A mock chat costs $0.01 on gpt-up, $0.005 on cheap-up.
 */
const replicas = redisReplicas();
let proxies: ReturnType<typeof usageProxy>[] = [];

const M = 1_000_000;
const price = (model: string, dollarsPerMTok: number) => ({
  model,
  inputMicroUSDPerMTok: dollarsPerMTok * M,
  cachedInputMicroUSDPerMTok: (dollarsPerMTok / 2) * M,
  outputMicroUSDPerMTok: dollarsPerMTok * 2 * M,
});
const BUDGET: CompiledBudget = {
  amountMicroUSD: 0.03 * M,
  period: 'Day',
  scope: 'Consumer',
  softLimit: { percent: 50, downgradeModel: 'cheap' },
  prices: [price('gpt-up', 1000), price('cheap-up', 500)],
};

beforeEach(() => {
  proxies = replicas.stores.map((store) =>
    usageProxy([policy('spend', { budget: BUDGET })], { redis: store }),
  );
});
afterEach(async () => {
  await Promise.all(proxies.map((p) => p.close()));
});

/** A chat through proxy `i`, its body read and its cost added; how long it took. */
async function chat(i: number, consumer: 'app' | 'other' = 'app') {
  const p = proxies[i];
  if (!p) throw new Error('no proxy');
  const t0 = performance.now();
  const res = await p.chat('gpt', consumer === 'app' ? {} : { consumer: 'other', key: 'sk-other' });
  await res.text();
  await p.settle();
  return {
    status: res.status,
    remaining: res.headers.get('x-tollgate-budget-remaining-usd'),
    downgraded: res.headers.get('x-tollgate-budget-downgraded'),
    retryAfter: res.headers.get('retry-after'),
    ms: performance.now() - t0,
  };
}

it('two replicas share one budget: downgraded past the soft limit, refused past the amount', async () => {
  const seen = [];
  for (const i of [0, 1, 0, 1, 0]) {
    const r = await chat(i);
    seen.push([i, r.status, r.remaining, r.downgraded]);
  }
  expect(seen).toEqual([
    [0, 200, '0.030000', null],
    [1, 200, '0.020000', null],
    [0, 200, '0.010000', 'gpt->cheap'],
    [1, 200, '0.005000', 'gpt->cheap'],
    [0, 429, '0.000000', null],
  ]);
  // one integer of pico-dollars per consumer and day, expiring a minute after the day ends
  const now = Date.now();
  const day = periodOf('Day', now);
  const key = `tollgate:budget:default/spend:${day.id}:consumer:default/app`;
  expect(await replicas.stores[0]?.client.get(key)).toBe(String(30_000_000_000n));
  const ttl = (await replicas.stores[0]?.client.pttl(key)) ?? 0;
  expect(ttl).toBeGreaterThan(day.endMs - now);
  expect(ttl).toBeLessThanOrEqual(day.endMs - now + 61_000);
});

it('Redis killed: each replica goes on from the last total it saw and counts in-process, without waiting', async () => {
  for (const i of [0, 1, 0, 1, 0]) await chat(i);
  await replicas.redis.kill();
  try {
    // both replicas last saw $0.03 spent: still refused, with Redis gone
    const app = [await chat(0), await chat(1)];
    expect(app.map((r) => [r.status, r.remaining])).toEqual([
      [429, '0.000000'],
      [429, '0.000000'],
    ]);
    // a consumer never seen counts afresh, per replica
    const other = [await chat(1, 'other'), await chat(1, 'other'), await chat(0, 'other')];
    expect(other.map((r) => [r.status, r.remaining])).toEqual([
      [200, '0.030000'],
      [200, '0.020000'],
      [200, '0.030000'],
    ]);
    for (const r of [...app, ...other]) expect(r.ms).toBeLessThan(1000);
    const text = await proxies[1]?.metrics.registry.metrics();
    expect(text).toContain(
      'tollgate_budget_decisions_total{policy="default/spend",decision="allowed",store="local"} 2',
    );
  } finally {
    await replicas.redis.start();
    await Promise.all(replicas.stores.map((s) => redisReady(s)));
  }
});

it('an addition past 64 bits saturates rather than failing (the budget is then spent for the period)', async () => {
  const s = replicas.stores[0] as RedisCounterStore;
  const expireAt = Date.now() + 60_000;
  await s.client.set('test:saturate', '9223372036854775000');
  expect(await addSpend(s, 'test:saturate', 10_000n, expireAt)).toBe(9_223_372_036_854_775_807n);
  expect(await addSpend(s, 'test:fresh', 12_345_678_901_234_567n, expireAt)).toBe(12_345_678_901_234_567n);
  expect(await readSpend(s, 'test:fresh')).toBe(12_345_678_901_234_567n);
  expect(await s.client.pttl('test:fresh')).toBeGreaterThan(50_000);
  // anything else wrong is an error (the ledger then falls back), never a silently wrong total
  await s.client.set('test:garbage', 'not a number');
  await expect(addSpend(s, 'test:garbage', 1n, expireAt)).rejects.toThrow();
});

it('concurrent additions from two replicas add up exactly, past 2^53 pico-dollars', async () => {
  const [s0, s1] = replicas.stores as [RedisCounterStore, RedisCounterStore];
  const expireAt = Date.now() + 60_000;
  const costs = Array.from({ length: 200 }, (_, i) => 100_000_000_000_001n + BigInt(i * 7919));
  await Promise.all(costs.map((c, i) => addSpend(i % 2 === 0 ? s0 : s1, 'test:concurrent', c, expireAt)));
  expect(await readSpend(s1, 'test:concurrent')).toBe(costs.reduce((a, b) => a + b, 0n));
});
