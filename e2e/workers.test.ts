import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { compile } from '@tollgate/controller/compile';
import { DiscoveryServer, type NackReport } from '@tollgate/controller/discovery/server';
import { loadManifests } from '@tollgate/controller/manifests/load';
import { startTestRedis, type TestRedis } from '@tollgate/dataplane/testing/redis-server';
import { openAIFor } from './clients';
import { acmeWithConsumers } from './manifests';
import { eventually, runToEnd, startTollgate, type RunningTollgate } from './process';

/**
 * `tollgate run --workers 2` as users start it (built CLI, `npm run build` first): two worker
 * processes behind one port, a real redis-server for the shared counters, the official OpenAI SDK
 * as the client. Every request goes on its own connection (keep-alive off), so the cluster spreads
 * them over both workers; the access log's `worker` field tells which one served each.
 */
const KEYS = { app: 'sk-app-key', limited: 'sk-limited-key' };
const REPLY = 'one two three four five six seven eight';
/** 12 words at 150 ms a chunk: a stream of about 2 s. */
const EDITED = 'edited one two three four five six seven eight nine ten';

const manifests = (reply: string) => `${acmeWithConsumers(
  KEYS,
  `{provider: mock, models: [{name: mock-small}], mock: {chunkDelay: 150ms, reply: "${reply}"}}`,
)}
---
apiVersion: tollgate.dev/v1alpha1
kind: Policy
metadata: {name: limited}
spec:
  targetRefs: [{kind: Consumer, name: limited}]
  plugins:
    rateLimit: {requests: 5, window: 1h}
`;

/** Per request: a new connection, so the cluster picks a worker for each. */
const CLOSE = { headers: { connection: 'close' } };

const client = (tg: RunningTollgate, consumer: keyof typeof KEYS) =>
  openAIFor(`http://127.0.0.1:${tg.port}`, consumer, KEYS[consumer], { timeoutMs: 10_000 });

/** One chat completion on a new connection: its status, reply and request id. */
async function ask(tg: RunningTollgate, consumer: keyof typeof KEYS) {
  const { data, response } = await client(tg, consumer)
    .chat.completions.create({ model: 'mock-small', messages: [{ role: 'user', content: 'hi' }] }, CLOSE)
    .withResponse()
    .catch((err: { status?: number; headers?: Headers }) => {
      if (err.status === undefined) throw err;
      return { data: undefined, response: { status: err.status, headers: err.headers ?? new Headers() } };
    });
  return {
    status: response.status,
    reply: data?.choices[0]?.message.content,
    requestId: response.headers.get('x-request-id') ?? '',
  };
}

/** The worker that served each request id, from the access log (written in batches: waits for it). */
async function servedBy(tg: RunningTollgate, requestIds: string[]): Promise<number[]> {
  const line = (id: string) => tg.logs.find((l) => l.msg === 'request' && l.requestId === id);
  await eventually(() => requestIds.every((id) => line(id) !== undefined), 5_000);
  return requestIds.map((id) => Number(line(id)?.worker));
}

/** Asks until both workers have answered with `reply`. */
async function untilBothServe(tg: RunningTollgate, reply: string, timeoutMs: number): Promise<Set<number>> {
  const served = new Set<number>();
  await eventually(async () => {
    const r = await ask(tg, 'app');
    if (r.reply === reply) served.add((await servedBy(tg, [r.requestId]))[0] ?? 0);
    return served.size === 2;
  }, timeoutMs);
  return served;
}

const readyz = async (tg: RunningTollgate) =>
  (await fetch(`http://127.0.0.1:${tg.opsPort}/readyz`).catch(() => undefined))?.status;

