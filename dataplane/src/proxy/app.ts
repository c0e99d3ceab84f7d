import type { HttpBindings } from '@hono/node-server';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Hono, type Context } from 'hono';
import type { ConfigStore } from '../config/store';
import { createPolicyEngine, type PolicyEngine } from '../policies/engine';
import { RateLimiter } from '../policies/rate-limit/limiter';
import { createEmbedder, registryIn } from '../policies/semantic-cache/embedder';
import type { AdapterSet, Operation } from '../providers/types';
import { HealthRegistry } from '../routing/health';
import type { Logger } from '../telemetry/logger';
import type { ProxyMetrics } from '../telemetry/metrics';
import { admit, preflight } from './admit';
import { answered } from './answered';
import { RequestContext, SHUTDOWN, requestIdOf } from './context';
import { matchPath, type Endpoint } from './endpoints';
import { GatewayError, errors } from './errors';
import { nodeExchange, webExchange, type Exchange } from './exchange';
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
}

type Env = { Bindings: Partial<HttpBindings> };

export interface Proxy {
  /** The Hono app: `app.request()` in tests, `app.fetch` on any web-standard runtime. */
  app: Hono<Env>;
  /** The Node front door used by the server. */
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
    random: deps.random ?? Math.random,
    policies,
    health: deps.health ?? new HealthRegistry(),
    live: new Set(),
  };
  // Pipelines are built when a config arrives, not on a request.
  policies.prepare(store.current);
  store.onChange((s) => policies.prepare(s));

  function listener(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const x = nodeExchange(req, res);
    void route(x, path, (op) => {
      if (!res.headersSent) return refuse(x, errors.internal(), op);
      res.destroy();
      return undefined;
    });
  }

  /** The front door: the path to an endpoint, its method to the request path or an error. */
  function route(
    x: Exchange,
    path: string,
    unhandled: (op: Operation) => Response | undefined,
  ): Response | Promise<Response> {
    const matched = matchPath(path);
    const method = x.method;
    if (!matched) return refuse(x, errors.unknownEndpoint(method, path));
    const { ep } = matched;
    if (method === 'OPTIONS') return answerPreflight(rt, x, ep, matched.consumer, path);
    if (method !== ep.method) return refuse(x, errors.methodNotAllowed(method, path), ep.op);
    return handle(rt, x, ep, path, matched.consumer, matched.id).catch((err: unknown) => {
      rt.logger.error({ err, path }, 'unhandled error');
      return unhandled(ep.op) ?? (undefined as never);
    });
  }

  const app = new Hono<Env>();
  app.all('*', (c: Context<Env>) => {
    const x =
      c.env?.incoming && c.env.outgoing
        ? nodeExchange(c.env.incoming as HttpBindings['incoming'], c.env.outgoing as HttpBindings['outgoing'])
        : webExchange(c.req.raw);
    return route(x, c.req.path, (op) => refuse(x, errors.internal(), op));
  });

  function shutdown(): void {
    for (const abort of rt.live) abort.abort(SHUTDOWN);
  }

  return { app, listener, shutdown };
}

/** One request through admit → prepare → upstream → respond; any failure answered in the caller's format. */
async function handle(
  rt: ProxyRuntime,
  x: Exchange,
  ep: Endpoint,
  path: string,
  consumerSlug: string | undefined,
  id: string | undefined,
): Promise<Response> {
  rt.metrics.inFlight.inc();
  const ctx = new RequestContext(x, ep, path, rt.store.current);
  try {
    admit(ctx, rt, consumerSlug);
    if (ep.op === 'models' || ep.kind === 'countTokens') {
      return await answerBeside(ctx, rt, id);
    }
    const answer = await prepare(ctx);
    if (answer) return answered(ctx, rt, answer);
    const sent = await callUpstream(ctx, rt, ctx.route!);
    return await respond(ctx, rt, sent);
  } catch (err) {
    ctx.disarm(rt.live);
    // Errors built from upstream text (a token endpoint's answer, a decoder's complaint) included.
    const scrub = scrubberFor(ctx.tried);
    const e = scrub ? scrub.error(toGatewayError(err, rt.logger)) : toGatewayError(err, rt.logger);
    ctx.status = ctx.clientGone ? 499 : e.status;
    ctx.error = ctx.clientGone ? 'client_closed' : e.code;
    record(ctx, rt.metrics, rt.logger);
    return errorResponse(x, e, ctx.requestId, ctx.responseHeaders, errorOp(ep.op, x));
  }
}

/** OPTIONS: the consumer's edge policies answer (CORS), or an error in the endpoint's format. */
function answerPreflight(
  rt: ProxyRuntime,
  x: Exchange,
  ep: Endpoint,
  consumerSlug: string | undefined,
  path: string,
): Response {
  rt.metrics.inFlight.inc();
  const ctx = new RequestContext(x, ep, path, rt.store.current);
  try {
    const answer = preflight(ctx, rt, consumerSlug);
    ctx.status = answer.status;
    record(ctx, rt.metrics, rt.logger);
    return x.respond(
      answer.status,
      { ...ctx.responseHeaders, ...answer.headers, 'x-request-id': ctx.requestId },
      '',
    );
  } catch (err) {
    const e = toGatewayError(err, rt.logger);
    ctx.status = e.status;
    ctx.error = e.code;
    record(ctx, rt.metrics, rt.logger);
    return errorResponse(x, e, ctx.requestId, undefined, ep.op);
  }
}

function refuse(x: Exchange, e: GatewayError, op?: Operation): Response {
  return errorResponse(x, e, requestIdOf(x), undefined, op);
}
