import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import type { Standalone } from '../cli/src/standalone';
import {
  startMockOpenAIUpstream,
  type MockOpenAIUpstream,
} from '@tollgate/dataplane/testing/mock-openai-upstream';
import { openAIFor } from './clients';
import { standaloneOn, type InProcessTollgate } from './standalone';
import { acmeGatewayYaml, consumerHeadYaml, secretYaml } from './manifests';

/**
 * Active health checks through the whole stack: manifests → compile → Tollgate's prober → a real
 * upstream that goes away (its port refuses connections) and comes back. The client (OpenAI SDK,
 * no retries, and a consumer with a single attempt: any request sent to the dead upstream would
 * fail) sees no failure: the probes take the registry out before a request meets it.
 */
const UPSTREAM_KEY = 'sk-upstream-active';
const APP_KEY = 'sk-app-active';
const INTERVAL_MS = 100;
const UNHEALTHY = 2;
const HEALTHY = 2;
/** Scheduling slack on shared cores. */
const MARGIN_MS = 1_500;

/** A TCP front for an upstream that can be taken down (connections refused) and brought back on the same port. */
interface Switch {
  url: string;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

async function startSwitch(target: number): Promise<Switch> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const listen = async () => {
    const s = net.createServer((client) => {
      const upstream = net.connect(target, '127.0.0.1');
      for (const sock of [client, upstream]) {
        sockets.add(sock);
        sock.on('close', () => sockets.delete(sock));
        sock.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  const stop = async () => {
    const s = server;
    server = undefined;
    for (const sock of sockets) sock.destroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return {
    url: `http://127.0.0.1:${port}/v1`,
    down: stop,
    up: listen,
    close: stop,
  };
}

function manifests(urls: { primary: string; backup: string }, active = true): string {
  const activeCheck = active
    ? `, active: {interval: ${INTERVAL_MS}ms, timeout: 500ms, unhealthyThreshold: ${UNHEALTHY}, healthyThreshold: ${HEALTHY}}`
    : '';
  return `
${secretYaml('keys', `upstream: ${UPSTREAM_KEY}, app: ${APP_KEY}`)}---
${acmeGatewayYaml()}---
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: primary}
spec:
  provider: openai-compatible
  baseUrl: ${urls.primary}
  credentials: {secretRef: {name: keys, key: upstream}}
  timeouts: {connect: 500ms, request: 2s}
  # Passive ejection would need failed requests: out of the way here.
  healthCheck: {passive: {consecutiveFailures: 1000}${activeCheck}}
---
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: backup}
spec:
  provider: openai-compatible
  baseUrl: ${urls.backup}
  credentials: {secretRef: {name: keys, key: upstream}}
---
${consumerHeadYaml('keys', 'app')}  retry: {attempts: 1}
  routes:
    - model: chat
      targets:
        - {registryRef: {name: primary}, priority: 0}
        - {registryRef: {name: backup}, priority: 1}
`;
}

type Dump = {
  health?: Record<
    string,
    {
      healthy: boolean;
      active?: {
        healthy: boolean;
        consecutiveFailures: number;
        consecutiveSuccesses: number;
        path: string;
        lastProbe?: { result: string; status?: number; error?: string; at: string };
      };
      upstreams: { model: string; healthy: boolean; state: string }[];
    }
  >;
};

describe('active health checks (OpenAI SDK → Tollgate → an upstream that goes down and comes back)', () => {
  let primary: MockOpenAIUpstream;
  let backup: MockOpenAIUpstream;
  let front: Switch;
  let tollgate: Standalone;
  let tg: InProcessTollgate;
  let ops: string;
  let client: OpenAI;

  beforeAll(async () => {
    [primary, backup] = await Promise.all([
      startMockOpenAIUpstream({ apiKey: UPSTREAM_KEY }),
      startMockOpenAIUpstream({ apiKey: UPSTREAM_KEY }),
    ]);
    primary.behave({ kind: 'ok', reply: 'from primary' });
    backup.behave({ kind: 'ok', reply: 'from backup' });
    front = await startSwitch(primary.port);
    tg = await standaloneOn(manifests({ primary: front.url, backup: backup.url }));
    ({ tollgate, ops } = tg);
    client = openAIFor(tg.base, 'app', APP_KEY);
  });
  afterAll(async () => {
    await tg?.stop();
    await front?.close();
    await Promise.all([primary?.close(), backup?.close()]);
  });

  const primaryHealth = async () =>
    ((await (await fetch(`${ops}/config_dump`)).json()) as Dump).health?.['default/primary'];
  const metrics = async () => (await fetch(`${ops}/metrics`)).text();
  const metric = (text: string, name: string, labels: string) =>
    Number(new RegExp(`^${name}\\{${labels}\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  const ask = async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    return { text: data.choices[0]?.message.content, registry: response.headers.get('x-selected-registry') };
  };
  async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
    const t0 = performance.now();
    while (!(await check())) {
      if (performance.now() - t0 > timeoutMs) throw new Error(`not within ${timeoutMs}ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return performance.now() - t0;
  }

  it('probes the upstream with its credential and routes to it while it answers', async () => {
    await until(async () => (await primaryHealth())?.active?.lastProbe !== undefined, MARGIN_MS);
    const probes = primary.requests.filter((r) => r.method === 'GET');
    expect(probes.length).toBeGreaterThan(0);
    expect(probes[0]).toMatchObject({
      path: '/v1/models',
      headers: { authorization: `Bearer ${UPSTREAM_KEY}` },
    });
    expect(await ask()).toEqual({ text: 'from primary', registry: 'default/primary' });
    expect(await primaryHealth()).toMatchObject({
      healthy: true,
      active: { healthy: true, path: '/models', lastProbe: { result: 'success', status: 200 } },
    });
  });

  it('the upstream goes down: the probes take it out before any request fails, and bring it back', async () => {
    const chats = () => primary.requests.filter((r) => r.method === 'POST').length;
    const chatsBefore = chats();
    await front.down();

    // No request is sent meanwhile: only the probes can notice.
    const tookMs = await until(async () => (await primaryHealth())?.healthy === false, MARGIN_MS * 2);
    expect(tookMs).toBeLessThan(UNHEALTHY * INTERVAL_MS * 1.1 + MARGIN_MS);
    const down = await primaryHealth();
    expect(down?.active).toMatchObject({
      healthy: false,
      consecutiveFailures: expect.any(Number),
      lastProbe: { result: 'error', error: expect.stringContaining('ECONNREFUSED') },
    });
    expect(down?.active?.consecutiveFailures).toBeGreaterThanOrEqual(UNHEALTHY);
    expect(down?.upstreams).toEqual([
      expect.objectContaining({ model: 'chat', healthy: false, state: 'closed' }),
    ]);
    let text = await metrics();
    expect(metric(text, 'tollgate_upstream_healthy', 'registry="default/primary"')).toBe(0);
    expect(
      metric(text, 'tollgate_health_probes_total', 'registry="default/primary",result="error"'),
    ).toBeGreaterThanOrEqual(UNHEALTHY);

    // Every request is served by the backup at the first try (attempts: 1): none meets the dead upstream.
    for (let i = 0; i < 5; i++)
      expect(await ask()).toEqual({ text: 'from backup', registry: 'default/backup' });
    expect(
      metric(
        await metrics(),
        'tollgate_upstream_retries_total',
        'registry="default/primary",reason="ConnectError"',
      ),
    ).toBeNaN();

    // Back up: healthyThreshold good probes in a row re-admit it.
    await front.up();
    await until(async () => (await primaryHealth())?.healthy === true, MARGIN_MS * 2);
    expect((await primaryHealth())?.active).toMatchObject({
      healthy: true,
      consecutiveSuccesses: HEALTHY,
      lastProbe: { result: 'success' },
    });
    text = await metrics();
    expect(metric(text, 'tollgate_upstream_healthy', 'registry="default/primary"')).toBe(1);
    expect(await ask()).toEqual({ text: 'from primary', registry: 'default/primary' });
    expect(chats()).toBe(chatsBefore + 1);
  });

  it('dropping healthCheck.active from the Registry stops the probes and their verdict', async () => {
    await front.down();
    await until(async () => (await primaryHealth())?.healthy === false, MARGIN_MS * 2);
    await writeFile(tg.file, manifests({ primary: front.url, backup: backup.url }, false));
    expect(await tollgate.reload()).toBe(true);
    const health = await primaryHealth();
    expect(health?.active).toBeUndefined();
    expect(health?.healthy).toBe(true);
    const probes = primary.requests.length;
    await front.up();
    await new Promise((r) => setTimeout(r, 3 * INTERVAL_MS));
    expect(primary.requests.length).toBe(probes);
  });
});
