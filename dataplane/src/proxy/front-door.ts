import type { IncomingMessage, ServerResponse } from 'node:http';
import { a2aPath, createA2AHandler } from '../a2a/handler';
import type { AgentClient } from '../a2a/upstream';
import type { ApprovalBroker } from '../approvals/broker';
import { errors } from '../errors/errors';
import type { McpEndpoint } from '../mcp/endpoint';
import { mcpMetrics } from '../mcp/metrics';
import type { McpUpstreams } from '../mcp/upstream';
import { METADATA_PATH } from '../mcp/oauth/challenge';
import { NodeExchange } from './exchange';
import { requestIdOf } from './context';
import { errorResponse } from './failures';
import type { ProxyRuntime } from './runtime';

/** Where a handed-off request is addressed: `/{consumer}/{segment}{rest}`, or `{prefix}{rest}`. */
export interface HandedOff {
  /** The path's first segment; undefined for a prefix handoff (its path names no consumer). */
  consumer: string | undefined;
  /** The path after `/{consumer}/{segment}` or the prefix (may be empty), without the query. */
  rest: string;
  /** The whole request path, without the query. */
  path: string;
}

export type HandoffHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  to: HandedOff,
) => void | Promise<void>;

/**
 * What a handoff's module is built with: the request path's runtime, the proxy's A2A client and
 * its approval broker.
 */
export interface HandoffRuntime extends ProxyRuntime {
  /** Connections to A2A agents; a fresh client when undefined. */
  readonly agents: AgentClient | undefined;
  /** Holds MCP tool calls that need approval; without it they are refused. */
  readonly approvals: ApprovalBroker | undefined;
  /** The MCP endpoint's upstream clients (their health is in /config_dump); a fresh set when undefined. */
  readonly mcpUpstreams: McpUpstreams | undefined;
}

/**
 * A route the front door hands to another module (MCP at `/{consumer}/mcp`, A2A at
 * `/{consumer}/a2a/{agent}`): a request whose second path segment is `segment` — or, for a route
 * outside every consumer (the OAuth metadata of `/.well-known/...`), whose path is `prefix` or
 * starts with `prefix/` — goes to the handler `create` builds once per proxy, with what the request
 * path shares (config store, policies, adapters, metrics, logger). The LLM endpoints (ENDPOINTS)
 * are matched first, so a handoff can never shadow one (they all start with `v1` or `/v1`).
 */
export type Handoff =
  | { segment: string; create(rt: HandoffRuntime): HandoffHandler }
  | { prefix: string; create(rt: HandoffRuntime): HandoffHandler };

/**
 * The MCP endpoint is built once per proxy, at its first request, and shared by its two routes. Its
 * module (with the MCP SDK, zod and jose under it, several MB of heap) is loaded then: a proxy
 * whose callers never speak MCP never loads it. Its metrics are registered up front (`create`), so
 * /metrics lists them from the start as before.
 */
const mcpEndpoints = new WeakMap<HandoffRuntime, Promise<McpEndpoint>>();
function mcpOf(rt: HandoffRuntime): Promise<McpEndpoint> {
  let mcp = mcpEndpoints.get(rt);
  if (!mcp) {
    mcp = import('../mcp/endpoint').then(({ createMcpEndpoint }) =>
      createMcpEndpoint({
        store: rt.store,
        logger: rt.logger,
        metrics: rt.metrics.registry,
        policies: rt.policies,
        ...(rt.approvals ? { approvals: rt.approvals } : {}),
        ...(rt.policies.limiter ? { limiter: rt.policies.limiter } : {}),
        ...(rt.mcpUpstreams ? { upstreams: rt.mcpUpstreams } : {}),
      }),
    );
    mcpEndpoints.set(rt, mcp);
  }
  return mcp;
}

