import { Redis, type RedisOptions } from 'ioredis';
import { COST_CHARGE_LUA, COST_PEEK_LUA, SLIDING_WINDOW_LUA, TOKEN_BUCKET_LUA } from './scripts';
import type { CostRule, Decision, RateRule } from './window';

export interface RedisStoreOptions {
  url: string;
  /** Longest a counter update may take before the request falls back (default 250 ms). */
  commandTimeoutMs?: number;
  /** Injected clock for tests; by default the Redis server's clock (one clock for all replicas). */
  clock?: () => number;
  /** Called on connection state changes and connection errors; never throws into ioredis. */
  onConnectionEvent?: (event: { type: 'ready' } | { type: 'down'; error?: Error }) => void;
}

/** The scripts as commands on the client; ioredis sends EVALSHA and falls back to EVAL once. */
interface ScriptClient {
  tollgateSlidingWindow(
    key: string,
    limit: number,
    windowMs: number,
    now: string,
    n: number,
  ): Promise<unknown>;
  tollgateTokenBucket(key: string, limit: number, windowMs: number, now: string, n: number): Promise<unknown>;
  tollgateCostPeek(key: string, limit: number, windowMs: number, now: string, need: number): Promise<unknown>;
  tollgateCostCharge(
    key: string,
    limit: number,
    windowMs: number,
    now: string,
    cost: number,
  ): Promise<unknown>;
}

/** Hits of one key and rule waiting for the end of this turn of the event loop. */
interface HitBatch {
  key: string;
  rule: RateRule;
  waiters: { resolve(d: Decision): void; reject(err: unknown): void }[];
}

/**
 * Counters in Redis, shared by every proxy replica. Configured never to make a request wait on a
 * dead Redis: no offline queue (a command while disconnected fails at once), a short command
 * timeout, one retry at most, and reconnection in the background with capped backoff.
 */
export class RedisCounterStore {
  readonly client: Redis;
  private readonly scripts: ScriptClient;
  private readonly clock: (() => number) | undefined;
  private readonly batches = new Map<string, HitBatch>();
  private flushScheduled = false;

  constructor(options: RedisStoreOptions) {
    const redisOptions: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? 250,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
      lazyConnect: false,
      connectionName: 'tollgate-ratelimit',
      disableClientInfo: true,
    };
    this.client = new Redis(options.url, redisOptions);
    this.client.defineCommand('tollgateSlidingWindow', { numberOfKeys: 1, lua: SLIDING_WINDOW_LUA });
    this.client.defineCommand('tollgateTokenBucket', { numberOfKeys: 1, lua: TOKEN_BUCKET_LUA });
    this.client.defineCommand('tollgateCostPeek', { numberOfKeys: 1, lua: COST_PEEK_LUA });
    this.client.defineCommand('tollgateCostCharge', { numberOfKeys: 1, lua: COST_CHARGE_LUA });
    this.scripts = this.client as unknown as ScriptClient;
    this.clock = options.clock;
    const notify = options.onConnectionEvent ?? (() => undefined);
    let up = false;
    this.client.on('ready', () => {
      up = true;
      notify({ type: 'ready' });
    });
    // An 'error' listener also keeps ioredis from printing every failed reconnect to stderr.
    this.client.on('error', (error: Error) => notify({ type: 'down', error }));
    this.client.on('close', () => {
      if (up) notify({ type: 'down' });
      up = false;
    });
  }

  /** Connected and past the ready check: commands can be sent. */
  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /**
   * Counts one request. The hits of one key and rule made in the same turn of the event loop (many
   * requests of one consumer under load) go to Redis as one command, decided one after another in
   * the order they came, exactly as separate commands would be: a Redis round trip per key per
   * turn rather than per request.
   */
  hit(key: string, rule: RateRule): Promise<Decision> {
    const id = `${rule.algorithm}:${rule.limit}:${rule.windowMs}:${key}`;
    let batch = this.batches.get(id);
    if (!batch) {
      batch = { key, rule, waiters: [] };
      this.batches.set(id, batch);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushHits());
    }
    const waiters = batch.waiters;
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  }

  private flushHits(): void {
    this.flushScheduled = false;
    const batches = [...this.batches.values()];
    this.batches.clear();
    for (const b of batches) void this.sendHits(b);
  }

  private async sendHits({ key, rule, waiters }: HitBatch): Promise<void> {
    try {
      const now = this.clock ? String(this.clock()) : '';
      const n = waiters.length;
      const reply =
        rule.algorithm === 'TokenBucket'
          ? await this.scripts.tollgateTokenBucket(key, rule.limit, rule.windowMs, now, n)
          : await this.scripts.tollgateSlidingWindow(key, rule.limit, rule.windowMs, now, n);
      if (!Array.isArray(reply) || reply.length !== 4 * n)
        throw new Error('unexpected rate-limit script reply');
      waiters.forEach((w, i) => w.resolve(decisionOf(reply.slice(4 * i, 4 * i + 4), rule.limit)));
    } catch (err) {
      for (const w of waiters) w.reject(err);
    }
  }

  /** Would `need` units fit in the cost-weighted window? Counts nothing. */
  async peek(key: string, rule: CostRule, need: number): Promise<Decision> {
    const now = this.clock ? String(this.clock()) : '';
    return decisionOf(
      await this.scripts.tollgateCostPeek(key, rule.limit, rule.windowMs, now, need),
      rule.limit,
    );
  }

  /** Counts `cost` units used; the decision is for one more unit afterwards. */
  async charge(key: string, rule: CostRule, cost: number): Promise<Decision> {
    const now = this.clock ? String(this.clock()) : '';
    return decisionOf(
      await this.scripts.tollgateCostCharge(key, rule.limit, rule.windowMs, now, cost),
      rule.limit,
    );
  }

  async close(): Promise<void> {
    try {
      if (this.ready) await this.client.quit();
    } catch {
      // already gone
    } finally {
      this.client.disconnect();
    }
  }
}

function decisionOf(reply: unknown, limit: number): Decision {
  if (!Array.isArray(reply) || reply.length !== 4) throw new Error('unexpected rate-limit script reply');
  const [allowed, remaining, retryAfterMs, resetMs] = reply.map(Number) as [number, number, number, number];
  return { allowed: allowed === 1, limit, remaining, retryAfterMs, resetMs };
}

/** The URL without credentials, for logs. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable Redis URL)';
  }
}
