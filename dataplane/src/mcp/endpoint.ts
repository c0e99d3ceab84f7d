import { createHash } from 'node:crypto';
import type { CompiledConsumerMcp } from '@tollgate/protocol';
import type { ConfigStore } from '../config/store';
import type { Exchange } from '../proxy/exchange';
import { findConsumer, findGateway } from '../proxy/resolve';
import type { Registry } from 'prom-client';
import type { RateLimiter } from '../policies/rate-limit/limiter';
import type { Logger } from '../telemetry/logger';
import type { ApprovalBroker } from '../approvals/broker';
import type { PolicyEngine } from '../policies/engine';
import { openContext, type EndpointEnv } from './endpoint-context';
import { end, listen } from './endpoint-get-delete';
import { JSON_HEADERS, asMcpError, checkOrigin, type Call } from './endpoint-helpers';
import { post } from './endpoint-post';
import { IdleSessions } from './idle';
import { mcpMetrics } from './metrics';
import { MCP_ERRORS, McpError, errorMessage } from './jsonrpc';
import type { MuxContext } from './multiplex';
import { McpNames } from './names';
import { McpResourceServer, OAuthChallenge } from './oauth/resource-server';
import { OpenedSessions } from './session-cache';
import { McpUpstreams } from './upstream';

/**
 * `/{consumer}/mcp`: MCP's Streamable HTTP transport in front of the consumer's servers, with the
 * gateway discovery and API keys of LLM traffic. POST carries one JSON-RPC message (answered with
 * JSON, or with an SSE stream when the owning server streams and the client accepts it); DELETE
 * ends the session at every server; GET merges the servers' own server-to-client streams (405 when
 * none offers one, which the transport allows). Every failure is a JSON-RPC error body, with the HTTP status the transport
 * prescribes (400 bad header or message, 404 unknown session, 401/403 credentials), never 500.
 */
export interface McpEndpoint {
  handle(x: Exchange, consumerSlug: string): Promise<void>;
  /** `GET /.well-known/oauth-protected-resource[/{consumer}/mcp]`: RFC 9728 metadata (see ./oauth). */
  resourceMetadata(x: Exchange, path: string): void;
  close(): Promise<void>;
}

export interface McpEndpointDeps {
  store: ConfigStore;
  logger: Logger;
  /** The proxy's prom registry: `tollgate_mcp_requests_total` registers on it. */
  metrics?: Registry;
  now?: () => number;
  upstreams?: McpUpstreams;
  idle?: IdleSessions;
  oauth?: McpResourceServer;
  /** The proxy's policy engine: the consumer's toolGuard inspects lists and checks calls. */
  policies?: PolicyEngine;
  /** Holds `requireApproval` tool calls; without it they are refused. */
  approvals?: ApprovalBroker;
  /** Counts tool calls for `rateLimit` Policies (the LLM endpoints' limiter); none: not counted. */
  limiter?: RateLimiter;
}

export function createMcpEndpoint(deps: McpEndpointDeps): McpEndpoint {
  const now = deps.now ?? Date.now;
  const namesOf = new WeakMap<CompiledConsumerMcp, McpNames>();
  const env: EndpointEnv = {
    store: deps.store,
    logger: deps.logger,
    now,
    upstreams: deps.upstreams ?? new McpUpstreams(),
    idle: deps.idle ?? new IdleSessions(),
    oauth: deps.oauth ?? new McpResourceServer({ now }),
    sessions: new OpenedSessions(),
    counters: deps.metrics ? mcpMetrics(deps.metrics) : undefined,
    policies: deps.policies,
    approvals: deps.approvals,
    limiter: deps.limiter,
    names(mcp) {
      let n = namesOf.get(mcp);
      if (!n) namesOf.set(mcp, (n = new McpNames(mcp.servers, mcp)));
      return n;
    },
  };
  env.counters?.watchSessions(env.idle);
  const open = (call: Call) => openContext(env, call);
  return {
    handle: (x, consumerSlug) => handle(env, open, x, consumerSlug),
    resourceMetadata: (x, path) => env.oauth.metadata(x, path, env.store.current),
    close: () => env.upstreams.close(),
  };
}

