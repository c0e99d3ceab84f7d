import { Redis, type RedisOptions } from 'ioredis';
import {
  DECIDED_RETENTION_MS,
  type ApprovalRecord,
  type ApprovalStore,
  type DecideOutcome,
  type Decision,
} from './types';

const PREFIX = 'tollgate:approval:';
const PENDING = 'tollgate:approvals:pending';
/** Every decision, published as the decided record's JSON: the replica holding the call releases it. */
export const DECISIONS_CHANNEL = 'tollgate:approvals:decisions';

/**
 * The decision rule of `decideRecord` (local-store.ts), atomic in Redis: the first decision wins,
 * and is published in the same step.
 * KEYS: record hash, pending index; ARGV: id, decision JSON, channel.
 */
const DECIDE_LUA = `
local raw = redis.call('HGET', KEYS[1], 'record')
if not raw then return {'unknown'} end
local r = cjson.decode(raw)
local d = cjson.decode(ARGV[2])
local person = d.state == 'approved' or d.state == 'denied'
if r.state == 'timed_out' and person then return {'unknown'} end
if r.state ~= 'pending' then return {'already', raw} end
if person and d.at >= r.expiresAt then return {'unknown'} end
r.state = d.state
r.decidedAt = d.at
if d.by then r.by = d.by end
if d.reason then r.reason = d.reason end
local out = cjson.encode(r)
redis.call('HSET', KEYS[1], 'record', out, 'state', r.state)
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[3], out)
return {'decided', out}
`;

interface DecideClient {
  tollgateApprovalDecide(
    key: string,
    pending: string,
    id: string,
    decision: string,
    channel: string,
  ): Promise<unknown>;
}

export interface RedisApprovalStoreOptions {
  url: string;
  /** Longest one command may take (default 500 ms): a dead Redis fails fast, never hangs a caller. */
  commandTimeoutMs?: number;
}

/**
 * Approval requests in Redis, shared by every replica: one hash per request (`record`: its JSON,
 * `state`) that expires DECIDED_RETENTION_MS after the request does, a sorted set of pending ids by
 * expiry for listing, and decisions published on DECISIONS_CHANNEL to a second connection in
 * subscriber mode. Commands fail at once while Redis is down (no offline queue): the broker then
 * falls back to this replica's own store.
 */
export class RedisApprovalStore implements ApprovalStore {
  readonly scope = 'redis';
  readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly listeners: ((id: string, record: ApprovalRecord) => void)[] = [];
  private readonly reconnectListeners: (() => void)[] = [];

  constructor(options: RedisApprovalStoreOptions) {
    const base: RedisOptions = {
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
      disableClientInfo: true,
    };
    this.client = new Redis(options.url, {
      ...base,
      enableOfflineQueue: false,
      commandTimeout: options.commandTimeoutMs ?? 500,
      connectionName: 'tollgate-approvals',
    });
    this.client.defineCommand('tollgateApprovalDecide', { numberOfKeys: 2, lua: DECIDE_LUA });
    // The subscriber queues its SUBSCRIBE until connected and subscribes again after a reconnect.
    this.subscriber = new Redis(options.url, { ...base, connectionName: 'tollgate-approvals-sub' });
    // Errors surface as failed commands (the broker logs and counts them); the rate limiter's own
    // connection reports Redis going down and coming back. A listener keeps ioredis quiet.
    this.client.on('error', () => undefined);
    this.subscriber.on('error', () => undefined);
    let subscribedOnce = false;
    this.subscriber.on('ready', () => {
      // Decisions published while this replica was disconnected were missed: look again.
      if (subscribedOnce) for (const l of this.reconnectListeners) l();
      subscribedOnce = true;
    });
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== DECISIONS_CHANNEL) return;
      const record = parseRecord(message);
      if (record) for (const l of this.listeners) l(record.id, record);
    });
    void this.subscriber.subscribe(DECISIONS_CHANNEL).catch(() => undefined);
  }

  /** Both connections are up: requests are shared and decisions heard. */
  get ready(): boolean {
    return this.client.status === 'ready' && this.subscriber.status === 'ready';
  }

  async create(record: ApprovalRecord): Promise<void> {
    const key = PREFIX + record.id;
    const ttlMs = Math.max(1, record.expiresAt + DECIDED_RETENTION_MS - record.createdAt);
    await this.client
      .multi()
      .hset(key, 'record', JSON.stringify(record), 'state', record.state)
      .pexpire(key, ttlMs)
      .zadd(PENDING, record.expiresAt, record.id)
      .zremrangebyscore(PENDING, '-inf', record.createdAt)
      .exec()
      .then(failedStep);
  }

  async get(id: string): Promise<ApprovalRecord | undefined> {
    const raw = await this.client.hget(PREFIX + id, 'record');
    return raw === null ? undefined : parseRecord(raw);
  }

  async pending(now: number): Promise<ApprovalRecord[]> {
    const ids = await this.client.zrangebyscore(PENDING, `(${now}`, '+inf');
    if (ids.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const id of ids) pipeline.hget(PREFIX + id, 'record');
    const replies = (await pipeline.exec()) ?? [];
    return replies
      .map(([err, raw]) => (err || typeof raw !== 'string' ? undefined : parseRecord(raw)))
      .filter((r): r is ApprovalRecord => r !== undefined && r.state === 'pending' && r.expiresAt > now)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async decide(id: string, decision: Decision): Promise<DecideOutcome> {
    const reply = await (this.client as unknown as DecideClient).tollgateApprovalDecide(
      PREFIX + id,
      PENDING,
      id,
      JSON.stringify(decision),
      DECISIONS_CHANNEL,
    );
    if (!Array.isArray(reply)) throw new Error('unexpected approval script reply');
    const [outcome, raw] = reply as [unknown, unknown];
    const record = typeof raw === 'string' ? parseRecord(raw) : undefined;
    if (outcome === 'unknown') return { outcome: 'unknown' };
    if ((outcome === 'decided' || outcome === 'already') && record) return { outcome, record };
    throw new Error('unexpected approval script reply');
  }

  onDecision(listener: (id: string, record: ApprovalRecord) => void): void {
    this.listeners.push(listener);
  }

  /** Called when the subscriber connection comes back after an outage. */
  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  async close(): Promise<void> {
    await Promise.all(
      [this.client, this.subscriber].map(async (c) => {
        try {
          if (c.status === 'ready') await c.quit();
        } catch {
          // already gone
        } finally {
          c.disconnect();
        }
      }),
    );
  }
}

function failedStep(results: [Error | null, unknown][] | null): void {
  const failed = results?.find(([err]) => err !== null);
  if (!results) throw new Error('approval not stored: transaction aborted');
  if (failed?.[0]) throw failed[0];
}

/** A stored record, or undefined when it is not one (never trusted blindly: Redis is shared). */
function parseRecord(raw: string): ApprovalRecord | undefined {
  try {
    const r = JSON.parse(raw) as Partial<ApprovalRecord>;
    if (typeof r.id !== 'string' || typeof r.state !== 'string' || typeof r.expiresAt !== 'number') {
      return undefined;
    }
    return r as ApprovalRecord;
  } catch {
    return undefined;
  }
}
