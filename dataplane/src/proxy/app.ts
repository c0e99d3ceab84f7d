import { randomUUID } from 'node:crypto';
import type { HttpBindings } from '@hono/node-server';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Hono, type Context } from 'hono';
import type { CompiledProvider, CompiledRegistry } from '../../../protocol/src';
import { a2aPath, createA2AHandler } from '../a2a/handler';
import type { AgentClient } from '../a2a/upstream';
import { FORMATS, type FormatName } from '../formats';
import type { StreamEvent, Usage } from '../formats/ir';
import { sseText } from '../formats/wire';
import { wantsStreamUsage } from '../formats/openai-chat';
import type { RuntimeConsumer, RuntimeGateway, RuntimeTarget } from '../config/snapshot';
import { dispatch, type Attempt } from '../routing/dispatch';
import { HealthRegistry } from '../routing/health';
import type { ConfigStore } from '../config/store';
import { createPolicyEngine, type PolicyEngine } from '../policies/engine';
import { RateLimiter } from '../policies/rate-limit/limiter';
import { createEmbedder, registryIn } from '../policies/semantic-cache/embedder';
import type { Pipeline } from '../policies/pipeline';
import type { PolicyAnswer, PolicyRequest } from '../policies/types';
import { eventsOf, StreamAssembler } from '../formats/assemble';
import { PROFILES } from '../providers/profiles';
import { CallAbort } from '../providers/abort';
import { describeFailure } from '../providers/failure';
import { isTimeoutError } from '../providers/http';
import type { Operation, ProviderAdapter, UpstreamResponse } from '../providers/types';
import { UpstreamError } from '../providers/types';
import { createMcpEndpoint } from '../mcp/endpoint';
import { METADATA_PATH } from '../mcp/oauth/challenge';
import type { ApprovalBroker } from '../approvals/broker';
import type { McpUpstreams } from '../mcp/upstream';
import type { Logger } from '../telemetry/logger';
import type { ProxyMetrics } from '../telemetry/metrics';
import { readBody, parseJsonObject } from './body';
import { GatewayError, errors } from './errors';
import { nodeExchange, webExchange, type Exchange } from './exchange';
import { ProxyPolicyRequest } from './policy-request';
import { countingTarget, checkCountRequest, countTokensWith } from './count-tokens';
import { ENDPOINTS, matchPath, type Endpoint } from './endpoints';
import { modelsAnswer } from './models';
import {
  authenticate,
  findByKey,
  findConsumer,
  findGateway,
  findRoute,
  presentedKey,
  upstreamModel,
  type KeyAddressed,
} from './resolve';
import { readableResponse } from './readable';
import { scrubberFor } from './scrub';
import { checkModelName, checkTokenLimits } from './request-checks';
import {
  INBOUND_FORMAT,
  nativeBody,
  planFor,
  relayNativeStream,
  responseBody,
  streamFailure,
  translateStream,
  upstreamBody,
  usageObject,
  type Plan,
  type UpstreamBody,
} from './translate';

/** The adapter serving each provider type (the HTTP adapter for all but `mock`). */
export type AdapterSet = Partial<Record<CompiledProvider, ProviderAdapter>>;

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
  /** Connections to A2A agents (`/{consumer}/a2a/{agent}`); the owner closes it. A fresh one by default. */
  agents?: AgentClient;
  /** Holds MCP tool calls that need approval (`requireApproval`); without it they are refused. */
  approvals?: ApprovalBroker;
  /** The MCP endpoint's upstream clients (their health is in /config_dump); a fresh set by default. */
  mcpUpstreams?: McpUpstreams;
}

type Env = { Bindings: Partial<HttpBindings> };

/** What the access log and metrics say about one request; filled in as the pipeline learns it. */
interface Outcome {
  requestId: string;
  method: string;
  path: string;
  gateway: string;
  consumer: string;
  registry: string;
  model: string;
  upstreamModel: string;
  status: number;
  upstreamMs?: number;
  error?: string;
  /** The raw code of an upstream failure (`ECONNRESET`, …): logged, never sent to the caller. */
  upstreamError?: string;
}

/** Where a request is addressed: the consumer slug in its path (none: key-only) and the `:id`. */
interface Address {
  consumer: string | undefined;
  id: string | undefined;
}
/** `/{consumer}/mcp`: the MCP gateway's Streamable HTTP endpoint (dataplane/src/mcp). */
const MCP_PATH = '/mcp';

