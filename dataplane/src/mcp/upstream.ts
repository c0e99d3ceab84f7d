import { readWhole, sendRequest, type RawResponse } from '../providers/body';
import { UpstreamPools } from '../providers/pools';
import type { CompiledMcpHttpServer, CompiledMcpStdioServer, CompiledRegistry } from '@tollgate/protocol';
import { isObject, type Json } from '../formats/wire';
import type { Logger } from '../telemetry/logger';
import { LegacySseServers } from './sse';
import { StdioServer } from './stdio';
import { McpUpstreamError, failureOf, nameOf } from './upstream-errors';
import {
  asEvents,
  iterate,
  messagesOf,
  none,
  parseJson,
  sseStream,
  translated,
  type UpstreamEvent,
} from './upstream-stream';

export { McpUpstreamError, type UpstreamFailure } from './upstream-errors';
export type { UpstreamEvent } from './upstream-stream';

/**
 * The client side of MCP's Streamable HTTP transport, towards one upstream server, stateless: the
 * caller passes the upstream session id it holds (from the client's sealed token) with each call.
 * Servers of transport Stdio (./stdio) and SSE (legacy HTTP+SSE, ./sse) sit behind the same methods.
 * Connections are pooled per server and its timeouts (connect; request = time to the response
 * headers; idle = longest silence in a streamed answer), as the LLM adapter pools them.
 */

export interface UpstreamSessionRef {
  sessionId?: string | undefined;
  protocolVersion?: string | undefined;
  /** Transport SSE: the client's initialize parameters, to open the session again on this replica. */
  initialize?: Json | undefined;
  /** Transport SSE: how long this replica keeps a connection no request uses (the Gateway's idleTimeout). */
  idleMs?: number | undefined;
}

export interface UpstreamReply {
  /** The Mcp-Session-Id the server assigned (initialize). */
  sessionId: string | undefined;
  /** Whether the server answered with an SSE stream (notifications may precede the response). */
  streamed: boolean;
  /** The JSON-RPC messages of the answer, in order; none for 202. */
  messages: AsyncIterable<Json>;
  /**
   * An SSE answer of a Streamable HTTP server: the same stream as events, with the server's own
   * event ids and `retry` (what a resumable relay needs). Read this or `messages`, never both.
   */
  events?: AsyncIterable<UpstreamEvent>;
}

/** An MCP registry's server; compile guarantees `mcp` on provider mcp. */
export type McpRegistry = HttpRegistry | StdioRegistry;
type HttpRegistry = CompiledRegistry & { mcp: CompiledMcpHttpServer };
type StdioRegistry = CompiledRegistry & { mcp: CompiledMcpStdioServer };

/** What /config_dump shows of one MCP server, as this proxy last reached it. */
export interface McpServerHealth {
  /** Whether the last exchange got an answer (any HTTP status below 500). */
  reachable: boolean;
  lastSuccess?: string;
  lastError?: { at: string; message: string };
  /** Transport SSE: the connections (one per session) this process holds to it. */
  connections?: number;
}

interface SeenHealth {
  reachable: boolean;
  lastSuccess?: number;
  lastError?: { at: number; message: string };
}

export class McpUpstreams {
  private readonly pools = new UpstreamPools();
  /** Registry resource name → its health as seen by this proxy's POSTs (times in ms, shown as ISO). */
  private readonly seen = new Map<string, SeenHealth>();
  /** Registry resource name → its child process (transport Stdio), one per proxy process. */
  private readonly children = new Map<string, StdioServer>();
  /** The connections to servers of transport SSE, per session, held by this process. */
  private readonly legacy: LegacySseServers;

  constructor(
    private readonly options: {
      logger?: Logger;
      /** Connections held per SSE server by this process (default 256). */
      maxSseConnectionsPerServer?: number;
    } = {},
  ) {
    this.legacy = new LegacySseServers({
      maxPerServer: options.maxSseConnectionsPerServer,
      label: nameOf,
      headers: (registry) => this.headers(registry, {}),
      dispatcher: (origin, timeouts) => this.pools.get(origin, timeouts),
    });
  }
  private readonly urls = new Map<string, { origin: string; path: string }>();

