import { FORMATS } from '../formats';
import { readWhole } from '../providers/body';
import { StreamAssembler } from '../formats/assemble';
import type { StreamEvent, Usage } from '../formats/ir';
import { wantsStreamUsage } from '../formats/openai-chat';
import type { ErrorInfo } from '../formats/ir';
import { SHUTDOWN, DEADLINE, type RequestContext, type SentTry } from './context';
import { GatewayError, errors } from '../errors/errors';
import { JSON_TYPE, upstreamCode, upstreamFailure } from './failures';
import { readableResponse } from './readable';
import { record, recordUsage } from './record';
import type { ProxyRuntime } from './runtime';
import { scrubberFor, type Scrubber } from './scrub';
import {
  relayNativeStream,
  responseBody,
  streamFailure,
  translateStream,
  usageObject,
  type Plan,
  type StreamHooks,
} from './translate';
import { isStreamed } from './upstream';

export const SSE_TYPE = 'text/event-stream; charset=utf-8';

/**
 * The last stage: the upstream's answer relayed (native) or translated to the caller, the response
 * policies (stream filters, response inspection), then the record (metrics, access log) and the
 * post-response policies, off the critical path.
 */
export async function respond(ctx: RequestContext, rt: ProxyRuntime, sent: SentTry): Promise<void> {
  /** Takes the credentials of the registries tried out of the upstream's text, before anything reads it. */
  const scrub = scrubberFor(ctx.tried);
  if (ctx.stream && sent.status < 300 && sent.plan && isStreamed(sent))
    return relayStream(ctx, rt, sent, sent.plan, scrub);
  const received = await readWhole(sent.body).catch((err: unknown) => {
    ctx.upstreamError = upstreamCode(err);
    throw upstreamFailure(err, ctx.abort);
  });
  const payload = scrub ? scrub.bytes(received) : received;
  ctx.disarm(rt.live);
  const out = await wholeBody(ctx, sent, payload);
  ctx.x.respond(sent.status, responseHeaders(ctx, sent), out);
  // Recorded once the answer is written (in the same turn: nothing reads metrics in between).
  recordUsage(ctx, rt.metrics);
  record(ctx, rt);
  postResponse(ctx, rt);
}

/** A whole upstream body made ready for the caller: translated, inspected by plugins, usage read. */
async function wholeBody(ctx: RequestContext, sent: SentTry, payload: Buffer): Promise<Buffer | string> {
  const plan = sent.plan;
  const ok = sent.status < 300;
  if (!plan) {
    if (!ok) return payload;
    // Embeddings: OpenAI's shape from every provider that serves them (usage.prompt_tokens).
    if (!readableResponse(payload, undefined))
      throw errors.upstreamFailed('the upstream answered with a body that is not a readable embeddings list');
    const u = usageObject(payload);
    ctx.usage = u === undefined ? undefined : FORMATS['openai-chat'].usageOf({ usage: u });
    return payload;
  }
  const pipeline = ctx.pipeline;
  const inspects = ok && pipeline !== undefined && pipeline.inspectsResponses;
  const decode = inspects || (ok && pipeline !== undefined && pipeline.needsResponseContent);
  const converted = responseBody(plan, sent.status, payload, sent.model, sent.prepared.request, decode);
  ctx.usage = converted.usage;
  let out: Buffer | string = converted.body;
  if (decode && converted.response && pipeline) {
    let content = converted.response;
    if (inspects) {
      const inspected = await pipeline.inspect(ctx, content);
      if (inspected.changed) {
        content = inspected.response;
        out = JSON.stringify(plan.inbound.encodeResponse(content, sent.prepared.request));
      }
    }
    ctx.responseContent = content;
  }
  return out;
}

/** An upstream stream, event by event, relayed as it is or translated to the caller's format. */
function relayStream(
  ctx: RequestContext,
  rt: ProxyRuntime,
  sent: SentTry,
  plan: Plan,
  scrub: Scrubber | undefined,
): void {
  const headers = responseHeaders(ctx, sent);
  headers['content-type'] = SSE_TYPE;
  headers['cache-control'] = 'no-cache';
  const pipeline = ctx.pipeline;
  const assembler = pipeline?.needsResponseContent ? new StreamAssembler() : undefined;
  const filter = pipeline?.filtersStreams ? pipeline.streamFilter(ctx) : undefined;
  const hooks: StreamHooks = {
    onUsage: (u: Usage) => {
      ctx.usage = u;
    },
    onError: (err: unknown) => streamError(ctx, err),
  };
  if (assembler) hooks.onEvent = (e: StreamEvent) => assembler.push(e);
  if (filter) hooks.filter = filter;
  if (scrub) hooks.scrub = scrub;
  // A filtered stream is decoded and encoded again, even in the caller's own format.
  const events =
    plan.native && !filter
      ? relayNativeStream(plan, sent.body, sent.prepared.injectedUsage, hooks)
      : translateStream(
          plan,
          sent.body,
          sent.model,
          wantsStreamUsage(ctx.body ?? {}),
          hooks,
          sent.prepared.request,
        );
  ctx.x.respondStream(sent.status, headers, events, () => {
    ctx.disarm(rt.live);
    if (ctx.clientGone && !ctx.error) {
      ctx.status = 499;
      ctx.error = 'client_closed';
    }
    recordUsage(ctx, rt.metrics);
    if (assembler) ctx.responseContent = assembler.result();
    record(ctx, rt);
    postResponse(ctx, rt);
  });
}

/** A failure mid-stream: what the caller is told (nothing when it has left), and the access log's words. */
function streamError(ctx: RequestContext, err: unknown): ErrorInfo | undefined {
  if (ctx.clientGone) {
    ctx.status = 499;
    ctx.error = 'client_closed';
    return undefined;
  }
  const reason = ctx.abort?.reason;
  const cause = reason === SHUTDOWN ? errors.shuttingDown() : err;
  ctx.error = cause instanceof GatewayError ? cause.code : 'upstream_stream_error';
  ctx.upstreamError = upstreamCode(err);
  return streamFailure(cause, reason === DEADLINE);
}

/**
 * Built when the response goes out: plugins (a response guard) may still add headers before.
 * Assigned one by one into a fresh object: spreading the upstream's and the plugins' objects made
 * this function the request path's costliest of its own.
 */
function responseHeaders(ctx: RequestContext, sent: SentTry): Record<string, string> {
  const extra = ctx.responseHeaders;
  const target = sent.target;
  const headers: Record<string, string> = {};
  const relayed = sent.headers;
  for (const name in relayed) headers[name] = relayed[name] as string;
  for (const name in extra) headers[name] = extra[name] as string;
  headers['x-request-id'] = ctx.requestId;
  headers['x-selected-provider'] = target.registry.provider;
  headers['x-selected-registry'] = target.registryName;
  headers['x-selected-model'] = sent.model;
  if (extra.vary && relayed.vary) headers.vary = `${relayed.vary}, ${extra.vary}`;
  if (sent.plan && !sent.plan.native) headers['content-type'] = JSON_TYPE;
  return headers;
}

/** Post-response hooks, run once the response is complete; their failures are logged, never sent. */
export function postResponse(ctx: RequestContext, rt: ProxyRuntime): void {
  const pipeline = ctx.pipeline;
  if (!pipeline?.runs('postResponse')) return;
  pipeline.run('postResponse', ctx).catch((err: unknown) => {
    rt.logger.warn({ err, requestId: ctx.requestId }, 'post-response policy failed');
  });
}
