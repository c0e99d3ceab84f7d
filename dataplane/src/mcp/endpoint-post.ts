import { isObject, type Json } from '../formats/wire';
import { readBody } from '../proxy/body';
import type { Logger } from '../telemetry/logger';
import { answerElicitation } from './approval';
import { openContext, type EndpointEnv } from './endpoint-context';
import {
  JSON_HEADERS,
  SSE_HEADERS,
  asMcpError,
  asRequest,
  parseMessage,
  registryIn,
  type Call,
} from './endpoint-helpers';
import { initializeAll } from './initialize';
import { sealedFrames, takesPriming, type FramesSent } from './event-frames';
import { streamIds } from './event-id';
import {
  MCP_ERRORS,
  McpError,
  errorMessage,
  isResponseTo,
  sseFrame,
  type JsonRpcRequest,
  type RequestId,
} from './jsonrpc';
import { answer, answerServer, notifyAll, SessionGone, type MuxContext } from './multiplex';
import { ownerOf } from './owner';
import { followAnswer } from './resume';
import { sealSession, sessionKeysOf, type SessionClaims } from './session';

/** The POST requests of ./endpoint: one JSON-RPC message, answered as JSON or as an SSE stream. */

/** Client notifications every server of the session hears. */
const RELAYED_NOTIFICATIONS = new Set([
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/roots/list_changed',
]);

/** POST: the message read and checked, then a session opened (initialize) or the message relayed. */
export async function post(env: EndpointEnv, call: Call, done: () => void): Promise<void> {
  const { x } = call;
  const raw = await readBody(x.body, x.header('content-length'), call.consumer.maxRequestBodyBytes);
  const message = parseMessage(raw);
  const method = typeof message.method === 'string' ? message.method : undefined;
  call.line.rpc = method ?? 'response';
  if (method === 'tools/call' && isObject(message.params)) {
    call.line.tool = message.params.name;
    env.oauth.checkToolCall(
      call.identity,
      env.names(call.mcp),
      call.mcp,
      x,
      call.consumer.config.slug,
      String(message.params.name),
    );
  }
  const owner =
    method !== undefined && isObject(message.params)
      ? ownerOf(method, message.params, call.names)
      : undefined;
  if (owner !== undefined) call.line.server = call.known.server = owner;
  const isRequest = method !== undefined && message.id !== undefined;
  if (isRequest) call.id = message.id as RequestId;

  if (method === 'initialize' && isRequest) return initialize(env, call, asRequest(message), done);

  const ctx = openContext(env, call);
  try {
    if (!isRequest) return await relayOneWay(env, call, ctx, message, method, done);
    return await answerRequest(env.logger, call, ctx, asRequest(message), done);
  } catch (err) {
    if (err instanceof SessionGone) {
      env.idle.end(String(x.header('mcp-session-id')));
      throw new McpError(MCP_ERRORS.InvalidRequest, `Session not found: ${err.message}`, 404);
    }
    throw err;
  }
}

/** initialize: every server initialized, their sessions sealed into the gateway's session id. */
async function initialize(
  env: EndpointEnv,
  call: Call,
  req: JsonRpcRequest,
  done: () => void,
): Promise<void> {
  const servers = call.mcp.servers.map((named) => ({
    named,
    registry: registryIn(call.snapshot, named.registry),
  }));
  const init = await initializeAll(
    req,
    servers,
    call.mcp.onServerDown,
    env.upstreams,
    call.signal,
    call.gateway.config.mcp?.idleTimeoutMs,
  );
  const keys = sessionKeysOf(call.gateway.config.mcp?.sessionKeys ?? []);
  const [key] = keys;
  if (!key) throw new McpError(MCP_ERRORS.InternalError, 'This gateway has no MCP session keys.', 503);
  const claims: SessionClaims = {
    gateway: call.gateway.name,
    consumer: call.consumer.name,
    protocolVersion: String(init.result.protocolVersion),
    issuedAt: env.now(),
    servers: init.servers,
    ...(isObject(req.params.capabilities) && isObject(req.params.capabilities.elicitation)
      ? { elicitation: true }
      : {}),
    ...(init.clientInit ? { clientInit: init.clientInit } : {}),
  };
  const token = sealSession(claims, key);
  env.idle.touch(token, claims.issuedAt, call.gateway.config.mcp?.idleTimeoutMs ?? Infinity);
  done();
  call.line.status = 200;
  return call.x.respond(
    200,
    { ...JSON_HEADERS, 'mcp-session-id': token },
    JSON.stringify({ jsonrpc: '2.0', id: req.id, result: init.result }),
  );
}

/** A notification or a response (to a server's request, or an elicitation): relayed, answered 202. */
async function relayOneWay(
  env: EndpointEnv,
  call: Call,
  ctx: MuxContext,
  message: Json,
  method: string | undefined,
  done: () => void,
): Promise<void> {
  if (method !== undefined && RELAYED_NOTIFICATIONS.has(method)) await notifyAll(message, ctx);
  else if (
    method === undefined &&
    !(await answerElicitation(message, {
      broker: env.approvals,
      logger: env.logger,
      gateway: call.gateway.name,
      consumer: call.consumer.name,
    }))
  )
    await answerServer(message, ctx);
  done();
  call.line.status = 202;
  return call.x.respond(202, {}, '');
}

/**
 * A request: its owning server's answer as JSON, or as SSE when it streams and the client accepts.
 * A streamed answer whose server gives ids is resumable (./resume): its events carry sealed ids
 * (./event-id) with which the client may come back to any replica.
 */
async function answerRequest(
  logger: Logger,
  call: Call,
  ctx: MuxContext,
  req: JsonRpcRequest,
  done: () => void,
): Promise<void> {
  const { x } = call;
  const result = await answer(req, ctx);
  call.line.status = 200;
  if (result.kind === 'message') {
    done();
    return x.respond(200, JSON_HEADERS, JSON.stringify(result.message));
  }
  const answering = { id: req.id, method: req.method };
  const sent: FramesSent = { id: false };
  const priming = takesPriming(x.header('mcp-protocol-version'));
  // Only clients of 2025-11-25 on expect a server to end an answer early and come back themselves.
  const events = followAnswer(result.events, ctx, answering, () => priming && sent.id);
  if (!(x.header('accept') ?? '').includes('text/event-stream')) {
    let final: Json | undefined;
    for await (const e of events) if (e.message && isResponseTo(e.message, req.id)) final = e.message;
    done();
    return x.respond(
      200,
      JSON_HEADERS,
      JSON.stringify(final ?? errorMessage(req.id, MCP_ERRORS.ServerUnavailable, 'no answer')),
    );
  }
  const [key] = sessionKeysOf(call.gateway.config.mcp?.sessionKeys ?? []);
  const session = String(x.header('mcp-session-id'));
  const idOf = key ? streamIds(key, session, answering) : () => undefined;
  const frames = sealedFrames(events, new Map(), idOf, priming, sent);
  return x.respondStream(200, SSE_HEADERS, sseOf(logger, frames, req), done);
}

async function* sseOf(
  logger: Logger,
  frames: AsyncIterable<Uint8Array>,
  req: JsonRpcRequest,
): AsyncGenerator<Uint8Array> {
  try {
    yield* frames;
  } catch (err) {
    const e = asMcpError(err, logger);
    yield Buffer.from(sseFrame(errorMessage(req.id, e.code, e.message, e.data)));
  }
}
