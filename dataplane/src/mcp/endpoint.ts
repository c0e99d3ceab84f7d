import { createHash } from 'node:crypto';
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import type { CompiledConsumerMcp } from '../../../protocol/src';
import type { ConfigStore } from '../config/store';
import { isObject, type Json } from '../formats/wire';
import { readBody } from '../proxy/body';
import type { Exchange } from '../proxy/exchange';
import { findConsumer, findGateway } from '../proxy/resolve';
import type { Registry } from 'prom-client';
import type { RateLimiter } from '../policies/rate-limit/limiter';
import type { Logger } from '../telemetry/logger';
import type { ApprovalBroker } from '../approvals/broker';
import type { PolicyEngine } from '../policies/engine';
import { answerElicitation } from './approval';
import { end, listen } from './endpoint-get-delete';
import {
  JSON_HEADERS,
  SSE_HEADERS,
  asMcpError,
  asRequest,
  checkOrigin,
  parseMessage,
  registryIn,
  type Call,
} from './endpoint-helpers';
import { IdleSessions } from './idle';
import { approvalsFor, toolGuardFor } from './wiring';
import { mcpMetrics } from './metrics';
import { initializeAll } from './initialize';
import { MCP_ERRORS, McpError, errorMessage, sseFrame, type JsonRpcRequest, type RequestId } from './jsonrpc';
import {
  answer,
  answerServer,
  notifyAll,
  SessionGone,
  type MuxContext,
  type ToolCallHooks,
  type SessionServer,
} from './multiplex';
import { McpNames } from './names';
import { McpResourceServer, OAuthChallenge } from './oauth/resource-server';
import { ownerOf, toolLabel } from './owner';
import { toolCallPolicies } from './tool-calls';
import { sealSession, sessionKeysOf, type SessionClaims } from './session';
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

/** Client notifications every server of the session hears. */
const RELAYED_NOTIFICATIONS = new Set([
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/roots/list_changed',
]);