  /** POSTs one JSON-RPC message; rejects with McpUpstreamError when the server cannot answer it. */
  async post(
    registry: McpRegistry,
    message: Json,
    session: UpstreamSessionRef,
    signal: AbortSignal,
  ): Promise<UpstreamReply> {
    if (isStdio(registry)) return this.postStdio(registry, message, signal);
    if (registry.mcp.transport === 'SSE') return this.postSse(registry, message, session, signal);
    const { origin, path } = this.urlOf(registry.mcp.url);
    const headers = this.headers(registry, session);
    headers['content-type'] = 'application/json';
    headers.accept = 'application/json, text/event-stream';
    // undici's dispatch layer (../providers/body): no Readable, async resource or promise per chunk.
    let res: RawResponse;
    try {
      res = await sendRequest(
        this.pools.get(origin, registry.timeouts),
        { path, method: 'POST', headers, body: JSON.stringify(message) },
        signal,
      );
    } catch (err) {
      const failure = failureOf(err, registry);
      this.record(registry, failure.message);
      throw failure;
    }
    const status = res.status;
    this.record(registry, status >= 500 ? `answered HTTP ${status}` : undefined);
    const contentType = String(res.headers['content-type'] ?? '');
    const sessionId = headerValue(res.headers['mcp-session-id']);
    if (contentType.startsWith('text/event-stream') && status < 300 && status !== 202) {
      const events = sseStream(res.body, registry);
      return { sessionId, streamed: true, events, messages: messagesOf(events) };
    }
    const text = (await readWhole(res.body)).toString('utf8');
    if (status === 202) return { sessionId, streamed: false, messages: none() };
    if (status === 404 && session.sessionId !== undefined)
      throw new McpUpstreamError('session-gone', `${nameOf(registry)} no longer knows the session`);
    if (status >= 500) throw new McpUpstreamError('down', `${nameOf(registry)} answered HTTP ${status}`);
    const parsed = parseJson(text);
    const list = Array.isArray(parsed) ? parsed : [parsed];
    const messages = list.filter(isObject);
    // A 4xx with a JSON-RPC error is the server's answer; without one, the server refused the call.
    if (messages.length === 0 || (status >= 300 && !messages.some((m) => 'error' in m))) {
      throw new McpUpstreamError('refused', `${nameOf(registry)} answered HTTP ${status}`);
    }
    return { sessionId, streamed: false, messages: iterate(messages) };
  }

  /**
   * Opens the server's own server-to-client stream (GET) of a session; undefined when it offers
   * none (405, stateless servers) or cannot be reached: the client's stream goes on without it.
   * With `lastEventId` the server resumes its stream after that event (MCP resumability); a server
   * that cannot (it answers anything but 200, 404 or 405: unknown id, replay failed) is asked again
   * for a fresh stream.
   */
  async listen(
    registry: McpRegistry,
    session: UpstreamSessionRef,
    signal: AbortSignal,
    lastEventId?: string,
  ): Promise<AsyncIterable<UpstreamEvent> | undefined> {
    if (session.sessionId === undefined || isStdio(registry)) return undefined;
    if (registry.mcp.transport === 'SSE') {
      try {
        const messages = await this.legacy.listen(registry, session, signal);
        return asEvents(translated(messages, registry));
      } catch (err) {
        const failure = failureOf(err, registry);
        if (failure.kind === 'session-gone') throw failure;
        return undefined;
      }
    }
    const opened = await this.get(registry, session, signal, lastEventId);
    if (opened === 'session-gone')
      throw new McpUpstreamError('session-gone', `${nameOf(registry)} no longer knows the session`);
    if (typeof opened !== 'number') return opened;
    if (lastEventId !== undefined && opened !== 405 && opened !== 0)
      return this.listen(registry, session, signal);
    return undefined;
  }

  /**
   * Reopens one of the server's streams of a session after `lastEventId` (GET with
   * `Last-Event-ID`), a response stream included: MCP's "Resumability and Redelivery", where the
   * server replays what followed that event on the stream it belongs to and goes on with it.
   * Unlike `listen`, never falls back to a fresh stream: when the server cannot resume, the HTTP
   * status it answered instead (0: it could not be reached, or it has no such streams).
   */
  async resume(
    registry: McpRegistry,
    session: UpstreamSessionRef,
    signal: AbortSignal,
    lastEventId: string,
  ): Promise<AsyncIterable<UpstreamEvent> | number> {
    if (session.sessionId === undefined || isStdio(registry) || registry.mcp.transport === 'SSE') return 0;
    const opened = await this.get(registry, session, signal, lastEventId);
    if (opened === 'session-gone')
      throw new McpUpstreamError('session-gone', `${nameOf(registry)} no longer knows the session`);
    return opened;
  }

  /** A GET of a Streamable HTTP server: its event stream, or the status it answered instead (0: unreachable). */
  private async get(
    registry: HttpRegistry,
    session: UpstreamSessionRef,
    signal: AbortSignal,
    lastEventId: string | undefined,
  ): Promise<AsyncIterable<UpstreamEvent> | number | 'session-gone'> {
    const { origin, path } = this.urlOf(registry.mcp.url);
    const headers = this.headers(registry, session);
    headers.accept = 'text/event-stream';
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    try {
      const res = await this.pools
        .get(origin, registry.timeouts)
        .request({ path, method: 'GET', headers, signal });
      if (res.statusCode === 404) {
        await res.body.dump();
        return 'session-gone';
      }
      if (
        res.statusCode !== 200 ||
        !String(res.headers['content-type'] ?? '').startsWith('text/event-stream')
      ) {
        await res.body.dump();
        return res.statusCode;
      }
      return sseStream(res.body, registry);
    } catch {
      return 0;
    }
  }

