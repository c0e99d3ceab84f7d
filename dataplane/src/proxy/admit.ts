import type { RuntimeGateway } from '../config/snapshot';
import type { RequestContext } from './context';
import { errors } from '../errors/errors';
import {
  authenticate,
  findByKey,
  findConsumer,
  findGateway,
  presentedKey,
  type KeyAddressed,
} from './resolve';
import { neverConfigured, type ProxyRuntime } from './runtime';

/**
 * The first stage: the gateway (header or Host), the consumer (URL slug, or the key alone), the
 * consumer's edge policies (their headers go on every response from here on, errors included),
 * then the credentials. Throws a GatewayError for whatever is missing or wrong.
 */
export function admit(ctx: RequestContext, rt: ProxyRuntime, consumerSlug: string | undefined): void {
  if (neverConfigured(rt)) throw errors.notReady();
  const x = ctx.x;
  const host = x.header('host');
  // Key-only addressing: the key finds (and authenticates) the consumer, and with it the gateway.
  const byKey: KeyAddressed | undefined =
    consumerSlug === undefined
      ? findByKey(ctx.snapshot, presentedKey(x), x.header('x-ag-gateway-slug'), host)
      : undefined;
  const gateway = byKey?.consumer.gateway ?? findGateway(ctx.snapshot, x.header('x-ag-gateway-slug'), host);
  enterGateway(ctx, gateway);
  // The deadline covers the whole request, reading its body included.
  ctx.deadlineAt = ctx.start + gateway.config.limits.requestTimeoutMs;
  const consumer = byKey?.consumer ?? findConsumer(gateway, consumerSlug ?? '');
  ctx.consumer = consumer;
  ctx.consumerSlug = consumer.config.slug;
  const plugins = rt.policies.pipelineFor(consumer.plugins);
  if (!plugins.empty) {
    ctx.pipeline = plugins;
    ctx.responseHeaders = {};
    plugins.edge(ctx);
  }
  ctx.keyDigest = byKey?.digest ?? authenticate(consumer, presentedKey(x));
}

/**
 * OPTIONS on an endpoint: answered at the edge, before authentication (a browser's preflight
 * carries no credentials), by the consumer's plugins (CORS); 405 when none answers. Returns the
 * status and headers to send.
 */
export function preflight(
  ctx: RequestContext,
  rt: ProxyRuntime,
  consumerSlug: string | undefined,
): { status: number; headers: Record<string, string> } {
  if (neverConfigured(rt)) throw errors.notReady();
  // A preflight carries no API key, so key-only addressing has no consumer (and no CORS policy).
  if (consumerSlug === undefined) throw errors.preflightWithoutConsumer(ctx.path);
  const x = ctx.x;
  const gateway = findGateway(ctx.snapshot, x.header('x-ag-gateway-slug'), x.header('host'));
  enterGateway(ctx, gateway);
  const consumer = findConsumer(gateway, consumerSlug);
  ctx.consumer = consumer;
  ctx.consumerSlug = consumer.config.slug;
  ctx.responseHeaders = {};
  const answer = rt.policies.pipelineFor(consumer.plugins).edge(ctx);
  if (!answer) throw errors.methodNotAllowed(ctx.method, ctx.path);
  return answer;
}

function enterGateway(ctx: RequestContext, gateway: RuntimeGateway): void {
  ctx.gateway = gateway;
  ctx.gatewaySlug = gateway.config.slug;
}
