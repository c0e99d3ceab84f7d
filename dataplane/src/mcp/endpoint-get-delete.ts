import { SSE_HEADERS, type Call } from './endpoint-helpers';
import { sealedFrames, takesPriming } from './event-frames';
import { openPosition, streamIds, type AnsweredRequest, type StreamPosition } from './event-id';
import { listenAll, SessionGone, type MuxContext, type StreamEvent } from './multiplex';
import { sessionKeysOf } from './session';
import type { IdleSessions } from './idle';
import { MCP_ERRORS, McpError, sseFrame } from './jsonrpc';
import { followAnswer, resumeAnswer } from './resume';
import type { McpUpstreams } from './upstream';

/** The GET and DELETE requests of ./endpoint: a session's server-to-client streams, and its end. */

/**
 * GET: the servers' own streams of the session, merged; 405 when none offers one. Every event gets
 * an id (./event-id) saying where each server's stream stands, and a `Last-Event-ID` (from any
 * replica) resumes each server's stream after its own last event; one that is not an id of this
 * session's streams is a 400. An id of a request's answer (a POST's stream) resumes that answer
 * instead, up to its response (./resume).
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
  let answering: AnsweredRequest | undefined;
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
    answering = resumed.answering;
    for (const [registry, last] of resumed.position)
      if (answering || ctx.servers.some((s) => s.named.registry === registry)) position.set(registry, last);
    call.line.resume = answering ? 'answer' : position.size;
  }
  let stream: AsyncIterable<StreamEvent> | undefined;
  try {
    stream = answering ? await answerStream(ctx, position, answering) : await listenAll(ctx, position);
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
  const idOf = streamIds(key, session, answering);
  // Priming event: a client that loses the stream before any event resumes from here. Events
  // without data are for clients of 2025-11-25 on (older ones cannot take them), as in the SDK.
  const priming = takesPriming(call.x.header('mcp-protocol-version'));
  const first = priming ? idOf(position) : undefined;
  const frames = sealedFrames(stream, position, idOf, priming);
  return call.x.respondStream(
    200,
    SSE_HEADERS,
    (async function* () {
      if (first !== undefined) yield Buffer.from(sseFrame(undefined, first));
      yield* frames;
    })(),
    () => undefined,
  );
}

/** A request's answer resumed (./resume): its server's stream after the event the client saw last. */
async function answerStream(
  ctx: MuxContext,
  position: StreamPosition,
  answering: AnsweredRequest,
): Promise<AsyncIterable<StreamEvent> | undefined> {
  const [at] = position;
  if (!at) return undefined;
  const [registry, last] = at;
  return followAnswer(await resumeAnswer(ctx, registry, last, answering), ctx, answering, () => true);
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
