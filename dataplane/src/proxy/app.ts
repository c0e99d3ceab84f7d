import { randomUUID } from 'node:crypto';
import type { HttpBindings } from '@hono/node-server';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Hono, type Context } from 'hono';
import type { CompiledProvider } from '../../../protocol/src';
import { a2aPath, createA2AHandler } from '../a2a/handler';
import type { AgentClient } from '../a2a/upstream';
import { FORMATS, type FormatName } from '../formats';
import type { StreamEvent, Usage } from '../formats/ir';
import { sseText } from '../formats/wire';
import { wantsStreamUsage } from '../formats/openai-chat';
import type { RuntimeTarget } from '../config/snapshot';
import { dispatch, type Attempt } from '../routing/dispatch';
import { HealthRegistry } from '../routing/health';
import type { ConfigStore } from '../config/store';
import { createPolicyEngine, type PolicyEngine } from '../policies/engine';
import { RateLimiter } from '../policies/rate-limit/limiter';
import { createEmbedder, registryIn } from '../policies/semantic-cache/embedder';
import type { Pipeline } from '../policies/pipeline';
import type { PolicyAnswer, PolicyRequest } from '../policies/types';
import { eventsOf, StreamAssembler } from '../formats/assemble';
import { modelList } from '../providers/openai-wire';
import { PROFILES } from '../providers/profiles';
import { CallAbort } from '../providers/abort';
import type { Operation, ProviderAdapter, UpstreamResponse } from '../providers/types';
import { UpstreamError } from '../providers/types';
import type { Logger } from '../telemetry/logger';
import type { ProxyMetrics } from '../telemetry/metrics';
import { readBody, parseJsonObject } from './body';
import { GatewayError, errors } from './errors';
import { nodeExchange, webExchange, type Exchange } from './exchange';
import { ProxyPolicyRequest } from './policy-request';
import { authenticate, findConsumer, findGateway, findRoute, presentedKey, upstreamModel } from './resolve';
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
}

/** The proxy's routes: `/{consumer}` + `rest`. One table for both front doors below. */
const ENDPOINTS: { rest: string; method: 'GET' | 'POST'; op: Operation }[] = [
  { rest: '/v1/chat/completions', method: 'POST', op: 'chat.completions' },
  { rest: '/v1/messages', method: 'POST', op: 'messages' },
  { rest: '/v1/responses', method: 'POST', op: 'responses' },
  { rest: '/v1/embeddings', method: 'POST', op: 'embeddings' },
  { rest: '/v1/models', method: 'GET', op: 'models' },
];
const BY_REST = new Map(ENDPOINTS.map((e) => [e.rest, e]));

export interface Proxy {
  /** The Hono app: `app.request()` in tests, `app.fetch` on any web-standard runtime. */
  app: Hono<Env>;
  /**
   * The Node front door used by the server: the same routes and pipeline without the
   * Request/Response adaptation, which costs a measurable share of throughput (see bench/README.md).
   */
  listener: (req: IncomingMessage, res: ServerResponse) => void;
}

const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;
const JSON_TYPE = 'application/json';
const SSE_TYPE = 'text/event-stream; charset=utf-8';

