import type { ProxyMetrics } from '../telemetry/metrics';
import type { RequestContext } from './context';
import type { ProxyRuntime } from './runtime';

/** The end of every request: its metrics and its access-log line. */
export function record(ctx: RequestContext, rt: ProxyRuntime): void {
  const { metrics } = rt;
  const seconds = (performance.now() - ctx.start) / 1000;
  metrics.inFlight.dec();
  metrics.observeRequest(ctx.gatewaySlug, ctx.consumerSlug, ctx.registryName, ctx.model, ctx.status, seconds);
  rt.accessLog.write({
    requestId: ctx.requestId,
    method: ctx.method,
    path: ctx.path,
    status: ctx.status,
    gateway: ctx.gatewaySlug,
    consumer: ctx.consumerSlug,
    registry: ctx.registryName,
    model: ctx.model,
    upstreamModel: ctx.upstreamModel,
    durationMs: Math.round(seconds * 1e4) / 10,
    upstreamMs: ctx.upstreamMs,
    error: ctx.error,
    upstreamError: ctx.upstreamError,
  });
}

/** Usage the upstream reported: into the token metrics and, for postResponse, the context. */
export function recordUsage(ctx: RequestContext, metrics: ProxyMetrics): void {
  const usage = ctx.usage;
  if (!usage) return;
  metrics.observeTokens(ctx.gatewaySlug, ctx.consumerSlug, ctx.registryName, ctx.model, usage);
}
