import { ConfigStore } from '../config/store';
import { createOpsApp } from '../ops/app';
import { healthKey } from '../routing/health';
import { proxyClient } from '../testing/proxy-client';
import { createMetrics } from './metrics';
import { createObservedHealth, createRoutingMetrics } from './routing-metrics';

describe('upstream health on /metrics and /config_dump', () => {
  it('shows health, ejections and retries', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const health = createObservedHealth(metrics.registry);
    const app = proxyClient(
      createOpsApp({ store: new ConfigStore(), metrics, accepting: () => true, health }),
    );
    const a = health.get(healthKey('default/a', 'm'), 'default/a', 'm');
    health.get(healthKey('default/b', 'm'), 'default/b', 'm');
    health.record(a, 'failure', false, { consecutiveFailures: 1, ejectionMs: 60_000 });
    health.listener.retried?.('default/a', 'ServerError');

    const text = await (await app.request('/metrics')).text();
    expect(text).toContain('tollgate_upstream_healthy{registry="default/a"} 0');
    expect(text).toContain('tollgate_upstream_healthy{registry="default/b"} 1');
    expect(text).toContain('tollgate_upstream_ejections_total{registry="default/a"} 1');
    expect(text).toContain('tollgate_upstream_retries_total{registry="default/a",reason="ServerError"} 1');

    const dump = (await (await app.request('/config_dump')).json()) as {
      health: Record<
        string,
        { healthy: boolean; upstreams: { consecutiveFailures: number; ejectedUntil?: string }[] }
      >;
    };
    expect(dump.health['default/a']).toMatchObject({
      healthy: false,
      upstreams: [{ consecutiveFailures: 1 }],
    });
    expect(dump.health['default/a']?.upstreams[0]?.ejectedUntil).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(dump.health['default/b']).toMatchObject({ healthy: true });
  });

  it('shows active probes: their results by registry, and their verdict in the healthy gauge', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const health = createObservedHealth(metrics.registry);
    const app = proxyClient(
      createOpsApp({ store: new ConfigStore(), metrics, accepting: () => true, health }),
    );
    const check = {
      intervalMs: 1000,
      timeoutMs: 100,
      unhealthyThreshold: 2,
      healthyThreshold: 1,
      path: '/models',
    };
    health.startProbing('default/p', check);
    const gauge = async () =>
      /tollgate_upstream_healthy\{registry="default\/p"\} (\d)/.exec(
        await (await app.request('/metrics')).text(),
      )?.[1];

    expect(await gauge()).toBe('1'); // probed, no traffic yet: shown
    health.recordProbe('default/p', { result: 'timeout', durationMs: 100 });
    health.recordProbe('default/p', { result: 'error', error: 'connect ECONNREFUSED', durationMs: 1 });
    expect(await gauge()).toBe('0');
    health.recordProbe('default/p', { result: 'success', status: 200, durationMs: 1 });
    expect(await gauge()).toBe('1');

    const text = await (await app.request('/metrics')).text();
    expect(text).toContain('tollgate_health_probes_total{registry="default/p",result="timeout"} 1');
    expect(text).toContain('tollgate_health_probes_total{registry="default/p",result="error"} 1');
    expect(text).toContain('tollgate_health_probes_total{registry="default/p",result="success"} 1');

    const dump = (await (await app.request('/config_dump')).json()) as {
      health: Record<string, { active?: { healthy: boolean; lastProbe?: { result: string; at: string } } }>;
    };
    expect(dump.health['default/p']?.active).toMatchObject({
      healthy: true,
      lastProbe: { result: 'success' },
    });
  });

  it('registers once per prom registry', () => {
    const metrics = createMetrics({ defaultMetrics: false });
    expect(createRoutingMetrics(metrics.registry)).toBe(createRoutingMetrics(metrics.registry));
    expect(() => createObservedHealth(metrics.registry)).not.toThrow();
  });
});
