import type { FailureMode } from '../../../protocol/src';
import { isObject, type Json } from '../formats/wire';
import {
  MCP_ERRORS,
  McpError,
  errorMessage,
  isResponseTo,
  type JsonRpcRequest,
  type MuxAnswer,
  type RequestId,
} from './jsonrpc';
import { holdCall, type McpApprovals } from './approval';
import { guardCall, guardList, type McpToolGuard } from './guard';
import type { McpNames, NamedServer } from './names';
import type { UpstreamSession } from './session';
import { McpUpstreamError, type McpRegistry, type McpUpstreams } from './upstream';

/**
 * One client session fanned out to its servers. Every server gets its own HTTP exchange per client
 * message, so its answer arrives on its own response: the client's JSON-RPC id is passed through
 * unchanged and ids can never collide across servers. Nothing is kept between requests.
 */

/** A server of the session: its names, its current config (undefined: gone from the config) and session. */
export interface SessionServer {
  named: NamedServer;
  registry: McpRegistry | undefined;
  session: UpstreamSession;
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

const LISTS: Record<string, { key: string; kind: 'tool' | 'prompt' | 'resource'; field: string }> = {
  'tools/list': { key: 'tools', kind: 'tool', field: 'name' },
  'prompts/list': { key: 'prompts', kind: 'prompt', field: 'name' },
  'resources/list': { key: 'resources', kind: 'resource', field: 'uri' },
  'resources/templates/list': { key: 'resourceTemplates', kind: 'resource', field: 'uriTemplate' },
};

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

/** Lists from every server, names prefixed and filtered; the cursor holds each server's own cursor. */
async function listAll(req: JsonRpcRequest, list: (typeof LISTS)[string], ctx: MuxContext): Promise<Json> {
  const cursor = typeof req.params.cursor === 'string' ? decodeCursor(req.params.cursor) : undefined;
  const servers = usable(ctx).filter((s) => !cursor || cursor.has(s.named.registry));
  const pages = await Promise.all(
    servers.map(async (s) => {
      const own = cursor?.get(s.named.registry);
      const params = { ...req.params, ...(own !== undefined ? { cursor: own } : {}) };
      if (own === undefined) delete params.cursor;
      const result = await request(s, { ...req, params }, ctx, { missingMethodIsEmpty: true });
      return { s, result };
    }),
  );
  const items: Json[] = [];
  const next: [string, string][] = [];
  for (const { s, result } of pages) {
    if (!result) continue;
    const got = Array.isArray(result[list.key]) ? (result[list.key] as unknown[]) : [];
    for (const item of got) {
      if (!isObject(item) || typeof item[list.field] !== 'string') continue;
      const own = item[list.field] as string;
      const mapped = mapListItem(item, own, s.named, list.kind, ctx.names, list.field);
      if (mapped) items.push(mapped);
    }
    if (typeof result.nextCursor === 'string') next.push([s.named.registry, result.nextCursor]);
  }
  const shown = list.kind === 'tool' ? guardList(items, ctx.toolGuard) : items;
  const result: Json = { [list.key]: shown };
  if (next.length > 0) result.nextCursor = encodeCursor(next);
  return { jsonrpc: '2.0', id: req.id, result };
}

function mapListItem(
  item: Json,
  own: string,
  server: NamedServer,
  kind: 'tool' | 'prompt' | 'resource',
  names: McpNames,
  field: string,
): Json | undefined {
  if (kind === 'resource') {
    const prefixed = names.exposeUri(server, own);
    return names.allows('resource', prefixed) ? { ...item, [field]: prefixed } : undefined;
  }
  const prefixed = names.expose(server, own);
  if (!names.allows(kind, prefixed)) return undefined;
  return { ...item, [field]: kind === 'tool' ? names.exposeTool(server, own) : prefixed };
}

async function callTool(req: JsonRpcRequest, ctx: MuxContext): Promise<MuxAnswer> {
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
  const source = reply.messages;
  return {
    kind: 'stream',
    messages: (async function* () {
      for await (const m of source) yield isResponseTo(m, id) ? fn(m) : m;
    })(),
  };
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

function sessionServer(ctx: MuxContext, named: NamedServer, kind: string, visible: string): UsableServer {
  const s = ctx.servers.find((x) => x.named.registry === named.registry);
  if (!s || !s.registry) {
    throw new McpError(
      MCP_ERRORS.ServerUnavailable,
      `The MCP server of ${kind} '${visible}' was down when this session started; start a new session to reach it.`,
    );
  }
  return s as UsableServer;
}

type UsableServer = SessionServer & { registry: McpRegistry };

function usable(ctx: MuxContext): UsableServer[] {
  return ctx.servers.filter((s): s is UsableServer => s.registry !== undefined);
}

function upstreamRef(s: SessionServer) {
  return { sessionId: s.session.sessionId, protocolVersion: s.session.protocolVersion };
}

/**
 * One request to one server, awaited to its result. Undefined when the server is down and the
 * consumer fails open (or it does not implement the method, when that means "nothing").
 */
async function request(
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
 * resource updates) with names mapped, then its response, results mapped.
 */
async function forward(s: UsableServer, req: JsonRpcRequest, ctx: MuxContext): Promise<MuxAnswer> {
  let reply;
  try {
    reply = await ctx.upstreams.post(s.registry, wire(req), upstreamRef(s), ctx.signal);
  } catch (err) {
    if (err instanceof McpUpstreamError && err.kind === 'session-gone') throw new SessionGone(err.message);
    throw serverError(err, s);
  }
  const messages = relay(reply.messages, s, req, ctx);
  if (reply.streamed) return { kind: 'stream', messages };
  let final: Json | undefined;
  for await (const m of messages) if (isResponseTo(m, req.id)) final = m;
  return {
    kind: 'message',
    message: final ?? errorMessage(req.id, MCP_ERRORS.ServerUnavailable, `${label(s)} sent no answer`),
  };
}

async function* relay(
  source: AsyncIterable<Json>,
  s: UsableServer,
  req: JsonRpcRequest,
  ctx: MuxContext,
): AsyncGenerator<Json> {
  let answered = false;
  try {
    for await (const m of source) {
      if (isResponseTo(m, req.id)) {
        answered = true;
        yield mapResult(m, req.method, s.named, ctx.names);
        return;
      }
      if (typeof m.method !== 'string') continue;
      if (m.id !== undefined) {
        if (ctx.clientStreams) yield { ...m, id: relayedId(s.named.registry, m.id as RequestId) };
        else void refuseServerRequest(s, m, ctx);
        continue;
      }
      yield mapNotification(m, s.named, ctx.names);
    }
  } catch (err) {
    if (err instanceof McpUpstreamError && err.kind === 'session-gone') throw new SessionGone(err.message);
    const e = serverError(err, s);
    yield errorMessage(req.id, e.code, e.message);
    return;
  }
  if (!answered)
    yield errorMessage(req.id, MCP_ERRORS.ServerUnavailable, `${label(s)} ended its answer early`);
}

function mapResult(m: Json, method: string, server: NamedServer, names: McpNames): Json {
  if (method !== 'resources/read' || !isObject(m.result) || !Array.isArray(m.result.contents)) return m;
  const contents = m.result.contents.map((c: unknown) =>
    isObject(c) && typeof c.uri === 'string' ? { ...c, uri: names.exposeUri(server, c.uri) } : c,
  );
  return { ...m, result: { ...m.result, contents } };
}

function mapNotification(m: Json, server: NamedServer, names: McpNames): Json {
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

function label(s: SessionServer): string {
  return `MCP server '${s.named.prefix || s.named.registry}'`;
}

function wire(req: JsonRpcRequest): Json {
  return { jsonrpc: '2.0', id: req.id, method: req.method, params: req.params };
}

/**
 * The client's GET stream: every stateful server's own stream of the session, merged, with the
 * same mapping as a relayed answer (notifications' URIs prefixed, server requests' ids naming their
 * server). Undefined when no server offers one.
 */
export async function listenAll(ctx: MuxContext): Promise<AsyncIterable<Json> | undefined> {
  const streams = await Promise.all(
    usable(ctx).map(async (s) => {
      try {
        const source = await ctx.upstreams.listen(s.registry, upstreamRef(s), ctx.signal);
        return source && mapStream(source, s, ctx);
      } catch (err) {
        if (err instanceof McpUpstreamError && err.kind === 'session-gone')
          throw new SessionGone(err.message);
        throw err;
      }
    }),
  );
  const open = streams.filter((x): x is AsyncGenerator<Json> => x !== undefined);
  return open.length === 0 ? undefined : merge(open);
}

async function* mapStream(
  source: AsyncIterable<Json>,
  s: UsableServer,
  ctx: MuxContext,
): AsyncGenerator<Json> {
  try {
    for await (const m of source) {
      if (typeof m.method !== 'string') continue;
      if (m.id !== undefined) yield { ...m, id: relayedId(s.named.registry, m.id as RequestId) };
      else yield mapNotification(m, s.named, ctx.names);
    }
  } catch {
    // One server's stream ending (idle timeout, server gone) ends only its part of the merge.
  }
}

/** Items of several async generators as they come; done when all are. */
async function* merge(sources: AsyncGenerator<Json>[]): AsyncGenerator<Json> {
  const pending = new Map(sources.map((g, i) => [i, g.next().then((r) => ({ i, r }))]));
  try {
    while (pending.size > 0) {
      const { i, r } = await Promise.race(pending.values());
      if (r.done) {
        pending.delete(i);
        continue;
      }
      pending.set(
        i,
        (sources[i] as AsyncGenerator<Json>).next().then((next) => ({ i, r: next })),
      );
      yield r.value;
    }
  } finally {
    await Promise.all(sources.map((g) => g.return(undefined)));
  }
}

/**
 * A server's request relayed to the client gets an id naming its server, so the client's answer —
 * a POST to any replica — finds its way back with no state: `tg/{registry}/{original id as JSON}`.
 */
const RELAYED_ID = /^tg\/([^/]+\/[^/]+)\/(.+)$/s;

export function relayedId(registry: string, id: RequestId): string {
  return `tg/${registry}/${JSON.stringify(id)}`;
}

/** The client's answer to a relayed request, delivered to the server that asked, with its own id. */
export async function answerServer(message: Json, ctx: MuxContext): Promise<boolean> {
  const match = typeof message.id === 'string' ? RELAYED_ID.exec(message.id) : null;
  if (!match) return false;
  const s = usable(ctx).find((x) => x.named.registry === match[1]);
  let id: unknown;
  try {
    id = JSON.parse(match[2] ?? '');
  } catch {
    return false;
  }
  if (!s || (typeof id !== 'string' && typeof id !== 'number')) return false;
  try {
    const reply = await ctx.upstreams.post(s.registry, { ...message, id }, upstreamRef(s), ctx.signal);
    for await (const _ of reply.messages);
  } catch (err) {
    if (err instanceof McpUpstreamError && err.kind === 'session-gone') throw new SessionGone(err.message);
    return false;
  }
  return true;
}

/** Cursor: base64url JSON of [registry, that server's cursor] pairs, for the servers with more. */
export function encodeCursor(next: [string, string][]): string {
  return Buffer.from(JSON.stringify(next)).toString('base64url');
}

export function decodeCursor(cursor: string): Map<string, string> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    v = undefined;
  }
  if (
    !Array.isArray(v) ||
    !v.every((p) => Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'string'))
  )
    throw new McpError(MCP_ERRORS.InvalidParams, 'Invalid cursor');
  return new Map(v as [string, string][]);
}
