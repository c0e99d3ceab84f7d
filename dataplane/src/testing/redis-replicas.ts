// Jest's globals: this helper registers hooks, so only test files use it.
/// <reference types="jest" />
import { RedisCounterStore } from '../policies/rate-limit/redis-store';
import { redisReady, startTestRedis, type TestRedis } from './redis-server';

/**
 * The jest hooks of a test file whose replicas share one real redis-server: the server, started
 * once; before each test, `count` counter stores (one per replica: their own connections), ready,
 * on a flushed database; after it, the stores closed. Read the getters inside tests and hooks.
 */
export function redisReplicas(count = 2): {
  readonly redis: TestRedis;
  readonly stores: RedisCounterStore[];
} {
  let redis: TestRedis | undefined;
  let stores: RedisCounterStore[] = [];
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  beforeEach(async () => {
    const url = (redis as TestRedis).url;
    stores = Array.from({ length: count }, () => new RedisCounterStore({ url, commandTimeoutMs: 200 }));
    await Promise.all(stores.map((s) => redisReady(s)));
    await stores[0]?.client.flushall();
  });
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });
  afterAll(async () => {
    await redis?.stop();
  });
  return {
    get redis() {
      if (!redis) throw new Error('redis-server not started yet (use it inside tests and hooks)');
      return redis;
    },
    get stores() {
      return stores;
    },
  };
}
