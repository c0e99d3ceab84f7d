import { redisReplicas } from '../../testing/redis-replicas';
import { RateLimiter } from '../rate-limit/limiter';
import type { RedisCounterStore } from '../rate-limit/redis-store';
import { BudgetLedger } from './ledger';
import { readSpend } from './redis-spend';

/**
 * The ledger's sync period against a real redis-server: two ledgers (two replicas) with their own
 * connections and a shared, hand-moved clock for freshness.
 */
const replicas = redisReplicas();
let now = 1_000_000;
// Keys expire at a real time (Redis clock), a day out.
const END = Date.now() + 86_400_000;
const SYNC = 100;

function ledgers(syncMs = SYNC): BudgetLedger[] {
  return replicas.stores.map(
    (store) => new BudgetLedger(new RateLimiter({ redis: store }), { now: () => now, syncMs }),
  );
}

const shared = () => readSpend(replicas.stores[0] as RedisCounterStore, 'k');

describe('BudgetLedger with a sync period', () => {
  it('sums charges in-process and writes them in one go; its own checks see them at once', async () => {
    const [a] = ledgers();
    if (!a) throw new Error('no ledger');
    expect((await a.spent('k', END)).spent).toBe(0n);
    for (const cost of [5n, 7n, 11n]) await a.add('p', 'k', cost, END);
    expect(await shared()).toBe(0n); // nothing written yet
    expect(await a.spent('k', END)).toEqual({ spent: 23n, store: 'redis' });
    await a.flush();
    expect(await shared()).toBe(23n);
    expect((await a.spent('k', END)).spent).toBe(23n); // not counted twice
  });

  it('writes on its own when the sync period ends', async () => {
    const [a] = ledgers();
    await a?.add('p', 'k', 9n, END);
    const started = Date.now();
    while ((await shared()) !== 9n) {
      if (Date.now() - started > 2000) throw new Error('the charge was never written');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(SYNC - 20);
  });

  it("another replica's spend shows once the reader's view is older than the sync period", async () => {
    const [a, b] = ledgers();
    if (!a || !b) throw new Error('no ledger');
    expect((await b.spent('k', END)).spent).toBe(0n);
    await a.add('p', 'k', 40n, END);
    await a.flush();
    now += SYNC - 1;
    expect((await b.spent('k', END)).spent).toBe(0n); // still fresh: no Redis read
    now += 1;
    expect((await b.spent('k', END)).spent).toBe(40n);
  });

  it("one key's charges go as one add, which sets the key's expiry", async () => {
    const [a] = ledgers();
    await a?.add('p', 'k', 3n, END);
    await a?.add('p', 'k', 4n, END);
    await a?.flush();
    expect(await shared()).toBe(7n);
    const ttl = await replicas.stores[0]?.client.pttl('k');
    expect(ttl).toBeGreaterThan(0);
  });

  it('without a sync period every charge is written at once', async () => {
    const [a] = ledgers(0);
    await a?.add('p', 'k', 2n, END);
    expect(await shared()).toBe(2n);
  });
});