  /** Ends an upstream session; failures are the server's business (it expires the session itself). */
  async delete(registry: McpRegistry, session: UpstreamSessionRef, signal: AbortSignal): Promise<number> {
    if (session.sessionId === undefined || isStdio(registry)) return 0;
    if (registry.mcp.transport === 'SSE') return this.legacy.end(registry, session) ? 200 : 0;
    const { origin, path } = this.urlOf(registry.mcp.url);
    try {
      const res = await this.pools.get(origin, registry.timeouts).request({
        path,
        method: 'DELETE',
        headers: this.headers(registry, session),
        signal,
      });
      await res.body.dump();
      return res.statusCode;
    } catch {
      return 0;
    }
  }

  /** Per registry this proxy has reached: reachable, last success, last error (sorted by name). */
  health(): Record<string, McpServerHealth> {
    const held = this.legacy.counts();
    const all = [...this.seen].map(([k, h]): [string, McpServerHealth] => [
      k,
      {
        reachable: h.reachable,
        ...(h.lastSuccess !== undefined ? { lastSuccess: new Date(h.lastSuccess).toISOString() } : {}),
        ...(h.lastError
          ? { lastError: { at: new Date(h.lastError.at).toISOString(), message: h.lastError.message } }
          : {}),
        ...held[k],
      },
    ]);
    return Object.fromEntries(all.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  private record(registry: McpRegistry, error: string | undefined): void {
    const name = `${registry.source.namespace}/${registry.source.name}`;
    let h = this.seen.get(name);
    if (!h) this.seen.set(name, (h = { reachable: false }));
    const at = Date.now();
    if (error === undefined) {
      h.reachable = true;
      h.lastSuccess = at;
    } else {
      h.reachable = false;
      h.lastError = { at, message: error };
    }
  }

  async close(): Promise<void> {
    this.legacy.close();
    await Promise.all([this.pools.close(), ...[...this.children.values()].map((c) => c.close())]);
    this.children.clear();
  }

  /**
   * A message for a stdio server (see stdio.ts): initialize is answered with the child's own
   * result, requests go down the pipe, client notifications and answers stop here.
   */
  private async postStdio(
    registry: StdioRegistry,
    message: Json,
    signal: AbortSignal,
  ): Promise<UpstreamReply> {
    const child = this.childFor(registry);
    try {
      let reply: UpstreamReply;
      if (message.method === 'initialize' && message.id !== undefined) {
        const result = await child.initialize(signal);
        reply = {
          sessionId: undefined,
          streamed: false,
          messages: iterate([{ jsonrpc: '2.0', id: message.id, result }]),
        };
      } else if (typeof message.method !== 'string' || message.id === undefined) {
        reply = { sessionId: undefined, streamed: false, messages: none() };
      } else {
        const meta = isObject(message.params) && isObject(message.params._meta) ? message.params._meta : {};
        const messages = await child.request(message, signal);
        reply = {
          sessionId: undefined,
          streamed: meta.progressToken !== undefined,
          messages: translated(messages, registry),
        };
      }
      this.record(registry, undefined);
      return reply;
    } catch (err) {
      const failure = failureOf(err, registry);
      this.record(registry, failure.message);
      throw failure;
    }
  }

  /** A message for a server of transport SSE (see ./sse): its answer taken off the session's stream. */
  private async postSse(
    registry: HttpRegistry,
    message: Json,
    session: UpstreamSessionRef,
    signal: AbortSignal,
  ): Promise<UpstreamReply> {
    try {
      const reply = await this.legacy.post(registry, message, session, signal);
      this.record(registry, undefined);
      return { ...reply, messages: translated(reply.messages, registry) };
    } catch (err) {
      const failure = failureOf(err, registry);
      this.record(registry, failure.message);
      throw failure;
    }
  }

  private childFor(registry: StdioRegistry): StdioServer {
    const name = `${registry.source.namespace}/${registry.source.name}`;
    let child = this.children.get(name);
    if (child && JSON.stringify(child.config) !== JSON.stringify(registry.mcp)) {
      // The command changed: the old child goes, a new one starts with the new config.
      void child.close();
      child = undefined;
    }
    if (!child) {
      child = new StdioServer(name, registry.mcp, this.options.logger);
      this.children.set(name, child);
    }
    return child;
  }

  private headers(registry: HttpRegistry, session: UpstreamSessionRef): Record<string, string> {
    const headers: Record<string, string> = { ...registry.mcp.headers };
    if (registry.apiKey !== undefined) headers.authorization = `Bearer ${registry.apiKey}`;
    if (session.sessionId !== undefined) headers['mcp-session-id'] = session.sessionId;
    if (session.protocolVersion !== undefined) headers['mcp-protocol-version'] = session.protocolVersion;
    return headers;
  }

  private urlOf(url: string): { origin: string; path: string } {
    let u = this.urls.get(url);
    if (!u) {
      const parsed = new URL(url);
      u = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
      this.urls.set(url, u);
    }
    return u;
  }
}

function isStdio(registry: McpRegistry): registry is StdioRegistry {
  return registry.mcp.transport === 'Stdio';
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
