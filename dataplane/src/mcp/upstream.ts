import { Pool, errors as undiciErrors } from 'undici';
import type { CompiledRegistry } from '../../../protocol/src';
import { isObject, parseSseEvent, type Json } from '../formats/wire';
import { sseEvents } from '../proxy/sse';

/**
 * The client side of MCP's Streamable HTTP transport, towards one upstream server, stateless: the
 * caller passes the upstream session id it holds (from the client's sealed token) with each call.
 * Connections are pooled per server and its timeouts (connect; request = time to the response
 * headers; idle = longest silence in a streamed answer), as the LLM adapter pools them.
 */

export type UpstreamFailure = 'down' | 'timeout' | 'session-gone' | 'refused';

export class McpUpstreamError extends Error {
  constructor(
    readonly kind: UpstreamFailure,
    message: string,
  ) {
    super(message);
    this.name = 'McpUpstreamError';
  }
}

export interface UpstreamSessionRef {
  sessionId?: string | undefined;
  protocolVersion?: string | undefined;
}

export interface UpstreamReply {
  /** The Mcp-Session-Id the server assigned (initialize). */
  sessionId: string | undefined;
  /** Whether the server answered with an SSE stream (notifications may precede the response). */
  streamed: boolean;
  /** The JSON-RPC messages of the answer, in order; none for 202. */
  messages: AsyncIterable<Json>;
}

/** An MCP registry's server; compile guarantees `mcp` on provider mcp. */
export type McpRegistry = CompiledRegistry & { mcp: NonNullable<CompiledRegistry['mcp']> };

export class McpUpstreams {
  private readonly pools = new Map<string, Pool>();
  private readonly urls = new Map<string, { origin: string; path: string }>();

  /** POSTs one JSON-RPC message; rejects with McpUpstreamError when the server cannot answer it. */
  async post(
    registry: McpRegistry,
    message: Json,
    session: UpstreamSessionRef,
    signal: AbortSignal,
  ): Promise<UpstreamReply> {
    const { origin, path } = this.urlOf(registry.mcp.url);
    const headers = this.headers(registry, session);
    headers['content-type'] = 'application/json';
    headers.accept = 'application/json, text/event-stream';
    let res: Awaited<ReturnType<Pool['request']>>;
    try {
      res = await this.poolFor(origin, registry).request({
        path,
        method: 'POST',
        headers,
        body: JSON.stringify(message),
        signal,
      });
    } catch (err) {
      throw failureOf(err, registry);
    }
    const contentType = String(res.headers['content-type'] ?? '');
    const sessionId = headerValue(res.headers['mcp-session-id']);
    if (res.statusCode === 202) {
      await res.body.dump();
      return { sessionId, streamed: false, messages: none() };
    }
    if (res.statusCode === 404 && session.sessionId !== undefined) {
      await res.body.dump();
      throw new McpUpstreamError('session-gone', `${nameOf(registry)} no longer knows the session`);
    }
    if (res.statusCode >= 500) {
      await res.body.dump();
      throw new McpUpstreamError('down', `${nameOf(registry)} answered HTTP ${res.statusCode}`);
    }
    if (contentType.startsWith('text/event-stream') && res.statusCode < 300) {
      return { sessionId, streamed: true, messages: sseMessages(res.body, registry) };
    }
    const text = await res.body.text();
    const parsed = parseJson(text);
    const list = Array.isArray(parsed) ? parsed : [parsed];
    const messages = list.filter(isObject);
    // A 4xx with a JSON-RPC error is the server's answer; without one, the server refused the call.
    if (messages.length === 0 || (res.statusCode >= 300 && !messages.some((m) => 'error' in m))) {
      throw new McpUpstreamError('refused', `${nameOf(registry)} answered HTTP ${res.statusCode}`);
    }
    return { sessionId, streamed: false, messages: iterate(messages) };
  }

  /**
   * Opens the server's own server-to-client stream (GET) of a session; undefined when it offers
   * none (405, stateless servers) or cannot be reached: the client's stream goes on without it.
   */
  async listen(
    registry: McpRegistry,
    session: UpstreamSessionRef,
    signal: AbortSignal,
  ): Promise<AsyncIterable<Json> | undefined> {
    if (session.sessionId === undefined) return undefined;
    const { origin, path } = this.urlOf(registry.mcp.url);
    const headers = this.headers(registry, session);
    headers.accept = 'text/event-stream';
    try {
      const res = await this.poolFor(origin, registry).request({ path, method: 'GET', headers, signal });
      if (res.statusCode === 404) {
        await res.body.dump();
        throw new McpUpstreamError('session-gone', `${nameOf(registry)} no longer knows the session`);
      }
      if (
        res.statusCode !== 200 ||
        !String(res.headers['content-type'] ?? '').startsWith('text/event-stream')
      ) {
        await res.body.dump();
        return undefined;
      }
      return sseMessages(res.body, registry);
    } catch (err) {
      if (err instanceof McpUpstreamError && err.kind === 'session-gone') throw err;
      return undefined;
    }
  }

  /** Ends an upstream session; failures are the server's business (it expires the session itself). */
  async delete(registry: McpRegistry, session: UpstreamSessionRef, signal: AbortSignal): Promise<number> {
    if (session.sessionId === undefined) return 0;
    const { origin, path } = this.urlOf(registry.mcp.url);
    try {
      const res = await this.poolFor(origin, registry).request({
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

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
    this.pools.clear();
  }

  private headers(registry: McpRegistry, session: UpstreamSessionRef): Record<string, string> {
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

  private poolFor(origin: string, registry: McpRegistry): Pool {
    const t = registry.timeouts;
    const key = `${origin}|${t.connectMs}|${t.requestMs}|${t.idleMs}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new Pool(origin, {
        connect: { timeout: t.connectMs },
        headersTimeout: t.requestMs,
        bodyTimeout: t.idleMs,
        keepAliveTimeout: 30_000,
      });
      this.pools.set(key, pool);
    }
    return pool;
  }
}

function nameOf(registry: CompiledRegistry): string {
  return `MCP server '${registry.source.name}'`;
}

function failureOf(err: unknown, registry: CompiledRegistry): McpUpstreamError {
  if (err instanceof McpUpstreamError) return err;
  if (
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    err instanceof undiciErrors.ConnectTimeoutError
  ) {
    return new McpUpstreamError('timeout', `${nameOf(registry)} did not answer in time`);
  }
  if (err instanceof Error && err.name === 'AbortError')
    return new McpUpstreamError('timeout', `${nameOf(registry)} did not answer in time`);
  const code = (err as { code?: unknown }).code;
  return new McpUpstreamError(
    'down',
    `${nameOf(registry)} is unreachable${typeof code === 'string' ? ` (${code})` : ''}`,
  );
}

async function* sseMessages(
  body: AsyncIterable<Uint8Array>,
  registry: CompiledRegistry,
): AsyncGenerator<Json> {
  try {
    for await (const event of sseEvents(body)) {
      const frame = parseSseEvent(event.toString('utf8'));
      // Priming events (an id, empty data) and comments carry no message.
      if (!frame || frame.data === '') continue;
      const v = parseJson(frame.data);
      if (isObject(v)) yield v;
    }
  } catch (err) {
    throw failureOf(err, registry);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

async function* iterate(messages: Json[]): AsyncGenerator<Json> {
  yield* messages;
}

async function* none(): AsyncGenerator<Json> {}
