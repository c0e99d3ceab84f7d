import net from 'node:net';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import type { AnyResource } from '@tollgate/protocol';
import { ConfigStore } from '../config/store';
import { startDataplane, type Dataplane } from '../server';
import { createMetrics } from '../telemetry/metrics';
import { capturedLogger, isDebugLine } from '../testing/log-capture';
import { startMockOpenAIUpstream, type MockOpenAIUpstream } from '../testing/mock-openai-upstream';
import { consumer, gateway, registry, route } from '../testing/resources';
import { policy } from '../testing/usage-proxy';
import type { WarmupLimits } from './run';

/**
 * The warm-up of a real dataplane (server.ts) with a real upstream behind a TCP relay that counts
 * the connections and bytes reaching it: readiness waits for the warm-up, which sends nothing
 * upstream and leaves no metric, log line, counter or health state behind.
 */

/** Relays to `port`, counting connections and the bytes clients send. */
async function countingRelay(port: number) {
  const seen = { connections: 0, bytes: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    seen.connections++;
    const up = net.connect(port, '127.0.0.1');
    sockets.add(client).add(up);
    client.on('data', (d: Buffer) => (seen.bytes += d.length));
    client.pipe(up).pipe(client);
    client.on('error', () => up.destroy());
    up.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    seen,
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}

const KEY = 'sk-app';
const limits = (over: Partial<WarmupLimits> = {}): WarmupLimits => ({
  budgetMs: 400,
  requests: 1_000_000,
  concurrency: 4,
  connections: 3,
  ...over,
});

function config(relayPort: number, extra: AnyResource[] = []): AnyResource[] {
  return [
    gateway('acme'),
    registry('up', { baseUrl: `http://127.0.0.1:${relayPort}/v1` }),
    consumer('app', 'acme', [KEY], [route('gpt-4o-mini', ['up'])]),
    policy(
      'two-a-minute',
      {
        rateLimit: {
          requests: 2,
          windowMs: 60_000,
          algorithm: 'SlidingWindow',
          key: 'Consumer',
          failureMode: 'FailOpen',
        },
      },
      [{ kind: 'Consumer', name: 'default/app' }],
    ),
    ...extra,
  ];
}

describe('warm-up before readiness', () => {
  let upstream: MockOpenAIUpstream;
  let relay: Awaited<ReturnType<typeof countingRelay>>;
  let dp: Dataplane | undefined;
  beforeEach(async () => {
    upstream = await startMockOpenAIUpstream();
    relay = await countingRelay(upstream.port);
  });
  afterEach(async () => {
    await dp?.close(0);
    dp = undefined;
    await relay.close();
    await upstream.close();
  });

  async function start(warmup: WarmupLimits | false, collectGarbage?: () => void) {
    const log = capturedLogger('debug');
    const metrics = createMetrics({ defaultMetrics: false });
    dp = await startDataplane({
      port: 0,
      opsPort: 0,
      store: new ConfigStore(),
      logger: log.logger,
      metrics,
      warmup,
      ...(collectGarbage ? { collectGarbage } : {}),
    });
    const ops = `http://127.0.0.1:${dp.opsPort}`;
    const readyz = async () => {
      const res = await fetch(`${ops}/readyz`);
      return { status: res.status, body: (await res.json()) as { status: string } };
    };
    return { dp, log, metrics, readyz };
  }

  const warmLines = (lines: Record<string, unknown>[]) => lines.filter((l) => l.msg === 'warm-up done');

  it('readiness waits for it; it sends nothing upstream and leaves no metric, log line, counter or health behind', async () => {
    const { dp, log, metrics, readyz } = await start(limits({ budgetMs: 1000 }));
    dp.store.replaceAll(config(relay.port));
    dp.store.markSynced();
    expect(await readyz()).toEqual({ status: 503, body: { status: 'warming up' } });
    await dp.warmedUp();
    expect((await readyz()).status).toBe(200);

    const [report] = warmLines(log.lines);
    expect(report).toMatchObject({ serial: 1, preconnected: 3, failed: 0 });
    expect(isDebugLine(report as Record<string, unknown>)).toBe(true);
    // Both shapes of the one route (plain and streamed), through its rate limit: refused after two.
    expect(report?.shapes).toEqual([
      'openai-chat>openai-chat [rateLimit]',
      'openai-chat>openai-chat stream [rateLimit]',
    ]);
    expect(report?.requests).toBeGreaterThan(2);
    expect(report?.statuses).toMatchObject({ 200: 2, 429: (report?.requests as number) - 2 });

    // Upstream: connections opened ahead of traffic, not one byte sent on them.
    expect(relay.seen).toEqual({ connections: 3, bytes: 0 });
    expect(upstream.requests).toHaveLength(0);
    // No trace: no request sample, no access-log line, no health state.
    expect(await metrics.registry.metrics()).not.toMatch(/^tollgate_requests_total\{/m);
    expect(log.lines.filter((l) => l.msg === 'request')).toHaveLength(0);
    expect(dp.health.size).toBe(0);

    // The consumer's two requests a minute are all still there; the calls use the opened connections.
    const client = new OpenAI({
      apiKey: KEY,
      baseURL: `http://127.0.0.1:${dp.port}/app/v1`,
      defaultHeaders: { 'x-ag-gateway-slug': 'acme' },
      maxRetries: 0,
    });
    const ask = () =>
      client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect((await ask()).choices[0]?.message.content).toBe('Echo: hi');
    expect((await ask()).choices[0]?.message.content).toBe('Echo: hi');
    await expect(ask()).rejects.toMatchObject({ status: 429 });
    expect(upstream.requests).toHaveLength(2);
    expect(relay.seen.connections).toBe(3);
    expect(await metrics.registry.metrics()).toMatch(/^tollgate_requests_total\{.*status="200"\} 2$/m);
    expect(log.lines.filter((l) => l.msg === 'request')).toHaveLength(3);
  });

  it('a later config warms only its new shapes, without taking readiness back', async () => {
    const { dp, log, readyz } = await start(limits({ budgetMs: 800 }));
    dp.store.replaceAll(config(relay.port));
    dp.store.markSynced();
    await dp.warmedUp();
    expect((await readyz()).status).toBe(200);
    const anthropic = registry('claude', {
      provider: 'anthropic',
      baseUrl: `http://127.0.0.1:${relay.port}/v1`,
      apiKey: 'k',
    });
    const other = consumer('other', 'acme', ['sk-other'], [route('claude-x', ['claude'])]);
    dp.store.replaceAll(config(relay.port, [anthropic, other]));
    expect((await readyz()).status).toBe(200);
    await dp.warmedUp();
    const later = warmLines(log.lines)[1];
    expect(later?.shapes).toEqual([
      'openai-chat>anthropic-messages []',
      'openai-chat>anthropic-messages stream []',
      'anthropic-messages>anthropic-messages []',
      'anthropic-messages>anthropic-messages stream []',
    ]);
    // A later warm-up gets a quarter of the budget.
    expect(later?.ms).toBeLessThan(200 + 1000);
    expect(later?.statuses).toEqual({ 200: later?.requests });
    // The origin the new registry shares with the first was pre-connected once.
    expect(relay.seen).toEqual({ connections: 3, bytes: 0 });
    expect(upstream.requests).toHaveLength(0);
  });

  it('with a full GC to run: the first warm-up runs it once, between two rounds of requests; later ones never', async () => {
    const collections: number[] = [];
    const { dp, log, readyz } = await start(limits({ budgetMs: 3000, requests: 120 }), () =>
      collections.push(performance.now()),
    );
    const started = performance.now();
    dp.store.replaceAll(config(relay.port));
    dp.store.markSynced();
    await dp.warmedUp();
    const done = performance.now();
    const [first] = warmLines(log.lines);
    expect(collections).toHaveLength(1);
    expect(collections[0]).toBeGreaterThan(started);
    expect(collections[0]).toBeLessThan(done);
    // All 120 requests before it, a third as many after (within the budget, none was cut).
    expect(first).toMatchObject({ collected: true, requests: 160, cut: 0 });
    expect((await readyz()).status).toBe(200);
    dp.store.replaceAll(
      config(relay.port, [
        registry('claude', {
          provider: 'anthropic',
          baseUrl: `http://127.0.0.1:${relay.port}/v1`,
          apiKey: 'k',
        }),
        consumer('other', 'acme', ['sk-other'], [route('claude-x', ['claude'])]),
      ]),
    );
    await dp.warmedUp();
    expect(warmLines(log.lines)[1]).toMatchObject({ collected: false });
    expect(collections).toHaveLength(1);
  });

  it('a first config completed while its first part warms up (as discovery sends it): readiness waits for the whole, warmed as the first', async () => {
    const collections: number[] = [];
    const { dp, log, readyz } = await start(limits({ budgetMs: 1000, requests: 40 }), () =>
      collections.push(performance.now()),
    );
    const [gw, up, ...rest] = config(relay.port);
    // The first part: no consumer yet, so no route to send through (connections only).
    dp.store.replaceAll([gw, up] as AnyResource[]);
    dp.store.applyDelta(rest, []);
    dp.store.markSynced();
    const deadline = performance.now() + 5000;
    while ((await readyz()).status !== 200 && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    const readyAt = performance.now();
    expect((await readyz()).status).toBe(200);
    const [first, whole] = warmLines(log.lines);
    expect(first).toMatchObject({ serial: 1, shapes: [], collected: false });
    // Warmed as the first config is (all its requests, the full GC between its rounds), before readiness.
    expect(whole).toMatchObject({ serial: 2, requests: 40 + Math.ceil(40 / 3), collected: true });
    expect(collections).toHaveLength(1);
    expect(readyAt).toBeGreaterThan(collections[0] as number);
  });

  it('is bounded by its budget', async () => {
    const { dp, log } = await start(limits({ budgetMs: 150 }));
    const started = performance.now();
    dp.store.replaceAll(config(relay.port));
    dp.store.markSynced();
    await dp.warmedUp();
    const [report] = warmLines(log.lines);
    expect(report?.requests).toBeGreaterThan(0);
    expect(report?.ms).toBeLessThan(150 + 1000);
    expect(performance.now() - started).toBeLessThan(150 + 1500);
  });

  it('off: ready as soon as the config is in, nothing opened, nothing logged', async () => {
    const { dp, log, readyz } = await start(false);
    dp.store.replaceAll(config(relay.port));
    dp.store.markSynced();
    expect((await readyz()).status).toBe(200);
    await dp.warmedUp();
    expect(warmLines(log.lines)).toHaveLength(0);
    expect(relay.seen.connections).toBe(0);
  });
});
