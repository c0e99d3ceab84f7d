import { Hono } from 'hono';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { redactResource } from '@tollgate/protocol';
import type { Controller } from './controller/controller';

export function controllerMetrics() {
  const registry = new Registry();
  return {
    registry,
    compiles: new Histogram({
      name: 'tollgate_controller_compile_seconds',
      help: 'Time to compile the watched objects into proxy config (only what a change affects)',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
    objects: new Counter({
      name: 'tollgate_controller_objects_compiled_total',
      help: 'Objects per compile: compiled again, or reused because nothing they read changed',
      labelNames: ['kind', 'result'] as const,
      registers: [registry],
    }),
    proxies: new Gauge({
      name: 'tollgate_controller_connected_proxies',
      help: 'Proxies streaming config from this replica',
      registers: [registry],
    }),
    leader: new Gauge({
      name: 'tollgate_controller_leader',
      help: '1 while this replica writes status',
      registers: [registry],
    }),
    notAccepted: new Gauge({
      name: 'tollgate_controller_objects_not_accepted',
      help: 'Objects whose current generation compile did not accept, by kind; served="previous" when their last accepted generation is served in its place',
      labelNames: ['kind', 'served'] as const,
      registers: [registry],
    }),
    nacks: new Counter({
      name: 'tollgate_controller_nacks_total',
      help: 'Resources refused by a proxy',
      registers: [registry],
    }),
  };
}

export type ControllerMetrics = ReturnType<typeof controllerMetrics>;

/** Health, readiness (informers synced, not draining), metrics and the compiled config (redacted). */
export function createControllerOps(
  controller: Controller,
  metrics: ControllerMetrics,
  accepting: () => boolean,
): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) => {
    if (!accepting()) return c.json({ status: 'draining' }, 503);
    if (!controller.ready) return c.json({ status: 'waiting for informers to sync' }, 503);
    return c.json({ status: 'ready' });
  });
  app.get('/metrics', async (c) =>
    c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }),
  );
  app.get('/config_dump', (c) => {
    const { resources, fleets, statuses } = controller.current;
    return c.json({
      resources: resources.map(redactResource),
      fleets,
      statuses,
      report: controller.localReport(),
    });
  });
  return app;
}
