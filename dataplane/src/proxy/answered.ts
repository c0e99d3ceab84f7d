import { FORMATS } from '../formats';
import { eventsOf } from '../formats/assemble';
import type { ChatRequest, ChatResponse } from '../formats/ir';
import { wantsStreamUsage } from '../formats/openai-chat';
import { sseText } from '../formats/wire';
import type { PolicyAnswer } from '../policies/types';
import type { WireFormat } from '../formats';
import type { RequestContext } from './context';
import { errors } from '../errors/errors';
import { JSON_TYPE } from './failures';
import { record } from './record';
import { postResponse, SSE_TYPE } from './respond';
import type { ProxyRuntime } from './runtime';
import { INBOUND_FORMAT } from './translate';

/**
 * A plugin answered instead of the upstream (a cache hit): the answer in the caller's format, as a
 * stream when the caller asked for one; the post-response hooks still run.
 */
export function answered(ctx: RequestContext, rt: ProxyRuntime, answer: PolicyAnswer): void {
  const inbound = INBOUND_FORMAT[ctx.ep.op];
  if (!inbound) throw errors.internal(); // only chat requests can be answered by a plugin
  const format = FORMATS[inbound];
  const request = ctx.chat();
  const res = answer.response;
  ctx.response = { status: 200, stream: ctx.stream, cached: true };
  if (ctx.pipeline?.needsResponseContent) ctx.responseContent = res;
  ctx.status = 200;
  ctx.upstreamModel = res.model;
  const headers = { ...ctx.responseHeaders, ...answer.headers, 'x-request-id': ctx.requestId };
  if (!ctx.stream) {
    ctx.x.respond(
      200,
      { 'content-type': JSON_TYPE, ...headers },
      JSON.stringify(format.encodeResponse(res, request)),
    );
    record(ctx, rt); // once the answer is written, as respond() does
    postResponse(ctx, rt);
    return;
  }
  const includeUsage = wantsStreamUsage(ctx.body ?? {});
  ctx.x.respondStream(
    200,
    { ...headers, 'content-type': SSE_TYPE, 'cache-control': 'no-cache' },
    frames(format, res, request, includeUsage),
    () => {
      record(ctx, rt);
      postResponse(ctx, rt);
    },
  );
}

async function* frames(
  format: WireFormat,
  res: ChatResponse,
  request: ChatRequest | undefined,
  includeUsage: boolean,
): AsyncGenerator<Uint8Array> {
  const encoder = format.streamEncoder(request ? { includeUsage, request } : { includeUsage });
  for (const event of eventsOf(res)) {
    const out = encoder.push(event);
    if (out.length > 0) yield Buffer.from(sseText(out));
  }
  yield Buffer.from(sseText(encoder.end()));
}