export interface Proxy {
  /** The Hono app: `app.request()` in tests, `app.fetch` on any web-standard runtime. */
  app: Hono<Env>;
  /**
   * The Node front door used by the server: the same routes and pipeline without the
   * Request/Response adaptation, which costs a measurable share of throughput (see bench/README.md).
   */
  listener: (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * Ends every request still waiting on an upstream: a stream with an error event in the caller's
   * format saying the gateway is shutting down, a request not yet answered with 503. For the end
   * of a shutdown's grace period, before the sockets are closed.
   */
  shutdown(): void;
}

const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;
const JSON_TYPE = 'application/json';
const SSE_TYPE = 'text/event-stream; charset=utf-8';

/** Why a request's controller was aborted. */
const DEADLINE = Symbol('deadline');
const SHUTDOWN = Symbol('shutdown');

export function createProxy(deps: ProxyDeps): Proxy {
  const { store, adapters, metrics, logger } = deps;
  const random = deps.random ?? Math.random;
  const policies =
    deps.policies ??
    createPolicyEngine({
      limiter: new RateLimiter(),
      embedder: createEmbedder({ registry: registryIn(store), adapters }),
    });
  const health = deps.health ?? new HealthRegistry();
  // Pipelines are built when a config arrives, not on a request.
  policies.prepare(store.current);
  store.onChange((s) => policies.prepare(s));
  const app = new Hono<Env>();
  /** The requests that have called an upstream and are not done: what a shutdown must end. */
  const live = new Set<CallAbort>();
  // /{consumer}/mcp: the MCP gateway (dataplane/src/mcp), same discovery and keys, own transport.
  const mcp = createMcpEndpoint({
    store,
    logger,
    metrics: metrics.registry,
    policies,
    ...(deps.approvals ? { approvals: deps.approvals } : {}),
    ...(policies.limiter ? { limiter: policies.limiter } : {}),
    ...(deps.mcpUpstreams ? { upstreams: deps.mcpUpstreams } : {}),
  });

  const exchangeOf = (c: Context<Env>): Exchange =>
    c.env?.incoming && c.env.outgoing
      ? nodeExchange(c.env.incoming as HttpBindings['incoming'], c.env.outgoing as HttpBindings['outgoing'])
      : webExchange(c.req.raw);

  // The routes of ENDPOINTS, under `/{consumer}` and, key-only, without it.
  const addressOf = (c: Context<Env>): Address => ({
    consumer: c.req.param('consumer'),
    id: c.req.param('id'),
  });
  for (const ep of ENDPOINTS) {
    for (const path of [`/:consumer${ep.rest}`, ep.rest]) {
      app.on(ep.method, path, (c) => handle(exchangeOf(c), ep, addressOf(c), c.req.path));
      app.options(path, (c) => preflight(exchangeOf(c), addressOf(c).consumer, c.req.path, ep.op));
      app.all(path, (c) => refuse(exchangeOf(c), errors.methodNotAllowed(c.req.method, c.req.path), ep.op));
    }
  }
  app.all(`/:consumer${MCP_PATH}`, (c) => mcp.handle(exchangeOf(c), c.req.param('consumer') ?? ''));
  const a2a = createA2AHandler({
    store,
    metrics,
    logger,
    policies,
    limiter: policies.limiter,
    client: deps.agents,
  });
  app.all('/:consumer/a2a/*', (c) => a2a(exchangeOf(c), c.req.path));
  app.all(`${METADATA_PATH}/*`, (c) => mcp.resourceMetadata(exchangeOf(c), c.req.path));
  app.all(METADATA_PATH, (c) => mcp.resourceMetadata(exchangeOf(c), c.req.path));
  app.notFound((c) => refuse(exchangeOf(c), errors.unknownEndpoint(c.req.method, c.req.path)));
  app.onError((err, c) => {
    logger.error({ err, path: c.req.path }, 'unhandled error');
    return refuse(webExchange(c.req.raw), errors.internal());
  });

  /** Before its first config a proxy knows no gateway at all: that is 503 not_ready, not a 404. */
  function neverConfigured(): boolean {
    return !store.ready && store.current.serial === 0;
  }

  function refuse(x: Exchange, e: GatewayError, op?: Operation): Response {
    return errorResponse(x, e, requestIdOf(x), undefined, op);
  }

  function finish(o: Outcome, start: number): void {
    const seconds = (performance.now() - start) / 1000;
    metrics.inFlight.dec();
    metrics.observeRequest(o.gateway, o.consumer, o.registry, o.model, o.status, seconds);
    logger.info(
      {
        requestId: o.requestId,
        method: o.method,
        path: o.path,
        status: o.status,
        gateway: o.gateway,
        consumer: o.consumer,
        registry: o.registry,
        model: o.model,
        upstreamModel: o.upstreamModel,
        durationMs: Math.round(seconds * 1e4) / 10,
        upstreamMs: o.upstreamMs,
        error: o.error,
        upstreamError: o.upstreamError,
      },
      'request',
    );
  }

  function listener(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const matched = matchPath(path);
    const x = nodeExchange(req, res);
    const method = req.method ?? 'GET';
    if (!matched && a2aPath(path)) {
      a2a(x, path).catch((err: unknown) => {
        logger.error({ err, path }, 'unhandled error');
        if (!res.headersSent) refuse(x, errors.internal());
        else res.destroy();
      });
      return;
    }
    const slash = path.indexOf('/', 1);
    if (slash > 1 && path.slice(slash) === MCP_PATH) {
      mcp.handle(x, path.slice(1, slash)).catch(() => res.destroy());
      return;
    }
    if (path.startsWith(METADATA_PATH)) {
      mcp.resourceMetadata(x, path);
      return;
    }
    if (!matched) {
      refuse(x, errors.unknownEndpoint(method, path));
      return;
    }
    const { ep } = matched;
    if (method === 'OPTIONS') {
      preflight(x, matched.consumer, path, ep.op);
      return;
    }
    if (method !== ep.method) {
      refuse(x, errors.methodNotAllowed(method, path), ep.op);
      return;
    }
    handle(x, ep, matched, path).catch((err: unknown) => {
      logger.error({ err, path }, 'unhandled error');
      if (!res.headersSent) refuse(x, errors.internal(), ep.op);
      else res.destroy();
    });
  }

  /**
   * OPTIONS on an endpoint: answered at the edge, before authentication (a browser's preflight
   * carries no credentials), by the consumer's plugins (CORS); 405 when none answers.
   */
  function preflight(x: Exchange, consumerSlug: string | undefined, path: string, op: Operation): Response {
    const start = performance.now();
    metrics.inFlight.inc();
    const o = newOutcome(x, path);
    try {
      if (neverConfigured()) throw errors.notReady();
      // A preflight carries no API key, so key-only addressing has no consumer (and no CORS policy).
      if (consumerSlug === undefined) throw errors.preflightWithoutConsumer(path);
      const gateway = findGateway(
        store.current,
        x.header('x-ag-gateway-slug'),
        x.header('host') ?? x.urlHost,
      );
      o.gateway = gateway.config.slug;
      const consumer = findConsumer(gateway, consumerSlug);
      o.consumer = consumer.config.slug;
      const responseHeaders: Record<string, string> = {};
      const answer = policies
        .pipelineFor(consumer.plugins)
        .edge({ method: x.method, header: (n) => x.header(n), responseHeaders });
      if (!answer) throw errors.methodNotAllowed(x.method, path);
      o.status = answer.status;
      finish(o, start);
      return x.respond(
        answer.status,
        { ...responseHeaders, ...answer.headers, 'x-request-id': o.requestId },
        '',
      );
    } catch (err) {
      const e = toGatewayError(err, logger);
      o.status = e.status;
      o.error = e.code;
      finish(o, start);
      return errorResponse(x, e, o.requestId, undefined, op);
    }
  }

  async function handle(x: Exchange, ep: Endpoint, address: Address, path: string): Promise<Response> {
    const op = ep.op;
    const start = performance.now();
    metrics.inFlight.inc();
    const o = newOutcome(x, path);
    const snapshot = store.current; // held to the end of this request
    const abort = new CallAbort();
    let clientGone = false;
    let timer: NodeJS.Timeout | undefined;
    const cleanup = () => {
      clearTimeout(timer);
      live.delete(abort);
    };
    /** The registries this request reached: their credentials are scrubbed from what comes back. */
    const tried: CompiledRegistry[] = [];
    /** Headers the plugins add to every response from here on, errors included. */
    let extra: Record<string, string> | undefined;
    let pipeline: Pipeline | undefined;
    let preq: ProxyPolicyRequest | undefined;
    try {
      if (neverConfigured()) throw errors.notReady();
      const host = x.header('host') ?? x.urlHost;
      // Key-only addressing: the key finds (and authenticates) the consumer, and with it the gateway.
      const byKey: KeyAddressed | undefined =
        address.consumer === undefined
          ? findByKey(snapshot, presentedKey(x), x.header('x-ag-gateway-slug'), host)
          : undefined;
      const gateway = byKey?.consumer.gateway ?? findGateway(snapshot, x.header('x-ag-gateway-slug'), host);
      o.gateway = gateway.config.slug;
      // The deadline covers the whole request, reading its body included.
      const deadlineAt = start + gateway.config.limits.requestTimeoutMs;
      const consumer = byKey?.consumer ?? findConsumer(gateway, address.consumer ?? '');
      o.consumer = consumer.config.slug;
      const plugins = policies.pipelineFor(consumer.plugins);
      if (!plugins.empty) {
        pipeline = plugins;
        extra = {};
        plugins.edge({ method: x.method, header: (n) => x.header(n), responseHeaders: extra });
      }
      const keyDigest = byKey?.digest ?? authenticate(consumer, presentedKey(x));
      if (op === 'models' || ep.kind === 'countTokens') {
        if (pipeline?.runs('preRequest')) {
          // A token count generates nothing: policies see it as they see a model list.
          const req = new ProxyPolicyRequest(
            x,
            extra ?? {},
            o.requestId,
            'models',
            gateway,
            consumer,
            keyDigest,
            undefined,
          );
          await pipeline.run('preRequest', req);
        }
        if (ep.kind === 'countTokens') return await counted(x, o, start, gateway, consumer, extra);
        const list = modelsAnswer(consumer, address.id, Boolean(x.header('anthropic-version')));
        o.status = 200;
        finish(o, start);
        return x.respond(
          200,
          { 'content-type': JSON_TYPE, ...extra, 'x-request-id': o.requestId },
          JSON.stringify(list),
        );
      }

      const contentType = x.header('content-type');
      if (contentType && !contentType.toLowerCase().includes('json')) throw errors.unsupportedMediaType();
      let raw: Buffer = await readBody(
        x.body,
        x.header('content-length'),
        consumer.maxRequestBodyBytes,
        deadlineAt - performance.now(),
      );
      let body = parseJsonObject(raw);
      let { model, stream } = checkRequest(op, body);
      if (pipeline) {
        preq = new ProxyPolicyRequest(x, extra ?? {}, o.requestId, op, gateway, consumer, keyDigest, body);
        if (pipeline.runs('preRequest')) {
          const answer = await pipeline.run('preRequest', preq);
          if (answer) return answered(x, o, start, op, stream, answer, preq, pipeline, extra ?? {});
          if (preq.bodyReplaced && preq.body) {
            body = preq.body as Record<string, unknown>;
            raw = Buffer.from(JSON.stringify(body));
            ({ model, stream } = checkRequest(op, body));
          }
        }
      }

      const route = findRoute(consumer, model);
      o.model = route.model;
      const inbound = INBOUND_FORMAT[op];

      x.onClientGone(() => {
        clientGone = true;
        abort.abort();
      });
      const timeoutMs = Math.max(0, deadlineAt - performance.now());
      timer = setTimeout(() => abort.abort(DEADLINE), timeoutMs);
      live.add(abort);
      /** What the latest try sent: the response is read with the plan of the target that answered. */
      let plan: Plan | undefined;
      let prepared: UpstreamBody | undefined;
      let sendModel = '';
      const sendTo = async (a: Attempt, signal: CallAbort): Promise<UpstreamResponse> => {
        const target = a.target;
        o.registry = target.registryName;
        if (!tried.includes(target.registry)) tried.push(target.registry);
        sendModel = upstreamModel(target, model);
        o.upstreamModel = sendModel;
        const adapter = adapters[target.registry.provider];
        if (!adapter) throw errors.upstreamFailed(`no adapter for provider '${target.registry.provider}'`);
        plan = inbound ? planFor(inbound, target.registry.provider, sendModel) : undefined;
        if (!plan && !embeddingsServed(target.registry.provider)) {
          throw errors.badRequest(
            `The provider '${target.registry.provider}' of model '${model}' does not serve embeddings.`,
            'unsupported_operation',
          );
        }
        prepared = plan ? upstreamBody(plan, body, raw, sendModel, stream) : nativeBody(body, raw, sendModel);
        if (preq && pipeline) {
          preq.upstream = { registry: target.registryName, model: sendModel };
          if (pipeline.runs('postRequest')) await pipeline.run('postRequest', preq);
        }
        // Upstream errors go to dispatch as they are: it decides what is retried and what counts
        // against the upstream's health; the request's own mapping to 502/504 comes after.
        return adapter.send({
          operation: op,
          registry: target.registry,
          model: sendModel,
          format: plan?.upstream.name,
          body: prepared.body,
          rawBody: prepared.raw,
          stream,
          requestId: o.requestId,
          ...(plan?.native ? forwardedHeaders(x, plan.upstream.name) : {}),
          signal,
        });
      };
      const t0 = performance.now();
      let res: UpstreamResponse;
      let target: RuntimeTarget;
      try {
        const result = await dispatch(
          route,
          consumer,
          {
            clientIp: x.remoteAddress,
            random,
            signal: abort,
            deadlineAt: t0 + timeoutMs,
            model,
            headers: x,
            body,
            ...(logger.isLevelEnabled('debug') ? { debug: { logger, requestId: o.requestId } } : {}),
          },
          sendTo,
          health,
        );
        res = result.response;
        target = result.target;
      } catch (err) {
        o.upstreamError = upstreamCode(err);
        throw upstreamFailure(err, abort);
      }
      o.upstreamMs = Math.round((performance.now() - t0) * 10) / 10;
      metrics.observeUpstream(o.registry, o.model, o.upstreamMs / 1000);
      /** Takes the credentials of the registries tried out of the upstream's text, before anything reads it. */
      const scrub = scrubberFor(tried);

      if (res.status === 401 || res.status === 403) {
        // The upstream refused *our* credential: not the caller's fault, and not theirs to see.
        await drain(res.body);
        throw errors.upstreamFailed(`the provider rejected the registry's credentials (HTTP ${res.status})`);
      }
      o.status = res.status;
      const contentTypeUp = res.headers['content-type'] ?? '';
      const isStream =
        contentTypeUp.includes('text/event-stream') ||
        contentTypeUp.includes('application/vnd.amazon.eventstream');
      if (preq && pipeline) {
        preq.response = { status: res.status, stream: stream && isStream };
        if (pipeline.runs('preResponse')) {
          try {
            await pipeline.run('preResponse', preq);
          } catch (err) {
            abort.abort(); // the upstream body will not be read
            void drain(res.body);
            throw err;
          }
        }
      }
      let usage: Usage | undefined;
      const recordUsage = () => {
        if (!usage) return;
        metrics.observeTokens(o.gateway, o.consumer, o.registry, o.model, usage);
        if (preq) preq.usage = usage;
      };
      const completed = preq && pipeline?.runs('postResponse') ? afterResponse(pipeline, preq) : undefined;
      const policyReq = preq;
      const wantsContent = policyReq && pipeline?.needsResponseContent && res.status < 300;
      const inspects = policyReq && pipeline?.inspectsResponses && res.status < 300;
      const finalPlan = plan as Plan | undefined;
      const sent = prepared as UpstreamBody;
      /** Built when the response goes out: plugins (a response guard) may still add headers before. */
      const responseHeaders = (): Record<string, string> => {
        const headers: Record<string, string> = {
          ...res.headers,
          ...extra,
          'x-request-id': o.requestId,
          'x-selected-provider': target.registry.provider,
          'x-selected-registry': target.registryName,
          'x-selected-model': sendModel,
        };
        if (extra?.vary && res.headers.vary) headers.vary = `${res.headers.vary}, ${extra.vary}`;
        if (finalPlan && !finalPlan.native) headers['content-type'] = JSON_TYPE;
        return headers;
      };
      if (stream && isStream && res.status < 300 && finalPlan) {
        const headers = responseHeaders();
        headers['content-type'] = SSE_TYPE;
        headers['cache-control'] = 'no-cache';
        const assembler = wantsContent ? new StreamAssembler() : undefined;
        const filter = policyReq && pipeline?.filtersStreams ? pipeline.streamFilter(policyReq) : undefined;
        const hooks = {
          onUsage: (u: Usage) => {
            usage = u;
          },
          ...(assembler ? { onEvent: (e: StreamEvent) => assembler.push(e) } : {}),
          ...(filter ? { filter } : {}),
          ...(scrub ? { scrub } : {}),
          onError: (err: unknown) => {
            if (clientGone) {
              o.status = 499;
              o.error = 'client_closed';
              return undefined;
            }
            const cause = abort.reason === SHUTDOWN ? errors.shuttingDown() : err;
            o.error = cause instanceof GatewayError ? cause.code : 'upstream_stream_error';
            o.upstreamError = upstreamCode(err);
            return streamFailure(cause, abort.reason === DEADLINE);
          },
        };
        // A filtered stream is decoded and encoded again, even in the caller's own format.
        const events =
          finalPlan.native && !filter
            ? relayNativeStream(finalPlan, res.body, sent.injectedUsage, hooks)
            : translateStream(finalPlan, res.body, sendModel, wantsStreamUsage(body), hooks, sent.request);
        return x.respondStream(res.status, headers, events, () => {
          cleanup();
          if (clientGone && !o.error) {
            o.status = 499;
            o.error = 'client_closed';
          }
          recordUsage();
          if (assembler && policyReq) policyReq.responseContent = assembler.result();
          finish(o, start);
          completed?.();
        });
      }
      const received = await collect(res.body).catch((err: unknown) => {
        o.upstreamError = upstreamCode(err);
        throw upstreamFailure(err, abort);
      });
      const payload = scrub ? scrub.bytes(received) : received;
      cleanup();
      let out: Buffer | string = payload;
      if (finalPlan) {
        const decode = Boolean(wantsContent || inspects);
        const converted = responseBody(finalPlan, res.status, payload, sendModel, sent.request, decode);
        out = converted.body;
        usage = converted.usage;
        if (decode && converted.response && policyReq && pipeline) {
          let content = converted.response;
          if (inspects) {
            const inspected = await pipeline.inspect(policyReq, content);
            if (inspected.changed) {
              content = inspected.response;
              out = JSON.stringify(finalPlan.inbound.encodeResponse(content, sent.request));
            }
          }
          policyReq.responseContent = content;
        }
      } else if (res.status < 300) {
        // Embeddings: OpenAI's shape from every provider that serves them (usage.prompt_tokens).
        if (!readableResponse(payload, undefined))
          throw errors.upstreamFailed(
            'the upstream answered with a body that is not a readable embeddings list',
          );
        const u = usageObject(payload);
        usage = u === undefined ? undefined : FORMATS['openai-chat'].usageOf({ usage: u });
      }
      recordUsage();
      finish(o, start);
      const response = x.respond(res.status, responseHeaders(), out);
      completed?.();
      return response;
    } catch (err) {
      cleanup();
      // Errors built from upstream text (a token endpoint's answer, a decoder's complaint) included.
      const scrub = scrubberFor(tried);
      const e = scrub ? scrub.error(toGatewayError(err, logger)) : toGatewayError(err, logger);
      o.status = clientGone ? 499 : e.status;
      o.error = clientGone ? 'client_closed' : e.code;
      finish(o, start);
      return errorResponse(x, e, o.requestId, extra, errorOp(op, x));
    }
  }

  /**
   * `POST …/v1/messages/count_tokens`: counted by the route's upstream where it offers counting,
   * estimated otherwise (see count-tokens.ts); errors in Anthropic's format, through `handle`.
   */
  async function counted(
    x: Exchange,
    o: Outcome,
    start: number,
    gateway: RuntimeGateway,
    consumer: RuntimeConsumer,
    extra: Record<string, string> | undefined,
  ): Promise<Response> {
    const contentType = x.header('content-type');
    if (contentType && !contentType.toLowerCase().includes('json')) throw errors.unsupportedMediaType();
    // The deadline covers the whole request, reading its body included (as in `handle`).
    const deadlineAt = start + gateway.config.limits.requestTimeoutMs;
    const raw = await readBody(
      x.body,
      x.header('content-length'),
      consumer.maxRequestBodyBytes,
      deadlineAt - performance.now(),
    );
    const body = parseJsonObject(raw);
    const model = checkCountRequest(body);
    const route = findRoute(consumer, model);
    o.model = route.model;
    const target = countingTarget(route);
    if (!target) throw errors.noUpstream(model);
    o.registry = target.registryName;
    const abort = new CallAbort();
    x.onClientGone(() => abort.abort());
    const timer = setTimeout(() => abort.abort(DEADLINE), Math.max(0, deadlineAt - performance.now()));
    try {
      const answer = await countTokensWith({
        target,
        requested: model,
        body,
        adapter: adapters[target.registry.provider],
        requestId: o.requestId,
        forwardHeaders: forwardedHeaders(x, 'anthropic-messages').forwardHeaders ?? {},
        signal: abort,
      });
      o.upstreamModel = answer.model;
      o.status = answer.status;
      finish(o, start);
      return x.respond(
        answer.status,
        {
          ...answer.headers,
          ...extra,
          'x-request-id': o.requestId,
          'x-selected-provider': target.registry.provider,
          'x-selected-registry': target.registryName,
          'x-selected-model': answer.model,
        },
        answer.body,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A plugin answered instead of the upstream (a cache hit): the answer in the caller's format, as a
   * stream when the caller asked for one; the post-response hooks still run.
   */
  function answered(
    x: Exchange,
    o: Outcome,
    start: number,
    op: Operation,
    stream: boolean,
    answer: PolicyAnswer,
    preq: ProxyPolicyRequest,
    pipeline: Pipeline,
    extra: Record<string, string>,
  ): Response {
    const inbound = INBOUND_FORMAT[op];
    if (!inbound) throw errors.internal(); // only chat requests can be answered by a plugin
    const format = FORMATS[inbound];
    const request = preq.chat();
    const res = answer.response;
    preq.response = { status: 200, stream, cached: true };
    if (pipeline.needsResponseContent) preq.responseContent = res;
    const completed = pipeline.runs('postResponse') ? afterResponse(pipeline, preq) : undefined;
    o.status = 200;
    o.upstreamModel = res.model;
    const headers = { ...extra, ...answer.headers, 'x-request-id': o.requestId };
    if (!stream) {
      finish(o, start);
      const response = x.respond(
        200,
        { 'content-type': JSON_TYPE, ...headers },
        JSON.stringify(format.encodeResponse(res, request)),
      );
      completed?.();
      return response;
    }
    const includeUsage = wantsStreamUsage(preq.body ?? {});
    const encoder = format.streamEncoder(request ? { includeUsage, request } : { includeUsage });
    async function* frames(): AsyncGenerator<Uint8Array> {
      for (const event of eventsOf(res)) {
        const out = encoder.push(event);
        if (out.length > 0) yield Buffer.from(sseText(out));
      }
      yield Buffer.from(sseText(encoder.end()));
    }
    return x.respondStream(
      200,
      { ...headers, 'content-type': SSE_TYPE, 'cache-control': 'no-cache' },
      frames(),
      () => {
        finish(o, start);
        completed?.();
      },
    );
  }

  /** Post-response hooks, run once the response is complete; their failures are logged, never sent. */
  function afterResponse(pipeline: Pipeline, req: PolicyRequest): () => void {
    return () => {
      pipeline.run('postResponse', req).catch((err: unknown) => {
        logger.warn({ err, requestId: req.requestId }, 'post-response policy failed');
      });
    };
  }

  function shutdown(): void {
    for (const abort of live) abort.abort(SHUTDOWN);
  }

  return { app, listener, shutdown };
}

function checkRequest(op: Operation, body: Record<string, unknown>): { model: string; stream: boolean } {
  const { model, stream } = body;
  if (typeof model !== 'string' || model.length === 0) {
    throw errors.badRequest("'model' is required and must be a non-empty string.", 'invalid_model');
  }
  checkModelName(model);
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') {
    throw errors.badRequest("'stream' must be a boolean.", 'invalid_type');
  }
  if (op === 'chat.completions' || op === 'messages') {
    const messages = body.messages;
    if (!Array.isArray(messages) || messages.length === 0) {
      throw errors.badRequest("'messages' is required and must be a non-empty array.", 'invalid_messages');
    }
    if (op === 'messages' && (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens))) {
      throw errors.badRequest("'max_tokens' is required and must be an integer.", 'invalid_max_tokens');
    }
  } else if (op === 'responses') {
    const input = body.input;
    if (typeof input !== 'string' && !Array.isArray(input)) {
      throw errors.badRequest("'input' is required and must be a string or an array.", 'invalid_input');
    }
  } else if (op === 'embeddings') {
    const input = body.input;
    if (typeof input !== 'string' && !Array.isArray(input)) {
      throw errors.badRequest("'input' is required and must be a string or an array.", 'invalid_input');
    }
  }
  checkTokenLimits(op, body);
  return { model, stream: stream === true };
}

function upstreamFailure(err: unknown, signal: CallAbort): GatewayError {
  if (signal.reason === DEADLINE) return errors.upstreamTimeout();
  if (signal.reason === SHUTDOWN) return errors.shuttingDown();
  if (err instanceof UpstreamError) {
    return err.kind === 'timeout' ? errors.upstreamTimeout(err.message) : errors.upstreamFailed(err.message);
  }
  if (err instanceof GatewayError) return err;
  // A failure reading the body (the adapter returned at the headers): in words, as the adapter's.
  const { message } = describeFailure(err);
  return isTimeoutError(err) ? errors.upstreamTimeout(message) : errors.upstreamFailed(message);
}

/** The raw code of an upstream failure, for the access log. */
function upstreamCode(err: unknown): string | undefined {
  return err instanceof UpstreamError ? err.code : describeFailure(err).code;
}

function toGatewayError(err: unknown, logger: Logger): GatewayError {
  if (err instanceof GatewayError) return err;
  logger.error({ err }, 'unexpected error in pipeline');
  return errors.internal();
}

function errorResponse(
  x: Exchange,
  e: GatewayError,
  requestId: string,
  extra?: Record<string, string>,
  op?: Operation,
): Response {
  return x.respond(
    e.status,
    { 'content-type': JSON_TYPE, ...extra, ...e.headers, 'x-request-id': requestId },
    errorBodyFor(op, e),
  );
}

/** The Anthropic SDK lists and retrieves models with `anthropic-version`: its errors then come in its format. */
function errorOp(op: Operation, x: Exchange): Operation {
  return op === 'models' && x.header('anthropic-version') ? 'messages' : op;
}

/** An error in the caller's format: its inbound API's, OpenAI's where the endpoint has no other. */
export function errorBodyFor(op: Operation | undefined, e: GatewayError): string {
  const format = FORMATS[(op && INBOUND_FORMAT[op]) ?? 'openai-chat'];
  return JSON.stringify(
    format.encodeError({
      status: e.status,
      code: e.code,
      message: e.message,
      ...(e.param !== undefined ? { param: e.param } : {}),
    }),
  );
}

/** Providers whose embeddings API is OpenAI's (the only embeddings format the gateway serves). */
function embeddingsServed(provider: CompiledProvider): boolean {
  return provider === 'mock' || PROFILES[provider].embeddings !== undefined;
}

/** Caller headers that select API behaviour on the native path (Anthropic's version and betas). */
function forwardedHeaders(x: Exchange, format: FormatName): { forwardHeaders?: Record<string, string> } {
  if (format !== 'anthropic-messages') return {};
  const out: Record<string, string> = {};
  const version = x.header('anthropic-version');
  const beta = x.header('anthropic-beta');
  if (version) out['anthropic-version'] = version;
  if (beta) out['anthropic-beta'] = beta;
  return { forwardHeaders: out };
}

function newOutcome(x: Exchange, path: string): Outcome {
  return {
    requestId: requestIdOf(x),
    method: x.method,
    path,
    gateway: '',
    consumer: '',
    registry: '',
    model: '',
    upstreamModel: '',
    status: 0,
  };
}

function requestIdOf(x: Exchange): string {
  const given = x.header('x-request-id');
  return given && REQUEST_ID.test(given) ? given : randomUUID();
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}

async function drain(body: AsyncIterable<Uint8Array>): Promise<void> {
  try {
    for await (const _ of body) void _;
  } catch {
    // nothing to keep
  }
}