/** One request: admitted (gateway, consumer, caller), served by its method, logged and counted. */
async function handle(
  env: EndpointEnv,
  open: (call: Call) => MuxContext,
  x: Exchange,
  consumerSlug: string,
): Promise<void> {
  const { logger, counters, upstreams, idle } = env;
  const start = performance.now();
  const snapshot = env.store.current; // held to the end of this request
  const line: Record<string, unknown> = { method: x.method, consumer: consumerSlug };
  const deadline = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const release = () => clearTimeout(timer);
  x.onClientGone(() => {
    release();
    deadline.abort();
  });
  let call: Call | undefined;
  // Metric labels: config names only (the URL's slug is the caller's until it names a consumer).
  const known = { gateway: '', consumer: '', server: '' };
  const log = (status: number) => {
    line.status = status;
    line.durationMs = Math.round((performance.now() - start) * 10) / 10;
    logger.info(line, 'mcp request');
    const result = status >= 400 ? 'rejected' : line.error !== undefined ? 'error' : 'ok';
    const method = x.method === 'POST' ? (line.rpc as string | undefined) : x.method;
    counters?.observe(known.gateway, known.consumer, known.server, method, result);
  };
  try {
    call = await admit(env, { x, snapshot, line, known, signal: deadline.signal, release }, consumerSlug);
    timer = setTimeout(() => deadline.abort(), call.gateway.config.limits.requestTimeoutMs);
    if (x.method === 'POST') await post(env, call, release);
    else if (x.method === 'DELETE') {
      await end(call, open, upstreams, idle);
      release();
    } else if (x.method === 'GET') {
      // A listening stream lives as long as the client wants it: no request deadline.
      release();
      await listen(call, open, idle);
    } else {
      throw new McpError(
        MCP_ERRORS.InvalidRequest,
        `Method ${x.method} is not allowed on /mcp; use POST, GET or DELETE.`,
        405,
      );
    }
    log(Number(line.status ?? 200));
  } catch (err) {
    release();
    const e = asMcpError(err, logger);
    line.error = e.message;
    log(e.httpStatus);
    const headers: Record<string, string> = { ...JSON_HEADERS };
    if (err instanceof OAuthChallenge) headers['www-authenticate'] = err.header;
    if (e.httpStatus === 405) headers.allow = x.method === 'GET' ? 'POST, DELETE' : 'GET, POST, DELETE';
    // An error about the request itself answers it (HTTP 200, its id); one about the transport does not.
    const id = e.httpStatus === 200 ? (call?.id ?? null) : null;
    return x.respond(e.httpStatus, headers, JSON.stringify(errorMessage(id, e.code, e.message, e.data)));
  }
}

/** The request's gateway, consumer and caller (API key or OAuth token), or the refusal. */
async function admit(
  env: EndpointEnv,
  req: Pick<Call, 'x' | 'snapshot' | 'line' | 'known' | 'signal' | 'release'>,
  consumerSlug: string,
): Promise<Call> {
  const { x, snapshot, line, known } = req;
  const gateway = findGateway(snapshot, x.header('x-ag-gateway-slug'), x.header('host'));
  line.gateway = gateway.config.slug;
  const consumer = findConsumer(gateway, consumerSlug);
  known.gateway = gateway.config.slug;
  known.consumer = consumer.config.slug;
  const identity = await env.oauth.authenticate(x, consumer);
  if (identity.kind === 'token') line.sub = identity.token.subject;
  const mcp = consumer.config.mcp;
  if (!mcp)
    throw new McpError(MCP_ERRORS.MethodNotFound, `Consumer '${consumerSlug}' has no MCP servers.`, 404);
  if (!gateway.config.mcp)
    throw new McpError(
      MCP_ERRORS.InternalError,
      'This gateway has no MCP session keys (spec.mcp.sessionKeys).',
      503,
    );
  checkOrigin(x, gateway, consumer);
  return {
    ...req,
    gateway,
    consumer,
    mcp,
    names: env.oauth.namesFor(identity, env.names(mcp), mcp),
    identity,
    id: null,
    // A token's caller is counted as its issuer and subject where a Policy counts by APIKey.
    keyHash:
      identity.kind === 'key'
        ? identity.keyHash
        : createHash('sha256')
            .update(`${identity.token.issuer}\n${identity.token.subject ?? ''}`)
            .digest(),
  };
}