export function createMcpEndpoint(deps: McpEndpointDeps): McpEndpoint {
  const { store, logger } = deps;
  const now = deps.now ?? Date.now;
  const upstreams = deps.upstreams ?? new McpUpstreams();
  const idle = deps.idle ?? new IdleSessions();
  const oauth = deps.oauth ?? new McpResourceServer({ now });
  const sessions = new OpenedSessions();
  const namesOf = new WeakMap<CompiledConsumerMcp, McpNames>();
  const counters = deps.metrics ? mcpMetrics(deps.metrics) : undefined;
  counters?.watchSessions(idle);

  function names(mcp: CompiledConsumerMcp): McpNames {
    let n = namesOf.get(mcp);
    if (!n) namesOf.set(mcp, (n = new McpNames(mcp.servers, mcp)));
    return n;
  }

  async function handle(x: Exchange, consumerSlug: string): Promise<void> {
    const start = performance.now();
    const snapshot = store.current; // held to the end of this request
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
      const gateway = findGateway(snapshot, x.header('x-ag-gateway-slug'), x.header('host'));
      line.gateway = gateway.config.slug;
      const consumer = findConsumer(gateway, consumerSlug);
      known.gateway = gateway.config.slug;
      known.consumer = consumer.config.slug;
      const identity = await oauth.authenticate(x, consumer);
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
      timer = setTimeout(() => deadline.abort(), gateway.config.limits.requestTimeoutMs);
      call = {
        x,
        snapshot,
        gateway,
        consumer,
        mcp,
        names: oauth.namesFor(identity, names(mcp), mcp),
        identity,
        signal: deadline.signal,
        line,
        id: null,
        release,
        // A token's caller is counted as its issuer and subject where a Policy counts by APIKey.
        keyHash:
          identity.kind === 'key'
            ? identity.keyHash
            : createHash('sha256')
                .update(`${identity.token.issuer}\n${identity.token.subject ?? ''}`)
                .digest(),
        known,
      };
      if (x.method === 'POST') await post(call, release);
      else if (x.method === 'DELETE') {
        await end(call, openContext, upstreams, idle);
        release();
      } else if (x.method === 'GET') {
        // A listening stream lives as long as the client wants it: no request deadline.
        release();
        await listen(call, openContext, idle);
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

  async function post(call: Call, done: () => void): Promise<void> {
    const { x } = call;
    const raw = await readBody(x.body, x.header('content-length'), call.consumer.maxRequestBodyBytes);
    const message = parseMessage(raw);
    const method = typeof message.method === 'string' ? message.method : undefined;
    call.line.rpc = method ?? 'response';
    if (method === 'tools/call' && isObject(message.params)) {
      call.line.tool = message.params.name;
      oauth.checkToolCall(
        call.identity,
        names(call.mcp),
        call.mcp,
        x,
        call.consumer.config.slug,
        String(message.params.name),
      );
    }
    const owner =
      method !== undefined && isObject(message.params)
        ? ownerOf(method, message.params, call.names)
        : undefined;
    if (owner !== undefined) call.line.server = call.known.server = owner;
    const isRequest = method !== undefined && message.id !== undefined;
    if (isRequest) call.id = message.id as RequestId;

    if (method === 'initialize' && isRequest) {
      const req = asRequest(message);
      const servers = call.mcp.servers.map((named) => ({
        named,
        registry: registryIn(call.snapshot, named.registry),
      }));
      const init = await initializeAll(
        req,
        servers,
        call.mcp.onServerDown,
        upstreams,
        call.signal,
        call.gateway.config.mcp?.idleTimeoutMs,
      );
      const keys = sessionKeysOf(call.gateway.config.mcp?.sessionKeys ?? []);
      const [key] = keys;
      if (!key) throw new McpError(MCP_ERRORS.InternalError, 'This gateway has no MCP session keys.', 503);
      const claims: SessionClaims = {
        gateway: call.gateway.name,
        consumer: call.consumer.name,
        protocolVersion: String(init.result.protocolVersion),
        issuedAt: now(),
        servers: init.servers,
        ...(isObject(req.params.capabilities) && isObject(req.params.capabilities.elicitation)
          ? { elicitation: true }
          : {}),
        ...(init.clientInit ? { clientInit: init.clientInit } : {}),
      };
      const token = sealSession(claims, key);
      idle.touch(token, claims.issuedAt, call.gateway.config.mcp?.idleTimeoutMs ?? Infinity);
      done();
      call.line.status = 200;
      return x.respond(
        200,
        { ...JSON_HEADERS, 'mcp-session-id': token },
        JSON.stringify({ jsonrpc: '2.0', id: req.id, result: init.result }),
      );
    }

    const ctx = openContext(call);
    try {
      if (!isRequest) {
        if (method !== undefined && RELAYED_NOTIFICATIONS.has(method)) await notifyAll(message, ctx);
        else if (
          method === undefined &&
          !(await answerElicitation(message, {
            broker: deps.approvals,
            logger,
            gateway: call.gateway.name,
            consumer: call.consumer.name,
          }))
        )
          await answerServer(message, ctx);
        done();
        call.line.status = 202;
        return x.respond(202, {}, '');
      }
      const req = asRequest(message);
      const result = await answer(req, ctx);
      call.line.status = 200;
      if (result.kind === 'message') {
        done();
        return x.respond(200, JSON_HEADERS, JSON.stringify(result.message));
      }
      if (!(x.header('accept') ?? '').includes('text/event-stream')) {
        let final: Json | undefined;
        for await (const m of result.messages) if (m.id === req.id && m.method === undefined) final = m;
        done();
        return x.respond(
          200,
          JSON_HEADERS,
          JSON.stringify(final ?? errorMessage(req.id, MCP_ERRORS.ServerUnavailable, 'no answer')),
        );
      }
      return x.respondStream(200, SSE_HEADERS, sseOf(result.messages, req), done);
    } catch (err) {
      if (err instanceof SessionGone) {
        idle.end(String(x.header('mcp-session-id')));
        throw new McpError(MCP_ERRORS.InvalidRequest, `Session not found: ${err.message}`, 404);
      }
      throw err;
    }
  }

  async function* sseOf(messages: AsyncIterable<Json>, req: JsonRpcRequest): AsyncGenerator<Uint8Array> {
    try {
      for await (const m of messages) yield Buffer.from(sseFrame(m));
    } catch (err) {
      const e = asMcpError(err, logger);
      yield Buffer.from(sseFrame(errorMessage(req.id, e.code, e.message, e.data)));
    }
  }

  /** The session of a request: its token opened, checked and turned into the servers to reach. */
  function openContext(call: Call): MuxContext {
    const { x, gateway } = call;
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
      ? sessions.open(token, sessionKeysOf(settings.sessionKeys), {
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
    const toolGuard = toolGuardFor(deps.policies, call.consumer);
    const approvals = approvalsFor(deps.approvals, logger, gateway, call.consumer, {
      elicit: clientStreams && opened.claims.elicitation === true,
      onHold: call.release,
    });
    return {
      ...(toolGuard ? { toolGuard } : {}),
      ...(approvals ? { approvals } : {}),
      names: call.names,
      servers,
      onServerDown: call.mcp.onServerDown,
      upstreams,
      signal: call.signal,
      clientStreams,
      toolCalls: toolCallHooks(call),
    };
  }

  /** Policies and the duration metric around each tool call of this request. */
  function toolCallHooks(call: Call): ToolCallHooks | undefined {
    const policies = toolCallPolicies(deps.limiter, {
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

  return {
    handle,
    resourceMetadata: (x, path) => oauth.metadata(x, path, store.current),
    close: () => upstreams.close(),
  };
}
