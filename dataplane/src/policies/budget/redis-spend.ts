import type { Redis } from 'ioredis';
import type { RedisCounterStore } from '../rate-limit/redis-store';

/**
 * Spend in Redis on the rate limiter's connection: one integer per key (pico-dollars, 64-bit in
 * Redis), added to atomically and expiring when its period is over. Totals travel as strings:
 * they pass 2^53 (about $9,000) long before Redis's limit, and a JavaScript number would round.
 * An addition that would overflow 64 bits saturates (the budget is then spent for the period)
 * rather than failing the command.
 */
const ADD_LUA = `
local r = redis.pcall('INCRBY', KEYS[1], ARGV[1])
if type(r) == 'table' and r.err then
  if not string.find(r.err, 'overflow') then return r end
  redis.call('SET', KEYS[1], '9223372036854775807')
end
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return redis.call('GET', KEYS[1])
`;

interface SpendClient {
  tollgateBudgetAdd(key: string, amount: string, expireAtMs: number): Promise<unknown>;
}

const defined = new WeakSet<Redis>();

function spendClient(store: RedisCounterStore): SpendClient {
  if (!defined.has(store.client)) {
    store.client.defineCommand('tollgateBudgetAdd', { numberOfKeys: 1, lua: ADD_LUA });
    defined.add(store.client);
  }
  return store.client as unknown as SpendClient;
}

export async function readSpend(store: RedisCounterStore, key: string): Promise<bigint> {
  return total(await store.client.get(key));
}

/** Adds `amount` (> 0) and returns the new total; the key expires at `expireAtMs` (Unix ms). */
export async function addSpend(
  store: RedisCounterStore,
  key: string,
  amount: bigint,
  expireAtMs: number,
): Promise<bigint> {
  return total(await spendClient(store).tollgateBudgetAdd(key, amount.toString(), expireAtMs));
}

function total(reply: unknown): bigint {
  if (reply === null || reply === undefined) return 0n;
  if (typeof reply !== 'string' || !/^-?[0-9]+$/.test(reply)) throw new Error('unexpected budget reply');
  return BigInt(reply);
}
