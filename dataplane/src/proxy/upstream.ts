import { servesEmbeddings } from '@tollgate/protocol';
import type { FormatName } from '../formats';
import type { CallAbort } from '../providers/abort';
import { dispatch, type Attempt } from '../routing/dispatch';
import type { Exchange } from './exchange';
import type { RequestContext, SentTry } from './context';
import { errors } from '../errors/errors';
import { upstreamCode, upstreamFailure } from './failures';
import { upstreamModel } from './resolve';
import type { ProxyRuntime } from './runtime';
import { INBOUND_FORMAT, nativeBody, planFor, upstreamBody } from './translate';

/**
 * The third stage: the route's targets tried by dispatch until one answers (its retry policy), the
 * request armed against the client leaving, its deadline and a shutdown. Sets `ctx.sent` (the
 * answering try: response, plan, body, model and target); the pre-response policies
 * have run when it returns. A refused credential or a failed call throws a GatewayError.
 */
export async function callUpstream(ctx: RequestContext, rt: ProxyRuntime): Promise<SentTry> {
  const route = ctx.route;
  if (!route) throw errors.internal(); // prepare() has chosen it
  const abort = ctx.arm(rt.live);
  const t0 = performance.now();
  let sent: SentTry;
  try {
    const result = await dispatch(
      route,
      ctx.consumer,
      {
        clientIp: ctx.x.remoteAddress,
        random: rt.random,
        signal: abort,
        deadlineAt: Math.max(ctx.deadlineAt, t0),
        model: ctx.requested,
        headers: ctx.x,
        body: ctx.body,
        ...(rt.logger.isLevelEnabled('debug')
          ? { debug: { logger: rt.logger, requestId: ctx.requestId } }
          : {}),
      },
      (a, signal) => sendOnce(ctx, rt, a, signal),
      rt.health,
    );
    sent = result.response;
  } catch (err) {
    ctx.upstreamError = upstreamCode(err);
    throw upstreamFailure(err, abort);
  }
  ctx.sent = sent;
  ctx.upstreamMs = Math.round((performance.now() - t0) * 10) / 10;
  rt.metrics.observeUpstream(ctx.registryName, ctx.model, ctx.upstreamMs / 1000);
  if (sent.status === 401 || sent.status === 403) {
    // The upstream refused *our* credential: not the caller's fault, and not theirs to see.
    await drain(sent.body);
    throw errors.upstreamFailed(`the provider rejected the registry's credentials (HTTP ${sent.status})`);
  }
  ctx.status = sent.status;
  const pipeline = ctx.pipeline;
  if (pipeline) {
    ctx.response = { status: sent.status, stream: ctx.stream && isStreamed(sent) };
    if (pipeline.runs('preResponse')) {
      try {
        await pipeline.run('preResponse', ctx);
      } catch (err) {
        abort.abort(); // the upstream body will not be read
        void drain(sent.body);
        throw err;
      }
    }
  }
  return sent;
}

/** One try at one target: the body made for it, the post-request policies, the adapter's call. */
async function sendOnce(
  ctx: RequestContext,
  rt: ProxyRuntime,
  a: Attempt,
  signal: CallAbort,
): Promise<SentTry> {
  const target = a.target;
  const provider = target.registry.provider;
  ctx.registryName = target.registryName;
  if (!ctx.tried.includes(target.registry)) ctx.tried.push(target.registry);
  const model = upstreamModel(target, ctx.requested);
  ctx.upstreamModel = model;
  const adapter = rt.adapters[provider];
  if (!adapter) throw errors.upstreamFailed(`no adapter for provider '${provider}'`);
  const inbound = INBOUND_FORMAT[ctx.ep.op];
  const plan = inbound ? planFor(inbound, provider, model) : undefined;
  if (!plan && !servesEmbeddings(provider)) {
    throw errors.badRequest(
      `The provider '${provider}' of model '${ctx.requested}' does not serve embeddings.`,
      'unsupported_operation',
    );
  }
  const { body, raw } = ctx;
  if (!body || !raw) throw errors.internal(); // prepare() has read both
  const prepared = plan ? upstreamBody(plan, body, raw, model, ctx.stream) : nativeBody(body, raw, model);
  const pipeline = ctx.pipeline;
  if (pipeline) {
    ctx.upstream = { registry: target.registryName, model };
    if (pipeline.runs('postRequest')) await pipeline.run('postRequest', ctx);
  }
  // Upstream errors go to dispatch as they are: it decides what is retried and what counts
  // against the upstream's health; the request's own mapping to 502/504 comes after.
  const res = await adapter.send({
    operation: ctx.ep.op,
    registry: target.registry,
    model,
    format: plan?.upstream.name,
    body: prepared.body,
    rawBody: prepared.raw,
    stream: ctx.stream,
    requestId: ctx.requestId,
    ...(plan?.native ? forwardedHeaders(ctx.x, plan.upstream.name) : {}),
    signal,
  });
  return { status: res.status, headers: res.headers, body: res.body, plan, prepared, model, target };
}

/** The upstream answered with an event stream (SSE, or Bedrock's binary event stream). */
export function isStreamed(res: SentTry): boolean {
  const type = res.headers['content-type'] ?? '';
  return type.includes('text/event-stream') || type.includes('application/vnd.amazon.eventstream');
}

/** Caller headers that select API behaviour on the native path (Anthropic's version and betas). */
export function forwardedHeaders(
  x: Exchange,
  format: FormatName,
): { forwardHeaders?: Record<string, string> } {
  if (format !== 'anthropic-messages') return {};
  const out: Record<string, string> = {};
  const version = x.header('anthropic-version');
  const beta = x.header('anthropic-beta');
  if (version) out['anthropic-version'] = version;
  if (beta) out['anthropic-beta'] = beta;
  return { forwardHeaders: out };
}

export async function drain(body: AsyncIterable<Uint8Array>): Promise<void> {
  try {
    for await (const _ of body) void _;
  } catch {
    // nothing to keep
  }
}
