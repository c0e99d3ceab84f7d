import { randomUUID } from 'node:crypto';
import type { HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import type { CompiledProvider } from '../../../protocol/src';
import type { ConfigStore } from '../config/store';
import { modelList } from '../providers/openai-wire';
import type { Operation, ProviderAdapter, UpstreamResponse } from '../providers/types';
import { UpstreamError } from '../providers/types';
import type { Logger } from '../telemetry/logger';
import type { ProxyMetrics } from '../telemetry/metrics';
import { readBody, parseJsonObject } from './body';
import { GatewayError, errors, openAIErrorBody } from './errors';
import {
  authenticate,
  findConsumer,
  findGateway,
  findRoute,
  pickTarget,
  presentedKey,
  upstreamModel,
} from './resolve';
import { sseEvents } from './sse';

export type AdapterSet = Record<CompiledProvider, ProviderAdapter>;

export interface ProxyDeps {
  store: ConfigStore;
  adapters: AdapterSet;
  metrics: ProxyMetrics;
  logger: Logger;
  /** Injected for deterministic tests; Math.random otherwise. */
  random?: () => number;
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

const ENDPOINTS: { path: string; method: 'GET' | 'POST'; op: Operation }[] = [
  { path: '/:consumer/v1/chat/completions', method: 'POST', op: 'chat.completions' },
  { path: '/:consumer/v1/embeddings', method: 'POST', op: 'embeddings' },
  { path: '/:consumer/v1/models', method: 'GET', op: 'models' },
];

const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;
const JSON_HEADERS = { 'content-type': 'application/json' };
const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };

export function createProxyApp(deps: ProxyDeps): Hono<Env> {
  const { store, adapters, metrics, logger } = deps;
  const random = deps.random ?? Math.random;
  const app = new Hono<Env>();

  for (const ep of ENDPOINTS) {
    app.on(ep.method, ep.path, (c) => handle(c, ep.op));
    app.all(ep.path, (c) => {
      const id = requestIdOf(c.req.raw);
      return errorResponse(errors.methodNotAllowed(c.req.method, c.req.path), id);
    });
  }
  app.notFound((c) =>
    errorResponse(errors.unknownEndpoint(c.req.method, c.req.path), requestIdOf(c.req.raw)),
  );
  app.onError((err, c) => {
    logger.error({ err, path: c.req.path }, 'unhandled error');
    return errorResponse(errors.internal(), requestIdOf(c.req.raw));
  });

  function finish(o: Outcome, start: number): void {
    const seconds = (performance.now() - start) / 1000;
    metrics.inFlight.dec();
    metrics.observeRequest(
      {
        gateway: o.gateway,
        consumer: o.consumer,
        registry: o.registry,
        model: o.model,
        status: String(o.status),
      },
      seconds,
    );
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

  async function handle(c: Context<Env>, op: Operation): Promise<Response> {
    const start = performance.now();
    metrics.inFlight.inc();
    const req = c.req.raw;
    const o: Outcome = {
      requestId: requestIdOf(req),
      method: req.method,
      path: c.req.path,
      gateway: '',
      consumer: '',
      registry: '',
      model: '',
      upstreamModel: '',
      status: 0,
    };
    const snapshot = store.current; // held to the end of this request
    try {
      const gateway = findGateway(
        snapshot,
        req.headers.get('x-ag-gateway-slug') ?? undefined,
        req.headers.get('host') ?? hostOf(req.url),
      );
      o.gateway = gateway.config.slug;
      const consumer = findConsumer(gateway, c.req.param('consumer') ?? '');
      o.consumer = consumer.config.slug;
      authenticate(consumer, presentedKey(req.headers));

      if (op === 'models') {
        o.status = 200;
        finish(o, start);
        return new Response(JSON.stringify(modelList(consumer.modelIds)), {
          status: 200,
          headers: { ...JSON_HEADERS, 'x-request-id': o.requestId },
        });
      }

      const contentType = req.headers.get('content-type');
      if (contentType && !contentType.toLowerCase().includes('json')) throw errors.unsupportedMediaType();
      const raw = await readBody(req, c.env?.incoming, gateway.config.limits.maxRequestBodyBytes);
      const body = parseJsonObject(raw);
      const { model, stream } = checkRequest(op, body);

      const route = findRoute(consumer, model);
      o.model = route.model;
      const target = pickTarget(route, random());
      if (!target) throw errors.noUpstream(model);
      o.registry = target.registryName;
      const sendModel = upstreamModel(target, model);
      o.upstreamModel = sendModel;
      if (target.served && !target.served.has(sendModel)) throw errors.unknownModel(model);

      const deadline = AbortSignal.timeout(gateway.config.limits.requestTimeoutMs);
      const signal = AbortSignal.any([req.signal, deadline]);
      const t0 = performance.now();
      let res: UpstreamResponse;
      try {
        res = await adapters[target.registry.provider].send({
          operation: op,
          registry: target.registry,
          model: sendModel,
          body,
          rawBody: raw,
          stream,
          requestId: o.requestId,
          signal,
        });
      } catch (err) {
        throw upstreamFailure(err, deadline);
      }
      o.upstreamMs = Math.round((performance.now() - t0) * 10) / 10;
      metrics.observeUpstream(o.registry, o.model, o.upstreamMs / 1000);

      const headers: Record<string, string> = {
        ...res.headers,
        'x-request-id': o.requestId,
        'x-selected-provider': target.registry.provider,
        'x-selected-registry': target.registryName,
        'x-selected-model': sendModel,
      };
      if (res.status === 401 || res.status === 403) {
        // The upstream refused *our* credential: not the caller's fault, and not theirs to see.
        await drain(res.body);
        throw errors.upstreamFailed(`the provider rejected the registry's credentials (HTTP ${res.status})`);
      }
      o.status = res.status;
      const isSse = (res.headers['content-type'] ?? '').includes('text/event-stream');
      if (stream && isSse && res.status < 300) {
        return new Response(relayStream(res.body, o, start, signal, deadline), {
          status: res.status,
          headers: { ...headers, ...SSE_HEADERS },
        });
      }
      const payload = await collect(res.body).catch((err: unknown) => {
        throw upstreamFailure(err, deadline);
      });
      finish(o, start);
      return new Response(payload, { status: res.status, headers });
    } catch (err) {
      const e = toGatewayError(err, logger);
      o.status = req.signal.aborted ? 499 : e.status;
      o.error = e.code;
      finish(o, start);
      return errorResponse(e, o.requestId);
    }
  }

  /** Relays whole SSE events as they arrive; a failure mid-stream becomes an explicit error event. */
  function relayStream(
    source: AsyncIterable<Uint8Array>,
    o: Outcome,
    start: number,
    signal: AbortSignal,
    deadline: AbortSignal,
  ): ReadableStream<Uint8Array> {
    const events = sseEvents(source)[Symbol.asyncIterator]();
    let finished = false;
    const end = (status: number, error?: string) => {
      if (finished) return;
      finished = true;
      o.status = status;
      if (error) o.error = error;
      finish(o, start);
    };
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const next = await events.next();
          if (next.done) {
            controller.close();
            end(o.status);
            return;
          }
          controller.enqueue(next.value);
        } catch (err) {
          if (signal.aborted && !deadline.aborted) {
            end(499, 'client_closed');
            return;
          }
          const detail = deadline.aborted ? 'request deadline exceeded' : describe(err);
          try {
            controller.enqueue(streamErrorEvent(detail));
            controller.close();
          } catch {
            // the client went away while we were reporting
          }
          end(o.status, 'upstream_stream_error');
        }
      },
      async cancel() {
        end(499, 'client_closed');
        await events.return?.(undefined);
      },
    });
  }

  return app;
}

