import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import type { CompiledConsumerMcp } from '@tollgate/protocol';
import type { ApprovalBroker } from '../approvals/broker';
import type { ConfigStore } from '../config/store';
import type { PolicyEngine } from '../policies/engine';
import type { RateLimiter } from '../policies/rate-limit/limiter';
import type { Logger } from '../telemetry/logger';
import { registryIn, type Call } from './endpoint-helpers';
import type { IdleSessions } from './idle';
import { MCP_ERRORS, McpError } from './jsonrpc';
import type { McpMetrics } from './metrics';
import type { MuxContext, SessionServer, ToolCallHooks } from './multiplex';
import type { McpNames } from './names';
import type { McpResourceServer } from './oauth/resource-server';
import { toolLabel } from './owner';
import { sessionKeysOf } from './session';
import type { OpenedSessions } from './session-cache';
import { toolCallPolicies } from './tool-calls';
import { approvalsFor, toolGuardFor } from './wiring';
import type { McpUpstreams } from './upstream';

/** What ./endpoint's steps share: its dependencies, resolved once when it is made. */
export interface EndpointEnv {
  store: ConfigStore;
  logger: Logger;
  now: () => number;
  upstreams: McpUpstreams;
  idle: IdleSessions;
  oauth: McpResourceServer;
  /** Session tokens this replica has opened (an AES-GCM unseal per request otherwise). */
  sessions: OpenedSessions;
  counters: McpMetrics | undefined;
  policies: PolicyEngine | undefined;
  approvals: ApprovalBroker | undefined;
  limiter: RateLimiter | undefined;
  /** The consumer's tool names, built once per compiled consumer. */
  names(mcp: CompiledConsumerMcp): McpNames;
}

/** The session of a request: its token opened, checked and turned into the servers to reach. */
export function openContext(env: EndpointEnv, call: Call): MuxContext {
  const { x, gateway } = call;
  const { now, idle } = env;
  const token = x.header('mcp-session-id');
  if (!token)
    throw new McpError(MCP_ERRORS.InvalidRequest, 'Bad Request: Mcp-Session-Id header is required', 400);
  const version = x.header('mcp-protocol-version');
  if (version !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
    throw new McpError(
      MCP_ERRORS.InvalidRequest,
      `Bad Request: Unsupported protocol version ${version} (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`,
      400,
    );
  }
  const settings = gateway.config.mcp;
  const opened = settings
    ? env.sessions.open(token, sessionKeysOf(settings.sessionKeys), {
        gateway: gateway.name,
        consumer: call.consumer.name,
        now: now(),
        ttlMs: settings.sessionTtlMs,
      })
    : ({ ok: false, reason: 'unknown-key' } as const);
  if (!opened.ok) {
    call.line.session = opened.reason;
    throw new McpError(MCP_ERRORS.InvalidRequest, 'Session not found', 404);
  }
  const seen = idle.touch(token, now(), settings?.idleTimeoutMs ?? Infinity);
  if (seen !== 'ok') {
    call.line.session = seen;
    throw new McpError(MCP_ERRORS.InvalidRequest, 'Session not found', 404);
  }
  const servers: SessionServer[] = [];
  const { clientInit } = opened.claims;
  const reopen = clientInit && { initialize: clientInit, idleMs: settings?.idleTimeoutMs };
  for (const session of opened.claims.servers) {
    const named = call.names.servers.find((s) => s.registry === session.registry);
    const registry = registryIn(call.snapshot, session.registry);
    if (named) servers.push({ named, registry, session, ...(reopen ? { reopen } : {}) });
  }
  const clientStreams = (x.header('accept') ?? '').includes('text/event-stream');
  const toolGuard = toolGuardFor(env.policies, call.consumer);
  const approvals = approvalsFor(env.approvals, env.logger, gateway, call.consumer, {
    elicit: clientStreams && opened.claims.elicitation === true,
    onHold: call.release,
  });
  return {
    ...(toolGuard ? { toolGuard } : {}),
    ...(approvals ? { approvals } : {}),
    names: call.names,
    servers,
    onServerDown: call.mcp.onServerDown,
    upstreams: env.upstreams,
    signal: call.signal,
    clientStreams,
    toolCalls: toolCallHooks(env, call),
  };
}

/** Policies and the duration metric around each tool call of this request. */
function toolCallHooks(env: EndpointEnv, call: Call): ToolCallHooks | undefined {
  const { counters } = env;
  const policies = toolCallPolicies(env.limiter, {
    gateway: call.gateway,
    consumer: call.consumer,
    apiKeyHash: call.keyHash.toString('hex'),
    clientIp: call.x.remoteAddress,
    header: (name) => call.x.header(name),
  });
  if (!policies && !counters) return undefined;
  return {
    admit: (tool, args) => (policies ? policies.admit(tool, args) : Promise.resolve(args)),
    answer: (m) => (policies ? policies.answer(m) : m),
    done(server, tool, ms, ok) {
      counters?.observeToolCall(server.registry, toolLabel(call.mcp, tool), ms / 1000, ok ? 'ok' : 'error');
    },
  };
}