/** The modules the proxy hands requests to: adding one is adding an entry here. */
export const HANDOFFS: readonly Handoff[] = [
  // /{consumer}/mcp: the MCP gateway (dataplane/src/mcp), same discovery and keys, own transport.
  {
    segment: 'mcp',
    create(rt) {
      mcpMetrics(rt.metrics.registry);
      return async (req, res, to) => {
        if (to.rest !== '') return refuseUnknown(new NodeExchange(req, res), to.path);
        const mcp = await mcpOf(rt);
        await mcp.handle(new NodeExchange(req, res), to.consumer ?? '');
      };
    },
  },
  // /.well-known/oauth-protected-resource[/{consumer}/mcp]: RFC 9728 metadata of the MCP endpoints.
  {
    prefix: METADATA_PATH,
    create(rt) {
      return async (req, res, to) => {
        const mcp = await mcpOf(rt);
        mcp.resourceMetadata(new NodeExchange(req, res), to.path);
      };
    },
  },
  // /{consumer}/a2a/{agent}[/.well-known/agent-card.json]: the A2A gateway (dataplane/src/a2a).
  {
    segment: 'a2a',
    create(rt) {
      const a2a = createA2AHandler({
        store: rt.store,
        metrics: rt.metrics,
        logger: rt.logger,
        policies: rt.policies,
        limiter: rt.policies.limiter,
        client: rt.agents,
      });
      return async (req, res, to) => {
        const x = new NodeExchange(req, res);
        if (!a2aPath(to.path)) return refuseUnknown(x, to.path);
        await a2a(x, to.path);
      };
    },
  },
];

/** 404 `unknown_url`, as for any path the front door does not serve. */
function refuseUnknown(x: NodeExchange, path: string): void {
  errorResponse(x, errors.unknownEndpoint(x.method, path), requestIdOf(x));
}

/** The handler a path is handed to, and how it is addressed. */
export type HandoffRoute = (path: string) => { handler: HandoffHandler; to: HandedOff } | undefined;

/** The handlers of `handoffs`, built once per proxy: by segment, then by prefix. */
export function handoffTable(handoffs: readonly Handoff[], rt: HandoffRuntime): HandoffRoute {
  const bySegment = new Map<string, HandoffHandler>();
  const byPrefix: { prefix: string; handler: HandoffHandler }[] = [];
  for (const h of handoffs) {
    if ('segment' in h) {
      if (h.segment === 'v1' || h.segment.includes('/') || bySegment.has(h.segment))
        throw new Error(`handoff segment '${h.segment}' is reserved or taken`);
      bySegment.set(h.segment, h.create(rt));
    } else {
      if (
        !h.prefix.startsWith('/') ||
        h.prefix.endsWith('/') ||
        h.prefix === '/v1' ||
        h.prefix.startsWith('/v1/')
      )
        throw new Error(
          `handoff prefix '${h.prefix}' must start with '/', not end with one, and not be under /v1`,
        );
      byPrefix.push({ prefix: h.prefix, handler: h.create(rt) });
    }
  }
  return (path) => {
    for (const { prefix, handler } of byPrefix) {
      if (path === prefix || path.startsWith(`${prefix}/`))
        return { handler, to: { consumer: undefined, rest: path.slice(prefix.length), path } };
    }
    const to = splitHandoff(path);
    const handler = to && bySegment.get(to.segment);
    return to && handler ? { handler, to: { consumer: to.consumer, rest: to.rest, path } } : undefined;
  };
}

/** `/{consumer}/{segment}{rest}` split, when the path has that shape. */
export function splitHandoff(path: string): { consumer: string; segment: string; rest: string } | undefined {
  const slash = path.indexOf('/', 1);
  if (slash <= 1) return undefined;
  const end = path.indexOf('/', slash + 1);
  const segment = end === -1 ? path.slice(slash + 1) : path.slice(slash + 1, end);
  if (segment === '') return undefined;
  return { consumer: path.slice(1, slash), segment, rest: end === -1 ? '' : path.slice(end) };
}