function checkRequest(op: Operation, body: Record<string, unknown>): { model: string; stream: boolean } {
  const { model, stream } = body;
  if (typeof model !== 'string' || model.length === 0) {
    throw errors.badRequest("'model' is required and must be a non-empty string.", 'invalid_model');
  }
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') {
    throw errors.badRequest("'stream' must be a boolean.", 'invalid_type');
  }
  if (op === 'chat.completions') {
    const messages = body.messages;
    if (!Array.isArray(messages) || messages.length === 0) {
      throw errors.badRequest("'messages' is required and must be a non-empty array.", 'invalid_messages');
    }
  } else if (op === 'embeddings') {
    const input = body.input;
    if (typeof input !== 'string' && !Array.isArray(input)) {
      throw errors.badRequest("'input' is required and must be a string or an array.", 'invalid_input');
    }
  }
  return { model, stream: stream === true };
}

function upstreamFailure(err: unknown, deadline: AbortSignal): GatewayError {
  if (deadline.aborted) return errors.upstreamTimeout();
  if (err instanceof UpstreamError) {
    return err.kind === 'timeout' ? errors.upstreamTimeout() : errors.upstreamFailed(err.message);
  }
  if (err instanceof GatewayError) return err;
  return errors.upstreamFailed(describe(err));
}

function toGatewayError(err: unknown, logger: Logger): GatewayError {
  if (err instanceof GatewayError) return err;
  logger.error({ err }, 'unexpected error in pipeline');
  return errors.internal();
}

function errorResponse(e: GatewayError, requestId: string): Response {
  return new Response(openAIErrorBody(e), {
    status: e.status,
    headers: { ...JSON_HEADERS, ...e.headers, 'x-request-id': requestId },
  });
}

function requestIdOf(req: Request): string {
  const given = req.headers.get('x-request-id');
  return given && REQUEST_ID.test(given) ? given : randomUUID();
}

/** The authority of an absolute URL, without parsing the whole URL. */
function hostOf(url: string): string | undefined {
  const start = url.indexOf('://');
  if (start === -1) return undefined;
  const end = url.indexOf('/', start + 3);
  return url.slice(start + 3, end === -1 ? undefined : end);
}

function streamErrorEvent(detail: string): Uint8Array {
  const body = {
    error: {
      message: `The upstream stream failed: ${detail}`,
      type: 'server_error',
      param: null,
      code: 'upstream_stream_error',
    },
  };
  return Buffer.from(`data: ${JSON.stringify(body)}\n\n`);
}

function describe(err: unknown): string {
  if (err instanceof Error) return (err as { code?: string }).code ?? err.message;
  return String(err);
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
