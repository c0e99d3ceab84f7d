import type { FailureMode } from '@tollgate/protocol';
import { isObject, type Json } from '../formats/wire';
import {
  MCP_ERRORS,
  McpError,
  errorMessage,
  isResponseTo,
  type JsonRpcRequest,
  type MuxAnswer,
  type RequestId,
  type StreamEvent,
} from './jsonrpc';
import type { McpApprovals } from './approval';
import type { McpToolGuard } from './guard';
import type { McpNames, NamedServer } from './names';
import type { UpstreamSession } from './session';
import {
  McpUpstreamError,
  type McpRegistry,
  type McpUpstreams,
  type UpstreamEvent,
  type UpstreamSessionRef,
} from './upstream';
import { asEvents } from './upstream-stream';

/** The session's servers and one request to one of them, as the multiplexer (./multiplex) sends it. */

/** A server of the session: its names, its current config (undefined: gone from the config) and session. */
export interface SessionServer {
  named: NamedServer;
  registry: McpRegistry | undefined;
  session: UpstreamSession;
  /** Transport SSE: what opens the session again on a replica that holds no connection (see ./sse). */
  reopen?: { initialize: Json; idleMs: number | undefined };
}

export interface MuxContext {
  names: McpNames;
  servers: readonly SessionServer[];
  onServerDown: FailureMode;
  upstreams: McpUpstreams;
  signal: AbortSignal;
  /** Whether the client takes an SSE answer, on which a server's own requests can reach it. */
  clientStreams: boolean;
  /** The consumer's tool guard (toolGuard Policy), if any. */
  toolGuard?: McpToolGuard;
  /** How `requireApproval` tools are approved; without it they are refused. */
  approvals?: McpApprovals;
  /** What the gateway does around each tool call (policies, metrics); nothing when absent. */
  toolCalls?: ToolCallHooks;
}

/** Around one tools/call, once its tool is known to be visible and callable. */
export interface ToolCallHooks {
  /** Before the call reaches its server (throws an McpError to refuse it); the arguments to send. */
  admit(tool: string, args: unknown): Promise<unknown>;
  /** The server's response to the call, as the client will see it. */
  answer(message: Json): Json;
  /** The call is over: its server, the tool's prefixed name, its duration, and whether it succeeded. */
  done(server: NamedServer, tool: string, ms: number, ok: boolean): void;
}

/** The upstream session was ended by its server: the client must start a new session (HTTP 404). */
export class SessionGone extends Error {}

export function sessionServer(
  ctx: MuxContext,
  named: NamedServer,
  kind: string,
  visible: string,
): UsableServer {
  const s = ctx.servers.find((x) => x.named.registry === named.registry);
  if (!s || !s.registry) {
    throw new McpError(
      MCP_ERRORS.ServerUnavailable,
      `The MCP server of ${kind} '${visible}' was down when this session started; start a new session to reach it.`,
    );
  }
  return s as UsableServer;
}

export type UsableServer = SessionServer & { registry: McpRegistry };

export function usable(ctx: MuxContext): UsableServer[] {
  return ctx.servers.filter((s): s is UsableServer => s.registry !== undefined);
}

export function upstreamRef(s: SessionServer): UpstreamSessionRef {
  return { sessionId: s.session.sessionId, protocolVersion: s.session.protocolVersion, ...s.reopen };
}

/**
 * One request to one server, awaited to its result. Undefined when the server is down and the
 * consumer fails open (or it does not implement the method, when that means "nothing").
 */
export async function request(
  s: UsableServer,
  req: JsonRpcRequest,
  ctx: MuxContext,
  opts: { missingMethodIsEmpty: boolean },
): Promise<Json | undefined> {
  let final: Json | undefined;
  try {
    const reply = await ctx.upstreams.post(s.registry, wire(req), upstreamRef(s), ctx.signal);
    for await (const m of reply.messages) {
      if (isResponseTo(m, req.id)) final = m;
      else if (typeof m.method === 'string' && m.id !== undefined) void refuseServerRequest(s, m, ctx);
    }
  } catch (err) {
    if (err instanceof McpUpstreamError && err.kind === 'session-gone') throw new SessionGone(err.message);
    if (ctx.onServerDown === 'FailOpen') return undefined;
    throw serverError(err, s);
  }
  if (!final) {
    if (ctx.onServerDown === 'FailOpen') return undefined;
    throw new McpError(MCP_ERRORS.ServerUnavailable, `${label(s)} did not answer ${req.method}`);
  }
  if (isObject(final.error)) {
    if (opts.missingMethodIsEmpty && final.error.code === MCP_ERRORS.MethodNotFound) return undefined;
    if (ctx.onServerDown === 'FailOpen') return undefined;
    throw new McpError(
      MCP_ERRORS.ServerUnavailable,
      `${label(s)} failed ${req.method}: ${String(final.error.message ?? 'error')}`,
    );
  }
  return isObject(final.result) ? final.result : {};
}

/**
 * A request owned by one server, relayed as it answers: its notifications (progress, logging,
 * resource updates) with names mapped, then its response, results mapped. A streamed answer keeps
 * the server's own event ids and `retry` (a client may resume it, see ./resume).
 */
