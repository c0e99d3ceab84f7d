import type { RequestContext } from './context';
import { countingTarget, checkCountRequest, countTokensWith } from './count-tokens';
import { errors } from '../errors/errors';
import { JSON_TYPE } from './failures';
import { modelsAnswer } from './models';
import { readJsonBody } from './prepare';
import { record } from './record';
import { findRoute } from './resolve';
import type { ProxyRuntime } from './runtime';
import { forwardedHeaders } from './upstream';

/**
 * The endpoints answered beside the main pipeline, once admitted: model lists and token counts.
 * Policies see both as a model list (`operation: 'models'`): a count generates nothing.
 */
export async function answerBeside(
  ctx: RequestContext,
  rt: ProxyRuntime,
  id: string | undefined,
): Promise<void> {
  const pipeline = ctx.pipeline;
  if (pipeline?.runs('preRequest')) {
    ctx.operation = 'models';
    await pipeline.run('preRequest', ctx);
  }
  if (ctx.ep.kind === 'countTokens') return counted(ctx, rt);
  const list = modelsAnswer(ctx.consumer, id, Boolean(ctx.x.header('anthropic-version')));
  ctx.status = 200;
  record(ctx, rt);
  ctx.x.respond(
    200,
    { 'content-type': JSON_TYPE, ...ctx.responseHeaders, 'x-request-id': ctx.requestId },
    JSON.stringify(list),
  );
}

/**
 * `POST …/v1/messages/count_tokens`: counted by the route's upstream where it offers counting,
 * estimated otherwise (see count-tokens.ts); errors in Anthropic's format.
 */
async function counted(ctx: RequestContext, rt: ProxyRuntime): Promise<void> {
  const body = await readJsonBody(ctx);
  const model = checkCountRequest(body);
  const route = findRoute(ctx.consumer, model);
  ctx.model = route.model;
  const target = countingTarget(route);
  if (!target) throw errors.noUpstream(model);
  ctx.registryName = target.registryName;
  const abort = ctx.arm();
  try {
    const answer = await countTokensWith({
      target,
      requested: model,
      body,
      adapter: rt.adapters[target.registry.provider],
      requestId: ctx.requestId,
      forwardHeaders: forwardedHeaders(ctx.x, 'anthropic-messages').forwardHeaders ?? {},
      signal: abort,
    });
    ctx.upstreamModel = answer.model;
    ctx.status = answer.status;
    record(ctx, rt);
    ctx.x.respond(
      answer.status,
      {
        ...answer.headers,
        ...ctx.responseHeaders,
        'x-request-id': ctx.requestId,
        'x-selected-provider': target.registry.provider,
        'x-selected-registry': target.registryName,
        'x-selected-model': answer.model,
      },
      answer.body,
    );
  } finally {
    ctx.disarm();
  }
}
