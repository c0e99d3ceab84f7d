import { Counter, type Registry } from 'prom-client';
import { ChildCache, perRegistry } from '../telemetry/prom';

/** JSON-RPC methods counted by name; any other (client-chosen, so unbounded) counts as `other`. */
const KNOWN_METHODS = new Set([
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'prompts/list',
  'prompts/get',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'completion/complete',
  'logging/setLevel',
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/roots/list_changed',
  'response',
  'DELETE',
]);

export type McpResult = 'ok' | 'error' | 'rejected';

export interface McpMetrics {
  /** `ok`: answered; `error`: a JSON-RPC error answer; `rejected`: an HTTP 4xx/5xx (transport, session, key). */
  observe(gateway: string, consumer: string, method: string | undefined, result: McpResult): void;
}

/** `tollgate_mcp_requests_total`, registered once per prom registry (the proxy's). */
export const mcpMetrics = perRegistry((registry: Registry): McpMetrics => {
  const requests = new Counter({
    name: 'tollgate_mcp_requests_total',
    help: 'MCP messages handled at /{consumer}/mcp, by gateway, consumer, JSON-RPC method and result (ok, error, rejected).',
    labelNames: ['gateway', 'consumer', 'method', 'result'],
    registers: [registry],
  });
  const children = new ChildCache<{ inc(): void }>();
  return {
    observe(gateway, consumer, method, result) {
      const m = method !== undefined && KNOWN_METHODS.has(method) ? method : 'other';
      children
        .of(`${gateway}|${consumer}|${m}|${result}`, () => requests.labels(gateway, consumer, m, result))
        .inc();
    },
  };
});