export async function forward(s: UsableServer, req: JsonRpcRequest, ctx: MuxContext): Promise<MuxAnswer> {
  let reply;
  try {
    reply = await ctx.upstreams.post(s.registry, wire(req), upstreamRef(s), ctx.signal);
  } catch (err) {
    if (err instanceof McpUpstreamError && err.kind === 'session-gone') throw new SessionGone(err.message);
    throw serverError(err, s);
  }
  const events = relay(reply.events ?? asEvents(reply.messages), s, req, ctx);
  if (reply.streamed) return { kind: 'stream', events };
  let final: Json | undefined;
  for await (const e of events) if (e.message && isResponseTo(e.message, req.id)) final = e.message;
  return {
    kind: 'message',
    message: final ?? errorMessage(req.id, MCP_ERRORS.ServerUnavailable, `${label(s)} sent no answer`),
  };
}

/**
 * A server's answer to `req` (its POST's stream, or that stream resumed), mapped for the client,
 * up to its response. A stream the server ends before answering ends here too when the server gave
 * it ids (it can be resumed: SSE polling, see ./resume); without ids that is an error answer.
 */
export async function* relay(
  source: AsyncIterable<UpstreamEvent>,
  s: UsableServer,
  req: Pick<JsonRpcRequest, 'id' | 'method'>,
  ctx: MuxContext,
): AsyncGenerator<StreamEvent> {
  const registry = s.named.registry;
  let resumable = false;
  try {
    for await (const { id, retry, message: m } of source) {
      const event: StreamEvent = { registry };
      if (id !== undefined) {
        event.id = id;
        resumable = id !== '';
      }
      if (retry !== undefined) event.retry = retry;
      if (m && isResponseTo(m, req.id)) {
        yield { ...event, message: mapResult(m, req.method, s.named, ctx.names) };
        return;
      }
      if (m && typeof m.method === 'string') {
        if (m.id === undefined) event.message = mapNotification(m, s.named, ctx.names);
        else if (ctx.clientStreams) event.message = { ...m, id: relayedId(registry, m.id as RequestId) };
        else void refuseServerRequest(s, m, ctx);
      }
      if (event.message || event.id !== undefined || event.retry !== undefined) yield event;
    }
  } catch (err) {
    if (err instanceof McpUpstreamError && err.kind === 'session-gone') throw new SessionGone(err.message);
    // A resumable stream that broke is resumed (./resume), unless this request is over (deadline).
    if (resumable && !ctx.signal.aborted) return;
    const e = serverError(err, s);
    yield { registry, message: errorMessage(req.id, e.code, e.message) };
    return;
  }
  if (!resumable)
    yield {
      registry,
      message: errorMessage(req.id, MCP_ERRORS.ServerUnavailable, `${label(s)} ended its answer early`),
    };
}

function mapResult(m: Json, method: string, server: NamedServer, names: McpNames): Json {
  if (method !== 'resources/read' || !isObject(m.result) || !Array.isArray(m.result.contents)) return m;
  const contents = m.result.contents.map((c: unknown) =>
    isObject(c) && typeof c.uri === 'string' ? { ...c, uri: names.exposeUri(server, c.uri) } : c,
  );
  return { ...m, result: { ...m.result, contents } };
}

export function mapNotification(m: Json, server: NamedServer, names: McpNames): Json {
  if (
    m.method === 'notifications/resources/updated' &&
    isObject(m.params) &&
    typeof m.params.uri === 'string'
  )
    return { ...m, params: { ...m.params, uri: names.exposeUri(server, m.params.uri) } };
  return m;
}

/**
 * A server's request that cannot reach the client (its answer is not a stream the client takes):
 * the server gets a JSON-RPC error at once rather than waiting for its timeout.
 */
async function refuseServerRequest(s: UsableServer, m: Json, ctx: MuxContext): Promise<void> {
  const id = m.id as RequestId;
  const refusal = errorMessage(
    id,
    MCP_ERRORS.MethodNotFound,
    `${String(m.method)} cannot reach the client: it did not accept a streamed answer`,
  );
  try {
    const reply = await ctx.upstreams.post(s.registry, refusal, upstreamRef(s), ctx.signal);
    for await (const _ of reply.messages);
  } catch {
    // The server will time its request out.
  }
}

function serverError(err: unknown, s: SessionServer): McpError {
  if (err instanceof McpError) return err;
  if (err instanceof McpUpstreamError && err.kind === 'timeout')
    return new McpError(MCP_ERRORS.RequestTimeout, err.message);
  const detail = err instanceof Error ? err.message : String(err);
  return new McpError(MCP_ERRORS.ServerUnavailable, detail || `${label(s)} is unavailable`);
}

export function label(s: SessionServer): string {
  return `MCP server '${s.named.prefix || s.named.registry}'`;
}

function wire(req: JsonRpcRequest): Json {
  return { jsonrpc: '2.0', id: req.id, method: req.method, params: req.params };
}

/**
 * A server's request relayed to the client gets an id naming its server, so the client's answer —
 * a POST to any replica — finds its way back with no state: `tg/{registry}/{original id as JSON}`.
 */
export const RELAYED_ID = /^tg\/([^/]+\/[^/]+)\/(.+)$/s;

export function relayedId(registry: string, id: RequestId): string {
  return `tg/${registry}/${JSON.stringify(id)}`;
}
