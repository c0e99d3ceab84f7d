import { ConfigStore } from '../config/store';
import { createOpsApp } from '../ops/app';
import { startDataplane } from '../server';
import { capturedLogger } from '../testing/log-capture';
import { proxyClient } from '../testing/proxy-client';
import { gateway } from '../testing/resources';
import { createMetrics } from '../telemetry/metrics';
import { testBroker, toolCall, until } from '../testing/approvals';
import { redisReady, startTestRedis, type TestRedis } from '../testing/redis-server';
import { answerElicitation } from '../mcp/approval';
import { RedisApprovalStore } from './redis-store';

/** Two replicas (brokers with their own Redis connections and ops apps) on one real redis-server. */
let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.stop();
});

async function replica(name: string) {
  const shared = new RedisApprovalStore({ url: redis.url, commandTimeoutMs: 300 });
  await redisReady(shared);
  const { broker, lines, registry } = testBroker({ shared, replica: name });
  const ops = proxyClient(
    createOpsApp({
      store: new ConfigStore(),
      metrics: createMetrics({ defaultMetrics: false }),
      accepting: () => true,
      approvals: { broker },
    }),
  );
  return { broker, lines, registry, ops, shared };
}

type Replica = Awaited<ReturnType<typeof replica>>;
let replicas: Replica[] = [];
beforeEach(async () => {
  replicas = [await replica('a'), await replica('b')];
  await replicas[0]?.shared.client.flushall();
});
afterEach(async () => {
  await Promise.all(replicas.map((r) => r.broker.close()));
});

const listed = async (r: Replica) =>
  (await (await r.ops.request('/approvals')).json()) as {
    scope: string;
    partial: boolean;
    approvals: { id: string; owner: string }[];
  };