describe('tollgate run --workers 2 (real processes)', () => {
  let redis: TestRedis;
  let dir: string;
  let tg: RunningTollgate;
  const metric = async (name: string, labels: string): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${tg.opsPort}/metrics`)).text();
    const rows = text.split('\n').filter((l) => l.startsWith(`${name}{`) && l.includes(labels));
    return rows.reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  };

  beforeAll(async () => {
    redis = await startTestRedis();
    dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-workers-'));
    await writeFile(path.join(dir, 'all.yaml'), manifests(REPLY));
    tg = await startTollgate(
      ['-f', dir, '--workers', '2', '--redis-url', redis.url, '--grace-period', '10'],
      {
        timeoutMs: 30_000,
      },
    );
  }, 40_000);
  afterAll(async () => {
    await tg?.stop('SIGKILL');
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves from both workers, and /metrics sums their request counters', async () => {
    const results = [];
    for (let i = 0; i < 8; i++) results.push(await ask(tg, 'app'));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(results.every((r) => r.reply === REPLY)).toBe(true);
    const workers = await servedBy(
      tg,
      results.map((r) => r.requestId),
    );
    expect(new Set(workers)).toEqual(new Set([1, 2]));
    expect(await metric('tollgate_requests_total', 'consumer="app"')).toBe(8);
    const text = await (await fetch(`http://127.0.0.1:${tg.opsPort}/metrics`)).text();
    expect(text).toMatch(/^tollgate_workers 2$/m);
    const ready = await fetch(`http://127.0.0.1:${tg.opsPort}/readyz`);
    expect(ready.status).toBe(200);
  });

  it('a rate limit of 5 per window holds across the workers: 5 allowed, the 6th refused', async () => {
    const results = [];
    for (let i = 0; i < 8; i++) results.push(await ask(tg, 'limited'));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    // both workers counted: each allowed some of the 5
    const workers = await servedBy(
      tg,
      results.slice(0, 5).map((r) => r.requestId),
    );
    expect(new Set(workers)).toEqual(new Set([1, 2]));
  });

  it('a manifest change reaches both workers', async () => {
    await writeFile(path.join(dir, 'all.yaml'), manifests(EDITED));
    const edited = await untilBothServe(tg, EDITED, 15_000);
    expect([...edited].sort()).toEqual([1, 2]);
  });

  it('a killed worker is replaced: logged, restarted, ready again', async () => {
    const started = () => tg.logs.filter((l) => l.msg === 'worker started');
    const victim = started().find((l) => l.worker === 2);
    expect(victim?.pid).toEqual(expect.any(Number));
    process.kill(Number(victim?.pid), 'SIGKILL');
    await eventually(() => tg.logs.some((l) => l.msg === 'worker exited; starting a new one'), 5_000);
    const exited = tg.logs.find((l) => l.msg === 'worker exited; starting a new one');
    expect(exited).toMatchObject({ worker: 2, pid: victim?.pid, signal: 'SIGKILL' });
    await eventually(() => started().filter((l) => l.worker === 2).length === 2, 20_000);
    const replacement = started().filter((l) => l.worker === 2)[1];
    expect(replacement?.pid).not.toBe(victim?.pid);
    expect((await fetch(`http://127.0.0.1:${tg.opsPort}/readyz`)).status).toBe(200);
    const text = await (await fetch(`http://127.0.0.1:${tg.opsPort}/metrics`)).text();
    expect(text).toMatch(/^tollgate_worker_restarts_total 1$/m);
    // the new worker has the current config
    const seen = new Set<number>();
    await eventually(async () => {
      const r = await ask(tg, 'app');
      expect(r.reply).toBe(EDITED);
      seen.add((await servedBy(tg, [r.requestId]))[0] ?? 0);
      return seen.has(2);
    }, 10_000);
  }, 40_000);

  it('SIGTERM drains both workers: a stream in flight on each finishes, then the process exits 0', async () => {
    let ended = 0;
    const stream = async () => {
      const { data, response } = await client(tg, 'app')
        .chat.completions.create(
          { model: 'mock-small', stream: true, messages: [{ role: 'user', content: 'x' }] },
          CLOSE,
        )
        .withResponse();
      const text: string[] = [];
      for await (const chunk of data) text.push(chunk.choices[0]?.delta?.content ?? '');
      ended++;
      return { text: text.join(''), requestId: response.headers.get('x-request-id') ?? '' };
    };
    const streams = [stream(), stream(), stream(), stream()];
    await new Promise((r) => setTimeout(r, 300));
    expect(ended).toBe(0);
    tg.proc.kill('SIGTERM');
    await eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${tg.opsPort}/readyz`).catch(() => undefined);
      return res === undefined || res.status === 503;
    });
    const done = await Promise.all(streams);
    expect(done.map((d) => d.text)).toEqual(Array(4).fill(EDITED));
    expect(await tg.exited).toBe(0);
    expect(tg.logs.some((l) => l.msg === 'workers drained')).toBe(true);
    // the streams were spread: each worker drained one or more of them
    expect(
      new Set(
        await servedBy(
          tg,
          done.map((d) => d.requestId),
        ),
      ),
    ).toEqual(new Set([1, 2]));
  }, 30_000);
});

describe('tollgate dataplane --workers 2 (real processes, an in-process discovery server)', () => {
  /** The compiled config of `manifests(reply)`, as the controller would stream it. */
  async function compiled(reply: string) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-workers-'));
    try {
      await writeFile(path.join(dir, 'all.yaml'), manifests(reply));
      return compile(await loadManifests([dir]));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('the primary holds the one discovery stream and feeds both workers; ready after the first sync', async () => {
    let ready = false;
    const nacks: NackReport[] = [];
    const server = new DiscoveryServer({ ready: () => ready, onNack: (r) => nacks.push(r) });
    const first = await compiled(REPLY);
    server.setResources(first.resources, first.fleets, 'v1');
    const port = await server.listen('127.0.0.1:0');
    const tg = await startTollgate(
      ['--discovery', `127.0.0.1:${port}`, '--fleet', 'default', '--node-id', 'e2e-w', '--workers', '2'],
      { command: 'dataplane', timeoutMs: 30_000 },
    );
    try {
      expect(await readyz(tg)).toBe(503);
      ready = true;
      await eventually(async () => (await readyz(tg)) === 200, 10_000);
      expect(server.connected).toBe(1);
      await untilBothServe(tg, REPLY, 10_000);
      // without Redis, the rate limit streamed in is counted per worker: said, not refused
      const warning = tg.logs.find(
        (l) => l.level === 'warn' && String(l.msg).includes('without --redis-url'),
      );
      expect(warning?.msg).toContain('Policy default/limited (rateLimit)');

      const next = await compiled(EDITED);
      server.setResources(next.resources, next.fleets, 'v2');
      await untilBothServe(tg, EDITED, 10_000);
      expect(server.connected).toBe(1);
      expect(nacks).toEqual([]);
      expect(await tg.stop('SIGTERM')).toBe(0);
    } finally {
      await tg.stop('SIGKILL');
      await server.close().catch(() => undefined);
    }
  }, 60_000);
});

describe('tollgate run --workers 2 without Redis', () => {
  it('refuses a config with counting policies before listening, and says why', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-workers-'));
    try {
      await writeFile(path.join(dir, 'all.yaml'), manifests(REPLY));
      const { code, stderr } = await runToEnd([
        'run',
        '-f',
        dir,
        '--workers',
        '2',
        '--port',
        '0',
        '--ops-port',
        '0',
      ]);
      expect(code).toBe(1);
      expect(stderr).toContain('--workers 2 without --redis-url');
      expect(stderr).toContain('Policy default/limited (rateLimit)');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
