import { Gauge, type Registry } from 'prom-client';
import { perRegistry } from '../telemetry/prom';
import { CounterVec, HistogramVec } from '../telemetry/vec';

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
  /**
   * `ok`: answered; `error`: a JSON-RPC error answer; `rejected`: an HTTP 4xx/5xx (transport,
   * session, key). `server`: the registry owning the message's tool, prompt or resource; empty for
   * messages that go to every server of the session (initialize, lists) or to none.
   */
  observe(
    gateway: string,
    consumer: string,
    server: string,
    method: string | undefined,
    result: McpResult,
  ): void;
  /** One tool call's duration to its complete answer; `tool` is already bounded (see toolLabel). */
  observeToolCall(server: string, tool: string, seconds: number, result: 'ok' | 'error'): void;
  /** Adds a replica's session memory to `tollgate_mcp_live_sessions`. */
  watchSessions(sessions: { live(now: number): number }): void;
}

/**
 * MCP metrics, registered once per prom registry (the proxy's). The per-request counter and
 * histogram are ../telemetry/vec's (no label hashing per update), exposed through the registry.
 */
export const mcpMetrics = perRegistry((registry: Registry): McpMetrics => {
  const requests = new CounterVec(
    {
      name: 'tollgate_mcp_requests_total',
      help: 'MCP messages handled at /{consumer}/mcp, by gateway, consumer, owning server (registry; empty when fanned out), JSON-RPC method and result (ok, error, rejected).',
      labelNames: ['gateway', 'consumer', 'server', 'method', 'result'],
    },
    [registry],
  );
  const toolCalls = new HistogramVec(
    {
      name: 'tollgate_mcp_tool_call_duration_seconds',
      help: "MCP tools/call duration through the gateway to the server's complete answer, by server (registry), tool (its prefixed name when the consumer's config names it, else other) and result.",
      labelNames: ['server', 'tool', 'result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    },
    [registry],
  );
  const sources = new Set<{ live(now: number): number }>();
  new Gauge({
    name: 'tollgate_mcp_live_sessions',
    help: "MCP sessions this replica served within their gateway's idleTimeout and that were not ended (a session another replica serves is not counted here).",
    registers: [registry],
    collect() {
      const now = Date.now();
      let n = 0;
      for (const s of sources) n += s.live(now);
      this.set(n);
    },
  });
  return {
    observe(gateway, consumer, server, method, result) {
      const m = method !== undefined && KNOWN_METHODS.has(method) ? method : 'other';
      requests.labels(gateway, consumer, server, m, result).value++;
    },
    observeToolCall(server, tool, seconds, result) {
      toolCalls.labels(server, tool, result).observe(seconds);
    },
    watchSessions(s) {
      sources.add(s);
    },
  };
});
