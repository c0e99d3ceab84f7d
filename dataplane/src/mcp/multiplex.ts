import { isObject, type Json } from '../formats/wire';
import { MCP_ERRORS, McpError, type JsonRpcRequest, type MuxAnswer } from './jsonrpc';
import { forward, request, sessionServer, upstreamRef, usable, type MuxContext } from './forward';
import { LISTS, listAll } from './lists';
import { callTool } from './tools';

export { SessionGone, relayedId, type MuxContext, type SessionServer, type ToolCallHooks } from './forward';
export { answerServer, listenAll, type StreamEvent } from './relay';
export { decodeCursor, encodeCursor } from './cursor';

/**
 * One client session fanned out to its servers. Every server gets its own HTTP exchange per client
 * message, so its answer arrives on its own response: the client's JSON-RPC id is passed through
 * unchanged and ids can never collide across servers. Nothing is kept between requests.
 */

export async function answer(req: JsonRpcRequest, ctx: MuxContext): Promise<MuxAnswer> {
  const list = LISTS[req.method];
  if (list) return { kind: 'message', message: await listAll(req, list, ctx) };
  switch (req.method) {
    case 'ping':
      return { kind: 'message', message: { jsonrpc: '2.0', id: req.id, result: {} } };
    case 'tools/call':
      return callTool(req, ctx);
    case 'prompts/get':
      return routeByName(req, ctx, 'prompt');
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe':
      return routeByUri(req, ctx);
    case 'completion/complete':
      return complete(req, ctx);
    case 'logging/setLevel':
      return { kind: 'message', message: await broadcast(req, ctx) };
    default:
      throw new McpError(MCP_ERRORS.MethodNotFound, `Method not found: ${req.method}`);
  }
}

/** A client notification that every server of the session hears (initialized, cancelled, roots). */
export async function notifyAll(message: Json, ctx: MuxContext): Promise<void> {
  await Promise.all(
    usable(ctx).map(async (s) => {
      try {
        const reply = await ctx.upstreams.post(s.registry, message, upstreamRef(s), ctx.signal);
        for await (const _ of reply.messages);
      } catch {
        // A notification has no answer to fail: a server that missed it is down or will say so later.
      }
    }),
  );
}

async function routeByName(req: JsonRpcRequest, ctx: MuxContext, kind: 'prompt'): Promise<MuxAnswer> {
  const visible = String(req.params.name ?? '');
  const target = ctx.names.resolvePrompt(visible);
  if (!target || !ctx.names.allows(kind, visible))
    throw new McpError(MCP_ERRORS.InvalidParams, `Unknown prompt: ${visible}`);
  const server = sessionServer(ctx, target.server, kind, visible);
  return forward(server, { ...req, params: { ...req.params, name: target.name } }, ctx);
}

async function routeByUri(req: JsonRpcRequest, ctx: MuxContext): Promise<MuxAnswer> {
  const visible = String(req.params.uri ?? '');
  const target = ctx.names.resolveUri(visible);
  if (!target || !ctx.names.allows('resource', visible))
    throw new McpError(MCP_ERRORS.InvalidParams, `Unknown resource: ${visible}`);
  const server = sessionServer(ctx, target.server, 'resource', visible);
  return forward(server, { ...req, params: { ...req.params, uri: target.name } }, ctx);
}

/** `completion/complete` names a prompt or a resource template: routed as they are. */
async function complete(req: JsonRpcRequest, ctx: MuxContext): Promise<MuxAnswer> {
  const ref = isObject(req.params.ref) ? req.params.ref : {};
  if (ref.type === 'ref/prompt') {
    const visible = String(ref.name ?? '');
    const target = ctx.names.resolvePrompt(visible);
    if (!target || !ctx.names.allows('prompt', visible))
      throw new McpError(MCP_ERRORS.InvalidParams, `Unknown prompt: ${visible}`);
    const server = sessionServer(ctx, target.server, 'prompt', visible);
    return forward(server, { ...req, params: { ...req.params, ref: { ...ref, name: target.name } } }, ctx);
  }
  if (ref.type === 'ref/resource') {
    const visible = String(ref.uri ?? '');
    const target = ctx.names.resolveUri(visible);
    if (!target || !ctx.names.allows('resource', visible))
      throw new McpError(MCP_ERRORS.InvalidParams, `Unknown resource template: ${visible}`);
    const server = sessionServer(ctx, target.server, 'resource', visible);
    return forward(server, { ...req, params: { ...req.params, ref: { ...ref, uri: target.name } } }, ctx);
  }
  throw new McpError(MCP_ERRORS.InvalidParams, 'completion/complete needs a ref/prompt or ref/resource');
}

/** A request every server handles on its own (logging/setLevel): an empty result when all could. */
async function broadcast(req: JsonRpcRequest, ctx: MuxContext): Promise<Json> {
  await Promise.all(usable(ctx).map((s) => request(s, req, ctx, { missingMethodIsEmpty: true })));
  return { jsonrpc: '2.0', id: req.id, result: {} };
}
