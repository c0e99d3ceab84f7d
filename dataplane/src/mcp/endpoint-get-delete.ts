import { SSE_HEADERS, type Call } from './endpoint-helpers';
import { openPosition, sealPosition } from './event-id';
import { listenAll, SessionGone, type MuxContext, type StreamEvent } from './multiplex';
import { sessionKeysOf } from './session';
import type { IdleSessions } from './idle';
import { MCP_ERRORS, McpError, sseFrame } from './jsonrpc';
import type { McpUpstreams } from './upstream';

/** The GET and DELETE requests of ./endpoint: a session's server-to-client streams, and its end. */

/**
 * GET: the servers' own streams of the session, merged; 405 when none offers one. Every event gets
 * an id (./event-id) saying where each server's stream stands, and a `Last-Event-ID` (from any
 * replica) resumes each server's stream after its own last event; one that is not an id of this
 * session's stream is a 400.
 */
export async function listen(
  call: Call,
  openContext: (call: Call) => MuxContext,
  idle: IdleSessions,
): Promise<void> {
  if (!(call.x.header('accept') ?? '').includes('text/event-stream'))
    throw new McpError(MCP_ERRORS.InvalidRequest, 'Not Acceptable: GET needs Accept: text/event-stream', 406);
  const ctx = openContext(call);
  const session = String(call.x.header('mcp-session-id'));
  const keys = sessionKeysOf(call.gateway.config.mcp?.sessionKeys ?? []);
  const [key] = keys;
  if (!key) throw new McpError(MCP_ERRORS.InternalError, 'This gateway has no MCP session keys.', 503);
  const lastEventId = call.x.header('last-event-id');
  const position = new Map<string, string>();
  if (lastEventId !== undefined) {
    const resumed = openPosition(lastEventId, keys, session);
    if (!resumed) {
      call.line.resume = 'refused';
      throw new McpError(
        MCP_ERRORS.InvalidRequest,
        "Bad Request: Last-Event-ID is not an event id of this session's stream",
        400,
      );
    }
    for (const s of ctx.servers) {
      const last = resumed.get(s.named.registry);
      if (last !== undefined) position.set(s.named.registry, last);
    }
    call.line.resume = position.size;
  }
  let stream: AsyncIterable<StreamEvent> | undefined;
  try {
    stream = await listenAll(ctx, position);
  } catch (err) {
    if (err instanceof SessionGone) {
      idle.end(session);
      throw new McpError(MCP_ERRORS.InvalidRequest, `Session not found: ${err.message}`, 404);
    }
    throw err;
  }
  if (!stream) {
    throw new McpError(
      MCP_ERRORS.InvalidRequest,
      'No server of this session offers a server-to-client stream.',
      405,
    );
  }
  call.line.status = 200;
  const source = stream;
  return call.x.respondStream(
    200,
    SSE_HEADERS,
    (async function* () {
      // Priming event: a client that loses the stream before any event resumes from here. Events
      // without data are for clients of 2025-11-25 on (older ones cannot take them), as in the SDK.
      const priming = (call.x.header('mcp-protocol-version') ?? '') >= '2025-11-25';
      if (priming) yield Buffer.from(sseFrame(undefined, sealPosition(position, key, session)));
      for await (const e of source) {
        if (e.id === '') position.delete(e.registry);
        else if (e.id !== undefined) position.set(e.registry, e.id);
        if (e.message || priming)
          yield Buffer.from(sseFrame(e.message, sealPosition(position, key, session)));
      }
    })(),
    () => undefined,
  );
}

/** DELETE: the session ends at every server that keeps one, and on this replica. */
export async function end(
  call: Call,
  openContext: (call: Call) => MuxContext,
  upstreams: McpUpstreams,
  idle: IdleSessions,
): Promise<void> {
  const ctx = openContext(call);
  await Promise.all(
    ctx.servers.map((s) =>
      s.registry
        ? upstreams.delete(
            s.registry,
            { sessionId: s.session.sessionId, protocolVersion: s.session.protocolVersion },
            call.signal,
          )
        : 0,
    ),
  );
  idle.end(String(call.x.header('mcp-session-id')));
  call.line.status = 200;
  return call.x.respond(200, {}, '');
}
