import { mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { startTestRedis, type TestRedis } from '@tollgate/dataplane/testing/redis-server';
import { ROOT, eventually, startTollgate, type RunningTollgate } from './process';
import { openAIFor } from './clients';
import { acmeWithConsumers } from './manifests';

/**
 * The policy plugins in real `tollgate run` processes (built CLI, `npm run build` first), with a real
 * redis-server started for this file and the official OpenAI SDK as the client.
 */
const KEYS = { shared: 'sk-shared-key', open: 'sk-open-key', closed: 'sk-closed-key' };

const MANIFESTS = `${acmeWithConsumers(KEYS)}
---
apiVersion: tollgate.dev/v1alpha1
kind: Policy
metadata: {name: shared-limit}
spec:
  targetRefs: [{kind: Consumer, name: shared}]
  plugins:
    rateLimit: {requests: 5, window: 1h}
---
apiVersion: tollgate.dev/v1alpha1
kind: Policy
metadata: {name: open-limit}
spec:
  targetRefs: [{kind: Consumer, name: open}]
  plugins:
    rateLimit: {requests: 4, window: 1h, algorithm: TokenBucket, failureMode: FailOpen}
---
apiVersion: tollgate.dev/v1alpha1
kind: Policy
metadata: {name: closed-limit}
spec:
  targetRefs: [{kind: Consumer, name: closed}]
  plugins:
    rateLimit: {requests: 1000, window: 1h, failureMode: FailClosed}
`;

const client = (tg: RunningTollgate, consumer: keyof typeof KEYS) =>
  openAIFor(`http://127.0.0.1:${tg.port}`, consumer, KEYS[consumer], { timeoutMs: 5000 });

/** One chat completion: its status, headers and how long it took. Never waits more than 5 s. */
async function ask(tg: RunningTollgate, consumer: keyof typeof KEYS) {
  const t0 = performance.now();
  try {
    const { response } = await client(tg, consumer)
      .chat.completions.create({ model: 'mock-small', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    return {
      status: response.status,
      headers: response.headers,
      ms: performance.now() - t0,
      error: undefined,
    };
  } catch (err) {
    if (!(err instanceof OpenAI.APIError) || err.status === undefined) throw err;
    return { status: err.status, headers: err.headers, ms: performance.now() - t0, error: err };
  }
}

describe('rate limits in Redis, across two proxy processes', () => {
  let redis: TestRedis;
  let a: RunningTollgate;
  let b: RunningTollgate;

  beforeAll(async () => {
    redis = await startTestRedis();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-rl-'));
    await writeFile(path.join(dir, 'all.yaml'), MANIFESTS);
    const url = `redis://:not-logged@127.0.0.1:${redis.port}`;
    [a, b] = await Promise.all([
      startTollgate(['-f', dir, '--no-watch', '--redis-url', url]),
      startTollgate(['-f', dir, '--no-watch', '--redis-url', url]),
    ]);
    await eventually(() => [a, b].every((tg) => tg.logs.some((l) => l.msg === 'Redis connected')), 10_000);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  it('logs where counters live, without the Redis password', () => {
    for (const tg of [a, b]) {
      const line = tg.logs.find((l) => l.msg === 'rate limits are counted in Redis, shared by every replica');
      expect(line?.redis).toBe(`redis://:***@127.0.0.1:${redis.port}`);
      expect(JSON.stringify(tg.logs)).not.toContain('not-logged');
    }
  });

  it('one limit holds for both processes together', async () => {
    const results = [];
    for (let i = 0; i < 12; i++) results.push(await ask(i % 2 === 0 ? a : b, 'shared'));
    expect(results.map((r) => r.status)).toEqual([
      200, 200, 200, 200, 200, 429, 429, 429, 429, 429, 429, 429,
    ]);
    const refused = results[5];
    expect(refused?.error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(refused?.error?.code).toBe('rate_limit_exceeded');
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(results.map((r) => r.headers.get('x-ratelimit-remaining'))).toEqual([
      '4',
      '3',
      '2',
      '1',
      '0',
      '0',
      '0',
      '0',
      '0',
      '0',
      '0',
      '0',
    ]);
    expect(results.every((r) => r.headers.get('x-ratelimit-limit') === '5')).toBe(true);
  });

  it('Redis hung, then killed: FailOpen keeps serving, FailClosed answers 503 quickly, nothing hangs; then recovers', async () => {
    // both served from Redis while it is up
    expect((await ask(a, 'open')).status).toBe(200);
    expect((await ask(b, 'closed')).status).toBe(200);

    redis.pause(); // hangs: connections stay open, nothing answers
    const hung = [];
    for (const tg of [a, b]) hung.push(await ask(tg, 'open'), await ask(tg, 'closed'));
    expect(hung.map((r) => r.status)).toEqual([200, 503, 200, 503]);
    for (const r of hung) expect(r.ms).toBeLessThan(1500); // at most one command timeout (250 ms) each

    await redis.kill(); // gone: connections refused
    const down = [];
    for (let i = 0; i < 8; i++) down.push(await ask(i % 2 === 0 ? a : b, i < 4 ? 'closed' : 'open'));
    expect(down.slice(0, 4).map((r) => r.status)).toEqual([503, 503, 503, 503]);
    const closed = down[0]?.error;
    expect(closed?.code).toBe('rate_limiter_unavailable');
    expect(down[0]?.headers.get('retry-after')).toBe('1');
    // FailOpen counts in each process while Redis is away (4 per process per hour here)
    expect(down.slice(4).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    for (const r of down) expect(r.ms).toBeLessThan(1000);

    const metrics = await (await fetch(`http://127.0.0.1:${a.opsPort}/metrics`)).text();
    expect(metrics).toMatch(
      /tollgate_ratelimit_decisions_total\{policy="default\/closed-limit",decision="unavailable",store="none"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /tollgate_ratelimit_decisions_total\{policy="default\/open-limit",decision="allowed",store="local"\} [1-9]/,
    );
    expect(metrics).toMatch(/tollgate_redis_errors_total\{reason="timeout"\} [1-9]/);
    await eventually(() => a.logs.some((l) => l.msg === 'Redis unreachable; reconnecting'), 5000);

    await redis.start();
    await eventually(async () => (await ask(a, 'closed')).status === 200, 10_000);
    await eventually(async () => (await ask(b, 'closed')).status === 200, 10_000);
  });
});

describe('examples/policies on the quickstart, without Redis', () => {
  let tg: RunningTollgate;
  beforeAll(async () => {
    tg = await startTollgate([
      '-f',
      path.join(ROOT, 'examples/quickstart'),
      '-f',
      path.join(ROOT, 'examples/policies'),
    ]);
  });
  afterAll(async () => {
    await tg?.stop();
  });

  it('says the counters are in-process', () => {
    expect(
      tg.logs.some(
        (l) => l.msg === 'no Redis URL (--redis-url): rate limits are counted in-process, per replica',
      ),
    ).toBe(true);
  });

  it('answers a browser preflight by host name (no custom headers), before authentication', async () => {
    // a browser's preflight carries no X-AG-Gateway-Slug and no key: the Host finds the gateway
    const res = await options(tg.port, '/my-app/v1/chat/completions', {
      host: `demo.localhost:${tg.port}`,
      origin: 'http://localhost:3000',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['access-control-allow-headers']).toBe(
      'authorization, content-type, x-ag-gateway-slug',
    );
    expect(res.headers['access-control-max-age']).toBe('600');
  });

  it("applies my-app's own limit over the gateway-wide one, with CORS on the response", async () => {
    const sdk = new OpenAI({
      baseURL: `http://127.0.0.1:${tg.port}/my-app/v1`,
      apiKey: 'sk-tollgate-demo-key',
      defaultHeaders: { 'X-AG-Gateway-Slug': 'demo', Origin: 'http://localhost:3000' },
      maxRetries: 0,
    });
    const { response } = await sdk.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(response.headers.get('x-ratelimit-limit')).toBe('60');
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(response.headers.get('vary')).toContain('Origin');
  });
});

/** fetch cannot set Host; a plain node:http request can, as a browser's would. */
function options(port: number, urlPath: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: urlPath, method: 'OPTIONS', headers },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
