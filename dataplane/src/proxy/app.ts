import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AgentClient } from '../a2a/upstream';
import type { ApprovalBroker } from '../approvals/broker';
import type { ConfigStore } from '../config/store';
import { createPolicyEngine, type PolicyEngine } from '../policies/engine';
import { RateLimiter } from '../policies/rate-limit/limiter';
import { createEmbedder, registryIn } from '../policies/semantic-cache/embedder';
import type { AdapterSet, Operation } from '../providers/types';
import { HealthRegistry } from '../routing/health';
import type { McpUpstreams } from '../mcp/upstream';
import { accessLog } from '../telemetry/access-log';
import type { Logger } from '../telemetry/logger';
import type { ProxyMetrics } from '../telemetry/metrics';
import { admit, preflight } from './admit';
import { answered } from './answered';
import { RequestContext, SHUTDOWN, requestIdOf } from './context';
import { matchPath, type Endpoint } from './endpoints';
import { GatewayError, errors } from '../errors/errors';
import { NodeExchange, type Exchange } from './exchange';
import { HANDOFFS, handoffTable, type Handoff, type HandedOff, type HandoffHandler } from './front-door';
import { errorOp, errorResponse, toGatewayError } from './failures';
import { prepare } from './prepare';
import { record } from './record';
import { respond } from './respond';
import type { ProxyRuntime } from './runtime';
import { scrubberFor } from './scrub';
import { answerBeside } from './side';
import { callUpstream } from './upstream';

export type { AdapterSet } from '../providers/types';
export { errorBodyFor } from './failures';

export interface ProxyDeps {
  store: ConfigStore;
  adapters: AdapterSet;
  metrics: ProxyMetrics;
  logger: Logger;
  /** Injected for deterministic tests; Math.random otherwise. */
  random?: () => number;
  /**
   * Builds each consumer's policy pipeline; by default with in-process rate-limit counters and a
   * semantic cache that embeds through `adapters`.
   */
  policies?: PolicyEngine;
  /** Upstream health and load, long-lived (outlives config changes); a fresh one by default. */
  health?: HealthRegistry;
  /** The modules requests are handed to by path; HANDOFFS by default. */
  handoffs?: readonly Handoff[];
  /** Connections to A2A agents (`/{consumer}/a2a/{agent}`); the owner closes it. A fresh one by default. */
  agents?: AgentClient;
  /** Holds MCP tool calls that need approval (`requireApproval`); without it they are refused. */
  approvals?: ApprovalBroker;
  /** The MCP endpoint's upstream clients (their health is in /config_dump); a fresh set by default. */
  mcpUpstreams?: McpUpstreams;
}

