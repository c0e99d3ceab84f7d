import { isObject, type Json } from '../formats/wire';
import {
  MCP_ERRORS,
  McpError,
  isResponseTo,
  type JsonRpcRequest,
  type MuxAnswer,
  type RequestId,
  type StreamEvent,
} from './jsonrpc';
import { holdCall } from './approval';
import { forward, sessionServer, type MuxContext } from './forward';
import { guardCall } from './guard';
import { LISTS, listAll } from './lists';

export async function callTool(req: JsonRpcRequest, ctx: MuxContext): Promise<MuxAnswer> {
  const visible = String(req.params.name ?? '');
  const target = ctx.names.resolveTool(visible);
  // Hidden and unknown tools get the same answer: a hidden tool's existence is not revealed.
  if (!target || !ctx.names.allows('tool', target.prefixed))
    throw new McpError(MCP_ERRORS.InvalidParams, `Unknown tool: ${visible}`);
  const server = sessionServer(ctx, target.server, 'tool', visible);
  await guardCall(visible, ctx.toolGuard, () => listPages({ ...ctx, servers: [server] }));
  const send = () => sendTool(server, req, target, ctx);
  if (!ctx.names.needsApproval(target.prefixed)) return send();
  if (!ctx.approvals) {
    throw new McpError(
      MCP_ERRORS.ApprovalRequired,
      `The tool '${visible}' requires a human approval, which this proxy cannot ask for: the call is refused.`,
    );
  }
  return holdCall(req, visible, server.named.registry, ctx.approvals, ctx.signal, send);
}

/** One tool call sent to its server, with the policies and the metric around it (`ctx.toolCalls`). */
async function sendTool(
  server: ReturnType<typeof sessionServer>,
  req: JsonRpcRequest,
  target: { name: string; prefixed: string },
  ctx: MuxContext,
): Promise<MuxAnswer> {
  const hooks = ctx.toolCalls;
  if (!hooks) return forward(server, { ...req, params: { ...req.params, name: target.name } }, ctx);
  const args = await hooks.admit(target.prefixed, req.params.arguments);
  const params: Json = { ...req.params, name: target.name };
  if (args !== undefined) params.arguments = args;
  const started = performance.now();
  const finish = (ok: boolean) => hooks.done(server.named, target.prefixed, performance.now() - started, ok);
  let reply: MuxAnswer;
  try {
    reply = await forward(server, { ...req, params }, ctx);
  } catch (err) {
    finish(false);
    throw err;
  }
  return mapResponse(reply, req.id, (m) => {
    const out = hooks.answer(m);
    finish(!('error' in out) && !(isObject(out.result) && out.result.isError === true));
    return out;
  });
}

/** The same answer with its response to `id` (the last message) passed through `fn`. */
function mapResponse(reply: MuxAnswer, id: RequestId, fn: (m: Json) => Json): MuxAnswer {
  if (reply.kind === 'message') return { kind: 'message', message: fn(reply.message) };
  return { kind: 'stream', events: mapResponseEvents(reply.events, id, fn) };
}

/** A streamed answer with its response to `id` passed through `fn` (see mapResponse). */
export async function* mapResponseEvents(
  source: AsyncIterable<StreamEvent>,
  id: RequestId,
  fn: (m: Json) => Json,
): AsyncGenerator<StreamEvent> {
  for await (const e of source)
    yield e.message && isResponseTo(e.message, id) ? { ...e, message: fn(e.message) } : e;
}

/** Every tools/list page of the context's servers (the tool guard inspects each). */
async function listPages(ctx: MuxContext): Promise<void> {
  let cursor: string | undefined;
  for (let page = 0; page < GUARD_LIST_MAX_PAGES; page++) {
    const params: Json = cursor !== undefined ? { cursor } : {};
    const reply = await listAll({ id: 'tg-guard', method: 'tools/list', params }, TOOLS_LIST, ctx);
    const result = isObject(reply.result) ? reply.result : {};
    if (typeof result.nextCursor !== 'string') return;
    cursor = result.nextCursor;
  }
}

const TOOLS_LIST = LISTS['tools/list'] as (typeof LISTS)[string];
/** Pages listed to inspect a tool before its call, at most. */
const GUARD_LIST_MAX_PAGES = 20;
