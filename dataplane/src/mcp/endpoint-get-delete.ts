import type { Json } from '../formats/wire';
import { SSE_HEADERS, type Call } from './endpoint-helpers';
import { listenAll, SessionGone, type MuxContext } from './multiplex';
import type { IdleSessions } from './idle';
import { MCP_ERRORS, McpError, sseFrame } from './jsonrpc';
import type { McpUpstreams } from './upstream';

/** The GET and DELETE requests of ./endpoint: a session's server-to-client streams, and its end. */

/** GET: the servers' own streams of the session, merged; 405 when none offers one. */
export async function listen(
  call: Call,
  openContext: (call: Call) => MuxContext,
  idle: IdleSessions,
): Promise<void> {
  if (!(call.x.header('accept') ?? '').includes('text/event-stream'))
    throw new McpError(MCP_ERRORS.InvalidRequest, 'Not Acceptable: GET needs Accept: text/event-stream', 406);
  const ctx = openContext(call);
  let stream: AsyncIterable<Json> | undefined;
  try {
    stream = await listenAll(ctx);
  } catch (err) {
    if (err instanceof SessionGone) {
      idle.end(String(call.x.header('mcp-session-id')));
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
      for await (const m of source) yield Buffer.from(sseFrame(m));
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