/** Why a request's controller was aborted. */
const DEADLINE = Symbol('deadline');

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

  const exchangeOf = (c: Context<Env>): Exchange =>
    c.env?.incoming && c.env.outgoing
      ? nodeExchange(c.env.incoming as HttpBindings['incoming'], c.env.outgoing as HttpBindings['outgoing'])
      : webExchange(c.req.raw);

  for (const ep of ENDPOINTS) {
    const path = `/:consumer${ep.rest}`;
    app.on(ep.method, path, (c) => handle(exchangeOf(c), ep.op, c.req.param('consumer') ?? '', c.req.path));
    app.options(path, (c) => preflight(exchangeOf(c), c.req.param('consumer') ?? '', c.req.path, ep.op));
    app.all(path, (c) => refuse(exchangeOf(c), errors.methodNotAllowed(c.req.method, c.req.path), ep.op));
  }
  const a2a = createA2AHandler({
    store,
    metrics,
    logger,
    policies,
    limiter: policies.limiter,
    client: deps.agents,
  });
  app.all('/:consumer/a2a/*', (c) => a2a(exchangeOf(c), c.req.path));
  app.notFound((c) => refuse(exchangeOf(c), errors.unknownEndpoint(c.req.method, c.req.path)));
  app.onError((err, c) => {
    logger.error({ err, path: c.req.path }, 'unhandled error');
    return refuse(webExchange(c.req.raw), errors.internal());
  });

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
      },
      'request',
    );
  }

  function listener(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const slash = path.indexOf('/', 1);
    const ep = slash > 1 ? BY_REST.get(path.slice(slash)) : undefined;
    const x = nodeExchange(req, res);
    const method = req.method ?? 'GET';
    if (!ep && a2aPath(path)) {
      a2a(x, path).catch((err: unknown) => {
        logger.error({ err, path }, 'unhandled error');
        if (!res.headersSent) refuse(x, errors.internal());
        else res.destroy();
      });
      return;
    }
    if (!ep) {
      refuse(x, errors.unknownEndpoint(method, path));
      return;
    }
    if (method === 'OPTIONS') {
      preflight(x, path.slice(1, slash), path, ep.op);
      return;
    }
    if (method !== ep.method) {
      refuse(x, errors.methodNotAllowed(method, path), ep.op);
      return;
    }
    handle(x, ep.op, path.slice(1, slash), path).catch((err: unknown) => {
      logger.error({ err, path }, 'unhandled error');
      if (!res.headersSent) refuse(x, errors.internal(), ep.op);
      else res.destroy();
    });
  }

  /**
   * OPTIONS on an endpoint: answered at the edge, before authentication (a browser's preflight
   * carries no credentials), by the consumer's plugins (CORS); 405 when none answers.
   */
  function preflight(x: Exchange, consumerSlug: string, path: string, op: Operation): Response {
    const start = performance.now();
    metrics.inFlight.inc();
    const o = newOutcome(x, path);
    try {
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

  async function handle(x: Exchange, op: Operation, consumerSlug: string, path: string): Promise<Response> {
    const start = performance.now();
    metrics.inFlight.inc();
    const o = newOutcome(x, path);
    const snapshot = store.current; // held to the end of this request
    const abort = new CallAbort();
    let clientGone = false;
    let timer: NodeJS.Timeout | undefined;
    const cleanup = () => clearTimeout(timer);
    /** Headers the plugins add to every response from here on, errors included. */
    let extra: Record<string, string> | undefined;
    let pipeline: Pipeline | undefined;
    let preq: ProxyPolicyRequest | undefined;
    try {
      const gateway = findGateway(snapshot, x.header('x-ag-gateway-slug'), x.header('host') ?? x.urlHost);
      o.gateway = gateway.config.slug;
      const consumer = findConsumer(gateway, consumerSlug);
      o.consumer = consumer.config.slug;
      const plugins = policies.pipelineFor(consumer.plugins);
      if (!plugins.empty) {
        pipeline = plugins;
        extra = {};
        plugins.edge({ method: x.method, header: (n) => x.header(n), responseHeaders: extra });
      }
      const keyDigest = authenticate(consumer, presentedKey(x));
      if (op === 'models') {
        if (pipeline?.runs('preRequest')) {
          const req = new ProxyPolicyRequest(
            x,
            extra ?? {},
            o.requestId,
            op,
            gateway,
            consumer,
            keyDigest,
            undefined,
          );
          await pipeline.run('preRequest', req);
        }
        o.status = 200;
        finish(o, start);
        // Anthropic's SDK lists models with its own shape; it always sends anthropic-version.
        const list = x.header('anthropic-version')
          ? anthropicModelList(consumer.modelIds)
          : modelList(consumer.modelIds);
        return x.respond(
          200,
          { 'content-type': JSON_TYPE, ...extra, 'x-request-id': o.requestId },
          JSON.stringify(list),
        );
      }

      const contentType = x.header('content-type');
      if (contentType && !contentType.toLowerCase().includes('json')) throw errors.unsupportedMediaType();
      let raw: Buffer = await readBody(x.body, x.header('content-length'), consumer.maxRequestBodyBytes);
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
      const timeoutMs = gateway.config.limits.requestTimeoutMs;
      timer = setTimeout(() => abort.abort(DEADLINE), timeoutMs);
      /** What the latest try sent: the response is read with the plan of the target that answered. */
      let plan: Plan | undefined;
      let prepared: UpstreamBody | undefined;
      let sendModel = '';
      const sendTo = async (a: Attempt, signal: CallAbort): Promise<UpstreamResponse> => {
        const target = a.target;
        o.registry = target.registryName;
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
          },
          sendTo,
          health,
        );
        res = result.response;
        target = result.target;
      } catch (err) {
        throw upstreamFailure(err, abort);
      }
      o.upstreamMs = Math.round((performance.now() - t0) * 10) / 10;
      metrics.observeUpstream(o.registry, o.model, o.upstreamMs / 1000);

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
          onError: (err: unknown) => {
            if (clientGone) {
              o.status = 499;
              o.error = 'client_closed';
              return undefined;
            }
            o.error = err instanceof GatewayError ? err.code : 'upstream_stream_error';
            return streamFailure(err, abort.reason === DEADLINE);
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
      const payload = await collect(res.body).catch((err: unknown) => {
        throw upstreamFailure(err, abort);
      });
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
      const e = toGatewayError(err, logger);
      o.status = clientGone ? 499 : e.status;
      o.error = clientGone ? 'client_closed' : e.code;
      finish(o, start);
      return errorResponse(x, e, o.requestId, extra, op);
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

  return { app, listener };
}

function checkRequest(op: Operation, body: Record<string, unknown>): { model: string; stream: boolean } {
  const { model, stream } = body;
  if (typeof model !== 'string' || model.length === 0) {
    throw errors.badRequest("'model' is required and must be a non-empty string.", 'invalid_model');
  }
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
  return { model, stream: stream === true };
}

function upstreamFailure(err: unknown, signal: CallAbort): GatewayError {
  if (signal.reason === DEADLINE) return errors.upstreamTimeout();
  if (err instanceof UpstreamError) {
    return err.kind === 'timeout' ? errors.upstreamTimeout() : errors.upstreamFailed(err.message);
  }
  if (err instanceof GatewayError) return err;
  return errors.upstreamFailed(err instanceof Error ? err.message : String(err));
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

/** An error in the caller's format: its inbound API's, OpenAI's where the endpoint has no other. */
function errorBodyFor(op: Operation | undefined, e: GatewayError): string {
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

/** Anthropic's model list shape (GET /v1/models with anthropic-version). */
function anthropicModelList(ids: readonly string[]) {
  return {
    data: ids.map((id) => ({ type: 'model', id, display_name: id, created_at: '1970-01-01T00:00:00Z' })),
    has_more: false,
    first_id: ids[0] ?? null,
    last_id: ids[ids.length - 1] ?? null,
  };
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
