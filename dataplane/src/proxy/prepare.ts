import type { PolicyAnswer } from '../policies/types';
import { parseJsonObject, readBody } from './body';
import type { RequestContext } from './context';
import { errors } from '../errors/errors';
import { checkRequest } from './request-checks';
import { findRoute } from './resolve';

/** The body, read under the request's deadline and the consumer's size limit, parsed to an object. */
export async function readJsonBody(ctx: RequestContext): Promise<Record<string, unknown>> {
  const x = ctx.x;
  const contentType = x.header('content-type');
  if (contentType && !contentType.toLowerCase().includes('json')) throw errors.unsupportedMediaType();
  const raw = await readBody(
    x.body,
    x.header('content-length'),
    ctx.consumer.maxRequestBodyBytes,
    ctx.deadlineAt - performance.now(),
  );
  ctx.raw = raw;
  const body = parseJsonObject(raw);
  ctx.body = body;
  return body;
}

/**
 * The second stage: body, pre-request policies, route. Returns a plugin's answer when one answered
 * instead of the upstream (a cache hit); otherwise `ctx.route` is set.
 */
export async function prepare(ctx: RequestContext): Promise<PolicyAnswer | undefined> {
  const body = await readJsonBody(ctx);
  ({ model: ctx.requested, stream: ctx.stream } = checkRequest(ctx.ep.op, body));
  const pipeline = ctx.pipeline;
  if (pipeline?.runs('preRequest')) {
    const answer = await pipeline.run('preRequest', ctx);
    if (answer) return answer;
    if (ctx.bodyReplaced && ctx.body) {
      ctx.raw = Buffer.from(JSON.stringify(ctx.body));
      ({ model: ctx.requested, stream: ctx.stream } = checkRequest(ctx.ep.op, ctx.body));
    }
  }
  const route = findRoute(ctx.consumer, ctx.requested);
  ctx.route = route;
  ctx.model = route.model;
  return undefined;
}
