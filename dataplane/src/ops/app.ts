import type { RequestListener } from 'node:http';
import { redactResource } from '@tollgate/protocol';
import type { ApprovalBroker } from '../approvals/broker';
import { approvalRoutes } from '../approvals/routes';
import type { Snapshot } from '../config/snapshot';
import type { ConfigStore } from '../config/store';
import type { McpServerHealth } from '../mcp/upstream';
import type { HealthRegistry } from '../routing/health';
import type { Logger } from '../telemetry/logger';
import type { Registry } from 'prom-client';
import { opsListener, type OpsGuard, type OpsReply, type OpsRoute } from './router';

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
  /** Told of an endpoint that failed (answered 500). */
  logger?: Pick<Logger, 'error'>;
}

/**
 * Health, readiness, Prometheus metrics, a redacted dump of the config in use and, with
 * `approvals`, the approval endpoints: the ops port's node:http listener.
 */
export function createOpsApp(deps: OpsDeps): RequestListener {
  const routes: OpsRoute[] = [
    { method: 'GET', path: '/healthz', handle: () => ({ status: 200, json: { status: 'ok' } }) },
    { method: 'GET', path: '/readyz', handle: () => readiness(deps) },
    {
      method: 'GET',
      path: '/metrics',
      handle: async () => ({
        status: 200,
        headers: { 'content-type': deps.metrics.registry.contentType },
        text: await deps.metrics.registry.metrics(),
      }),
    },
    { method: 'GET', path: '/config_dump', handle: () => ({ status: 200, json: configDump(deps) }) },
  ];
  const guards: OpsGuard[] = [];
  if (deps.approvals) {
    const api = approvalRoutes(deps.approvals.broker, deps.approvals.token);
    guards.push({ under: '/approvals', check: (req) => api.refuse(req.header('authorization')) });
    routes.push(
      { method: 'GET', path: '/approvals', handle: () => api.list() },
      { method: 'GET', path: '/approvals/:id', handle: (req) => api.show(req.params.id ?? '') },
      { method: 'POST', path: '/approvals/:id', handle: (req) => api.decide(req.params.id ?? '', req.text) },
    );
  }
  return opsListener(routes, guards, (err) => deps.logger?.error({ err }, 'ops endpoint failed'));
}

function readiness(deps: OpsDeps): OpsReply {
  if (!deps.accepting()) return { status: 503, json: { status: 'draining' } };
  if (!deps.store.ready) return { status: 503, json: { status: 'waiting for first config' } };
  const waiting = deps.waitingFor?.();
  if (waiting !== undefined) return { status: 503, json: { status: waiting } };
  return { status: 200, json: { status: 'ready', serial: deps.store.current.serial } };
}

function configDump(deps: OpsDeps) {
  const snapshot = deps.store.current;
  const resources = [...snapshot.resources.values()]
    .sort((a, b) => (a.kind + a.name < b.kind + b.name ? -1 : 1))
    .map(redactResource);
  return {
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
  };
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
