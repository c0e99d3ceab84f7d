import { ConfigStore } from '../config/store';
import { createOpsApp } from '../ops/app';
import { healthKey } from '../routing/health';
import { createMetrics } from './metrics';
import { createObservedHealth, createRoutingMetrics } from './routing-metrics';

describe('upstream health on /metrics and /config_dump', () => {
  it('shows health, ejections and retries', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const health = createObservedHealth(metrics.registry);
    const app = createOpsApp({ store: new ConfigStore(), metrics, accepting: () => true, health });
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

  it('registers once per prom registry', () => {
    const metrics = createMetrics({ defaultMetrics: false });
    expect(createRoutingMetrics(metrics.registry)).toBe(createRoutingMetrics(metrics.registry));
    expect(() => createObservedHealth(metrics.registry)).not.toThrow();
  });
});