export interface Proxy {
  /**
   * The proxy's one front door, served by the server and driven by the tests (through
   * testing/proxy-client.ts): the LLM endpoints (ENDPOINTS), then the modules of HANDOFFS.
   */
  listener: (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * Ends every request still waiting on an upstream: a stream with an error event in the caller's
   * format saying the gateway is shutting down, a request not yet answered with 503. For the end
   * of a shutdown's grace period, before the sockets are closed.
   */
  shutdown(): void;
}

export function createProxy(deps: ProxyDeps): Proxy {
  const { store, adapters } = deps;
  const policies =
    deps.policies ??
    createPolicyEngine({
      limiter: new RateLimiter(),
      embedder: createEmbedder({ registry: registryIn(store), adapters }),
    });
  const rt: ProxyRuntime = {
    store,
    adapters,
    metrics: deps.metrics,
    logger: deps.logger,
    accessLog: accessLog(deps.logger),
    random: deps.random ?? Math.random,
    policies,
    health: deps.health ?? new HealthRegistry(),
    live: new Set(),
  };
  // Pipelines are built when a config arrives, not on a request.
  policies.prepare(store.current);
  store.onChange((s) => policies.prepare(s));
  const handoffs = handoffTable(deps.handoffs ?? HANDOFFS, {
    ...rt,
    agents: deps.agents,
    approvals: deps.approvals,
    mcpUpstreams: deps.mcpUpstreams,
  });

  function listener(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const x = new NodeExchange(req, res);
    const matched = matchPath(path);
    if (!matched) {
      const route = handoffs(path);
      if (route) handOff(rt, x, route.handler, req, res, route.to);
      else refuse(x, errors.unknownEndpoint(x.method, path));
      return;
    }
    const { ep } = matched;
    if (x.method === 'OPTIONS') return answerPreflight(rt, x, ep, matched.consumer, path);
    if (x.method !== ep.method) return refuse(x, errors.methodNotAllowed(x.method, path), ep.op);
    handle(rt, x, ep, path, matched.consumer, matched.id).catch((err: unknown) =>
      unhandled(rt, x, err, path, ep.op),
    );
  }

  function shutdown(): void {
    for (const abort of rt.live) abort.abort(SHUTDOWN);
  }

  return { listener, shutdown };
}

/** A request for another module: its handler's failures are answered (500) or cut, never thrown. */
function handOff(
  rt: ProxyRuntime,
  x: Exchange,
  handler: HandoffHandler,
  req: IncomingMessage,
  res: ServerResponse,
  to: HandedOff,
): void {
  try {
    const done = handler(req, res, to);
    if (done) done.catch((err: unknown) => unhandled(rt, x, err, to.path, undefined));
  } catch (err) {
    unhandled(rt, x, err, to.path, undefined);
  }
}

/** A failure nothing answered: 500 in the endpoint's format, or a cut connection once the response started. */
function unhandled(
  rt: ProxyRuntime,
  x: Exchange,
  err: unknown,
  path: string,
  op: Operation | undefined,
): void {
  rt.logger.error({ err, path }, 'unhandled error');
  if (x.started) x.abandon();
  else refuse(x, errors.internal(), op);
}

/** One request through admit → prepare → upstream → respond; any failure answered in the caller's format. */
async function handle(
  rt: ProxyRuntime,
  x: Exchange,
  ep: Endpoint,
  path: string,
  consumerSlug: string | undefined,
  id: string | undefined,
): Promise<void> {
  rt.metrics.inFlight.inc();
  const ctx = new RequestContext(x, ep, path, rt.store.current);
  try {
    admit(ctx, rt, consumerSlug);
    if (ep.op === 'models' || ep.kind === 'countTokens') {
      return await answerBeside(ctx, rt, id);
    }
    const answer = await prepare(ctx);
    if (answer) return answered(ctx, rt, answer);
    const sent = await callUpstream(ctx, rt);
    await respond(ctx, rt, sent);
  } catch (err) {
    ctx.disarm(rt.live);
    // Errors built from upstream text (a token endpoint's answer, a decoder's complaint) included.
    const scrub = scrubberFor(ctx.tried);
    const e = scrub ? scrub.error(toGatewayError(err, rt.logger)) : toGatewayError(err, rt.logger);
    ctx.status = ctx.clientGone ? 499 : e.status;
    ctx.error = ctx.clientGone ? 'client_closed' : e.code;
    record(ctx, rt);
    errorResponse(x, e, ctx.requestId, ctx.responseHeaders, errorOp(ep.op, x));
  }
}

/** OPTIONS: the consumer's edge policies answer (CORS), or an error in the endpoint's format. */
function answerPreflight(
  rt: ProxyRuntime,
  x: Exchange,
  ep: Endpoint,
  consumerSlug: string | undefined,
  path: string,
): void {
  rt.metrics.inFlight.inc();
  const ctx = new RequestContext(x, ep, path, rt.store.current);
  try {
    const answer = preflight(ctx, rt, consumerSlug);
    ctx.status = answer.status;
    record(ctx, rt);
    x.respond(
      answer.status,
      { ...ctx.responseHeaders, ...answer.headers, 'x-request-id': ctx.requestId },
      '',
    );
  } catch (err) {
    const e = toGatewayError(err, rt.logger);
    ctx.status = e.status;
    ctx.error = e.code;
    record(ctx, rt);
    errorResponse(x, e, ctx.requestId, undefined, ep.op);
  }
}

function refuse(x: Exchange, e: GatewayError, op?: Operation): void {
  errorResponse(x, e, requestIdOf(x), undefined, op);
}