const decide = async (r: Replica, id: string, body: object): Promise<Response> =>
  r.ops.request(`/approvals/${id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('approvals across replicas (Redis)', () => {
  it('a request held by replica A is listed by B, and a decision POSTed to B releases the call on A', async () => {
    const [a, b] = replicas as [Replica, Replica];
    const call = a.broker.request(toolCall());
    let id = '';
    await until(async () => {
      const seen = await listed(b);
      id = seen.approvals[0]?.id ?? '';
      return id !== '';
    });
    expect((await listed(b)).approvals[0]).toMatchObject({
      owner: 'a',
      state: 'pending',
      tool: 'files_delete',
    });
    expect((await listed(b)).scope).toBe('redis');
    const started = Date.now();
    const res = await decide(b, id, { decision: 'approve', by: 'alice', reason: 'ok on B' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ state: 'approved', by: 'alice', owner: 'a' });
    expect(await call).toMatchObject({ approved: true, by: 'alice', reason: 'ok on B' });
    expect(Date.now() - started).toBeLessThan(500);
    // A (the holder) logs and counts it; B logged that it received it.
    expect(a.lines.find((l) => l.msg === 'approval granted: the tool call goes on')).toMatchObject({
      approval: id,
      by: 'alice',
    });
    expect(b.lines.find((l) => l.msg === 'approval decision received')).toMatchObject({
      approval: id,
      owner: 'a',
    });
    expect(await a.registry.metrics()).toContain('decision="approved"} 1');
    expect(await b.registry.metrics()).not.toContain('decision="approved"} 1');
    // Everywhere: no longer pending, and a second decision through A is a 409.
    expect((await listed(a)).approvals).toEqual([]);
    expect((await decide(a, id, { decision: 'deny' })).status).toBe(409);
    expect(await (await a.ops.request(`/approvals/${id}`)).json()).toMatchObject({
      state: 'approved',
      by: 'alice',
    });
  });

  it("an elicitation answer received by B releases the call A holds (only the call's own consumer's)", async () => {
    const [a, b] = replicas as [Replica, Replica];
    const held = await a.broker.hold(toolCall({ via: 'elicitation' }));
    const id = held.id ?? '';
    const answer = (consumer: string) =>
      answerElicitation(
        { jsonrpc: '2.0', id: `tg-approval/${id}`, result: { action: 'accept', content: { approve: true } } },
        { broker: b.broker, logger: capturedLogger('info').logger, gateway: 'default/gw', consumer },
      );
    expect(await answer('other')).toBe(true);
    expect((await b.broker.get(id))?.state).toBe('pending');
    expect(await answer('agent')).toBe(true);
    expect(await held.result).toMatchObject({ approved: true, by: 'the user (elicitation)' });
    expect(a.lines.find((l) => l.msg === 'approval granted: the tool call goes on')).toMatchObject({
      approval: id,
      by: 'the user (elicitation)',
    });
    expect(b.lines.find((l) => l.msg === 'approval decision received')).toMatchObject({
      approval: id,
      owner: 'a',
      via: 'elicitation',
    });
  });

  it('a denial through B, and a timeout on A (then 404 on B)', async () => {
    const [a, b] = replicas as [Replica, Replica];
    const denied = a.broker.request(toolCall({ requestId: 'r-deny' }));
    const timed = a.broker.request(toolCall({ requestId: 'r-time', timeoutMs: 300 }));
    let ids: Record<string, string> = {};
    await until(async () => {
      const seen = (await b.broker.list()).approvals;
      ids = Object.fromEntries(seen.map((r) => [r.requestId, r.id]));
      return seen.length === 2;
    });
    expect((await decide(b, ids['r-deny'] ?? '', { decision: 'deny', reason: 'no' })).status).toBe(200);
    expect(await denied).toMatchObject({ approved: false, reason: 'no' });
    expect(await timed).toMatchObject({ approved: false, timedOut: true, reason: 'timed out after 300ms' });
    expect((await decide(b, ids['r-time'] ?? '', { decision: 'approve' })).status).toBe(404);
  });

  it('the same decision raced through both replicas: exactly one wins', async () => {
    const [a, b] = replicas as [Replica, Replica];
    const call = b.broker.request(toolCall());
    let id = '';
    await until(async () => {
      id = (await a.broker.list()).approvals[0]?.id ?? '';
      return id !== '';
    });
    const [viaA, viaB] = await Promise.all([
      decide(a, id, { decision: 'approve', by: 'a-user' }).then((r) => r.status),
      decide(b, id, { decision: 'deny', by: 'b-user' }).then((r) => r.status),
    ]);
    expect([viaA, viaB].sort()).toEqual([200, 409]);
    const winner = viaA === 200 ? 'a-user' : 'b-user';
    const result = await call;
    expect(result).toMatchObject({ by: winner, approved: winner === 'a-user' });
    expect((await b.broker.get(id))?.by).toBe(winner);
  });

  it('Redis down: a new request is held by its replica only (logged), decided there; the other replica says 503', async () => {
    const [a, b] = replicas as [Replica, Replica];
    await redis.kill();
    await until(() => !a.shared.ready);
    const call = a.broker.request(toolCall());
    let id = '';
    await until(async () => {
      id = (await a.broker.list()).approvals[0]?.id ?? '';
      return id !== '';
    });
    expect(
      a.lines.some(
        (l) =>
          l.msg ===
          "approvals: Redis failed; this request is held by this replica only: list and decide it on this replica's ops port",
      ),
    ).toBe(true);
    expect(await listed(a)).toMatchObject({ partial: true, approvals: [{ id }] });
    expect(await listed(b)).toMatchObject({ partial: true, approvals: [] });
    const elsewhere = await decide(b, id, { decision: 'approve' });
    expect(elsewhere.status).toBe(503);
    expect(((await elsewhere.json()) as { error: { message: string } }).error.message).toMatch(
      /^Redis failed \(.+\); try again or ask the replica that holds the call$/,
    );
    expect((await decide(a, id, { decision: 'approve', by: 'local' })).status).toBe(200);
    expect(await call).toMatchObject({ approved: true, by: 'local' });
    expect(await a.registry.metrics()).toContain(
      'tollgate_approvals_redis_fallbacks_total{operation="create"} 1',
    );
    // Redis back: new requests are shared again.
    await redis.start();
    await until(() => a.shared.ready && b.shared.ready, 5000);
    const shared = a.broker.request(toolCall({ requestId: 'after' }));
    await until(async () => (await b.broker.list()).approvals.length === 1);
    expect((await b.broker.list()).approvals[0]).toMatchObject({ requestId: 'after', owner: 'a' });
    await a.broker.close();
    expect((await shared).approved).toBe(false);
  });

  it('a decision published while the holder was cut off from Redis is found when it reconnects', async () => {
    const [a, b] = replicas as [Replica, Replica];
    const call = a.broker.request(toolCall());
    let id = '';
    await until(async () => {
      id = (await b.broker.list()).approvals[0]?.id ?? '';
      return id !== '';
    });
    // A's subscriber misses the publication: its connection is down while B decides.
    const subscriber = (
      a.shared as unknown as { subscriber: { status: string; disconnect(): void; connect(): Promise<void> } }
    ).subscriber;
    subscriber.disconnect();
    await until(() => subscriber.status === 'end');
    // Redis has dropped the subscription too: nobody hears the channel.
    await until(
      async () => Number((await b.shared.client.pubsub('NUMSUB', 'tollgate:approvals:decisions'))[1]) === 1,
    );
    expect((await decide(b, id, { decision: 'approve', by: 'bob' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    expect(a.broker.holding).toBe(1);
    await subscriber.connect();
    expect(await call).toMatchObject({ approved: true, by: 'bob' });
    expect(a.broker.holding).toBe(0);
  });
});

describe('two running dataplanes on one Redis', () => {
  it("a decision POSTed to B's ops port releases the call A holds; both list it", async () => {
    const planes = await Promise.all(
      ['a', 'b'].map(() => {
        const store = new ConfigStore();
        store.replaceAll([gateway('gw', { approvals: { timeoutMs: 60_000 } })]);
        store.markSynced();
        return startDataplane({
          port: 0,
          opsPort: 0,
          store,
          logger: capturedLogger('info').logger,
          redisUrl: redis.url,
        });
      }),
    );
    const [a, b] = planes as [(typeof planes)[0], (typeof planes)[0]];
    try {
      await until(() => a.approvals.sharedReady && b.approvals.sharedReady, 5000);
      const call = a.approvals.request(toolCall({ gateway: 'default/gw' }));
      const listed = async (port: number) =>
        (
          (await (await fetch(`http://127.0.0.1:${port}/approvals`)).json()) as {
            approvals: { id: string }[];
          }
        ).approvals;
      await until(async () => (await listed(b.opsPort)).length === 1);
      const [id] = (await listed(a.opsPort)).map((r) => r.id);
      expect((await listed(b.opsPort)).map((r) => r.id)).toEqual([id]);
      const res = await fetch(`http://127.0.0.1:${b.opsPort}/approvals/${id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ decision: 'deny', by: 'carol', reason: 'wrong bucket' }),
      });
      expect(res.status).toBe(200);
      expect(await call).toMatchObject({ approved: false, by: 'carol', reason: 'wrong bucket' });
    } finally {
      await Promise.all(planes.map((p) => p.close(0)));
    }
  });
});
