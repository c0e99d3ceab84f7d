import { redisReplicas } from '../../testing/redis-replicas';
import { RateLimiter } from '../rate-limit/limiter';
import { TokenLimiter } from './limiter';

/**
 * A token window's remembered state against a real redis-server: two limiters (two replicas) with
 * their own connections, and a hand-moved clock for how old a view is.
 */
const replicas = redisReplicas();
let now = 1_000_000;
const VIEW = 50;
const RULE = { limit: 100, windowMs: 3_600_000 };

const limiters = (viewMs = VIEW) =>
  replicas.stores.map(
    (store) => new TokenLimiter(new RateLimiter({ redis: store }), { viewMs, now: () => now }),
  );
const decision = async (l: TokenLimiter | undefined, need: number, key = 'k') => {
  const o = await l?.peek('p', key, RULE, need, 'FailOpen');
  if (o?.kind !== 'decided') throw new Error('no decision');
  return o.decision;
};

describe('TokenLimiter views', () => {
  it("a fresh view answers checks it allows; another replica's charges show once it is old", async () => {
    const [a, b] = limiters();
    expect((await decision(b, 10)).remaining).toBe(100);
    await a?.charge('p', 'k', RULE, 100, 'FailOpen');
    await a?.flush();
    // b's view is fresh and says 100 are left: allowed without asking Redis.
    expect((await decision(b, 10)).allowed).toBe(true);
    now += VIEW;
    const d = await decision(b, 10);
    expect(d.allowed).toBe(false);
    expect(d.retryAfterMs).toBeGreaterThan(0);
  });

  it('its own charges update the view, and a check the view would refuse asks Redis', async () => {
    const [a, b] = limiters();
    await a?.charge('p', 'k', RULE, 95, 'FailOpen');
    // a's view now holds 5: a check for 10 goes to Redis and is refused exactly.
    expect((await decision(a, 10)).allowed).toBe(false);
    // b has no view yet: it asks Redis too.
    expect((await decision(b, 10)).allowed).toBe(false);
    expect((await decision(a, 5)).allowed).toBe(true);
  });

  it('charges wait for the end of the view period, then go in one command per key', async () => {
    const [a, b] = limiters();
    expect((await decision(a, 10)).remaining).toBe(100);
    for (const t of [30, 30, 30]) await a?.charge('p', 'k', RULE, t, 'FailOpen');
    // a's own view already counts them: 10 left, a check for 20 asks Redis, which gets them first.
    expect((await decision(a, 5)).remaining).toBe(10);
    expect((await decision(b, 20)).allowed).toBe(true); // not sent yet
    const refused = await decision(a, 20);
    expect(refused.allowed).toBe(false);
    now += VIEW;
    expect((await decision(b, 20)).allowed).toBe(false);
  });

  it('the end of the view period sends the charges without being asked', async () => {
    const [a, b] = limiters();
    await a?.charge('p', 'k', RULE, 100, 'FailOpen');
    const started = Date.now();
    for (;;) {
      now += VIEW; // b's view is never fresh: every check asks Redis
      if (!(await decision(b, 1)).allowed) break;
      if (Date.now() - started > 2000) throw new Error('the charge was never sent');
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(VIEW - 20);
  });

  it('without a view every check asks Redis', async () => {
    const [a, b] = limiters(0);
    expect((await decision(b, 10)).allowed).toBe(true);
    await a?.charge('p', 'k', RULE, 100, 'FailOpen');
    expect((await decision(b, 10)).allowed).toBe(false);
  });
});
