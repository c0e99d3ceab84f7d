import { Hono } from 'hono';
import { redactResource } from '@tollgate/protocol';
import type { ApprovalBroker } from '../approvals/broker';
import { approvalRoutes } from '../approvals/routes';
import type { Snapshot } from '../config/snapshot';
import type { ConfigStore } from '../config/store';
import type { McpServerHealth } from '../mcp/upstream';
import type { HealthRegistry } from '../routing/health';
import type { Registry } from 'prom-client';

export interface OpsDeps {
  store: ConfigStore;
  /** A ProxyMetrics, or anything that renders the exposition (a `--workers` primary aggregates). */
  metrics: { registry: Pick<Registry, 'metrics' | 'contentType'> };
  /** False while draining on shutdown: readiness drops first. */
  accepting: () => boolean;
  /** What else readiness waits for (e.g. `--workers` starting), as the status; undefined: nothing. */
  waitingFor?: () => string | undefined;
  /** Upstream health (breakers and active probes), shown in /config_dump. */
  health?: HealthRegistry;
  /** Tool calls waiting for a person: /approvals (behind `token` as a bearer token when set). */
  approvals?: { broker: ApprovalBroker; token?: string };
  /** MCP servers as this proxy last reached them, shown in /config_dump. */
  mcp?: { health(): Record<string, McpServerHealth> };
}

/** Health, readiness, Prometheus metrics and a redacted dump of the config in use. */
export function createOpsApp(deps: OpsDeps): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) => {
    if (!deps.accepting()) return c.json({ status: 'draining' }, 503);
    if (!deps.store.ready) return c.json({ status: 'waiting for first config' }, 503);
    const waiting = deps.waitingFor?.();
    if (waiting !== undefined) return c.json({ status: waiting }, 503);
    return c.json({ status: 'ready', serial: deps.store.current.serial });
  });
  app.get('/metrics', async (c) => {
    const body = await deps.metrics.registry.metrics();
    return c.body(body, 200, { 'content-type': deps.metrics.registry.contentType });
  });
  app.get('/config_dump', (c) => {
    const snapshot = deps.store.current;
    const resources = [...snapshot.resources.values()]
      .sort((a, b) => (a.kind + a.name < b.kind + b.name ? -1 : 1))
      .map(redactResource);
    return c.json({
      serial: snapshot.serial,
      ready: deps.store.ready,
      resources,
      // Per registry: healthy, its active probes' state and last probe (when probed), and per
      // upstream model its breaker state, failures, ejected until. Bounded: at most
      // DUMP_UPSTREAMS_PER_REGISTRY upstreams per registry (catch-all routes make one per name).
      ...(deps.health ? { health: deps.health.dump() } : {}),
      // Per MCP registry of the config: its URL (or stdio command) and, once this proxy has called it, reachable (its
      // last exchange got an answer below HTTP 500), lastSuccess, lastError {at, message}.
      ...(deps.mcp ? { mcpServers: mcpServers(snapshot, deps.mcp.health()) } : {}),
    });
  });
  if (deps.approvals) approvalRoutes(app, deps.approvals.broker, deps.approvals.token);
  return app;
}

function mcpServers(snapshot: Snapshot, seen: Record<string, McpServerHealth>) {
  const out: Record<
    string,
    ({ url: string } | { command: string }) & (McpServerHealth | { reachable: 'unknown' })
  > = {};
  for (const r of snapshot.resources.values()) {
    if (r.kind !== 'Registry' || r.body.provider !== 'mcp' || !r.body.mcp) continue;
    const m = r.body.mcp;
    const where = m.transport === 'Stdio' ? { command: m.command } : { url: m.url };
    out[r.name] = { ...where, ...(seen[r.name] ?? { reachable: 'unknown' }) };
  }
  return out;
}
