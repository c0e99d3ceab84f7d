import { ConfigStore } from '../config/store';
import { DUMP_UPSTREAMS_PER_REGISTRY, HealthRegistry, healthKey } from '../routing/health';
import { createMetrics } from '../telemetry/metrics';
import { proxyClient } from '../testing/proxy-client';
import { consumer, gateway, registry, route } from '../testing/resources';
import { createOpsApp, type OpsDeps } from './app';

/** The ops port's listener behind a real socket, answering `request()` like fetch. */
const opsApp = (deps: OpsDeps) => proxyClient(createOpsApp(deps));

describe('ops endpoints', () => {
  const setup = () => {
    const store = new ConfigStore();
    let accepting = true;
    const app = opsApp({
      store,
      metrics: createMetrics({ defaultMetrics: false }),
      accepting: () => accepting,
    });
    return { store, app, drain: () => (accepting = false) };
  };

  it('healthz is always 200; readyz waits for the first config and drops while draining', async () => {
    const { store, app, drain } = setup();
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await app.request('/readyz')).status).toBe(503);
    store.replaceAll([gateway('a')]);
    store.markSynced();
    expect((await app.request('/readyz')).status).toBe(200);
    drain();
    const res = await app.request('/readyz');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'draining' });
  });

  it('readyz also waits for what waitingFor names (a --workers primary: its workers)', async () => {
    const store = new ConfigStore();
    let waiting: string | undefined = '1 of 2 workers listening';
    const app = opsApp({
      store,
      metrics: createMetrics({ defaultMetrics: false }),
      accepting: () => true,
      waitingFor: () => waiting,
    });
    store.markSynced();
    const res = await app.request('/readyz');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: '1 of 2 workers listening' });
    waiting = undefined;
    expect((await app.request('/readyz')).status).toBe(200);
  });

  it('config_dump shows versions and never a credential or key digest', async () => {
    const { store, app } = setup();
    store.replaceAll([
      gateway('a'),
      registry('r', { apiKey: 'sk-super-secret' }),
      consumer('c', 'a', ['sk-caller'], [route('m', ['r'])]),
    ]);
    const text = await (await app.request('/config_dump')).text();
    const dump = JSON.parse(text) as {
      resources: { kind: string; version: string; body: Record<string, unknown> }[];
    };
    expect(dump.resources.map((r) => r.kind)).toEqual(['Consumer', 'Gateway', 'Registry']);
    expect(dump.resources.every((r) => typeof r.version === 'string')).toBe(true);
    expect(dump.resources.find((r) => r.kind === 'Registry')?.body.apiKey).toBe('[redacted]');
    expect(dump.resources.find((r) => r.kind === 'Consumer')?.body.apiKeys).toBe(1);
    expect(text).not.toContain('sk-super-secret');
    expect(text).not.toMatch(/[0-9a-f]{64}/);
  });

  it('config_dump stays small however many model names a catch-all route has seen', async () => {
    const store = new ConfigStore();
    const health = new HealthRegistry();
    const app = opsApp({
      store,
      metrics: createMetrics({ defaultMetrics: false }),
      accepting: () => true,
      health,
    });
    for (let i = 0; i < 2000; i++) {
      const model = `${'n'.repeat(240)}-${i}`;
      health.get(healthKey('default/any', model), 'default/any', model, true);
    }
    const text = await (await app.request('/config_dump')).text();
    const dump = JSON.parse(text) as {
      health: Record<string, { upstreams: unknown[]; upstreamsOmitted?: number }>;
    };
    expect(dump.health['default/any']?.upstreams).toHaveLength(DUMP_UPSTREAMS_PER_REGISTRY);
    expect(dump.health['default/any']?.upstreamsOmitted).toBe(2000 - DUMP_UPSTREAMS_PER_REGISTRY);
    expect(text.length).toBeLessThan(64 * 1024);
  });

  it('serves Prometheus text', async () => {
    const { app } = setup();
    const res = await app.request('/metrics');
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('# TYPE tollgate_requests_total counter');
  });
});
