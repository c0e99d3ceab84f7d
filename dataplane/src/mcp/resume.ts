import type { AnsweredRequest } from './event-id';
import { label, relay, SessionGone, upstreamRef, usable, type MuxContext } from './forward';
import { MCP_ERRORS, McpError, errorMessage, isResponseTo, type StreamEvent } from './jsonrpc';
import { mapResponseEvents } from './tools';
import { McpUpstreamError } from './upstream';

/**
 * Resumable answers (MCP "Resumability and Redelivery", SSE polling). A server that gives the
 * events of its answer ids may end the stream before it answers — its connection dropped, or on
 * purpose, asking the client to come back after its `retry` — and replays the rest when asked with
 * `Last-Event-ID` (GET). The gateway passes that on: its client comes back to any replica with an
 * id of the answer (./event-id), which names the server, its own last event id and the request.
 */

/** Rounds of the gateway's own reconnection to one answer, at most. */
export const MAX_RESUME_ROUNDS = 50;
/** Wait before reconnecting when the server asks for none (the SDK client's first delay). */
const DEFAULT_RETRY_MS = 1000;
/** Longest wait a server's `retry` gets from the gateway (the request's deadline bounds it too). */
const MAX_RETRY_MS = 30_000;

/**
 * The answer to `req` resumed after `last`, the last event of it its server sent: the server's
 * replay and what follows, mapped as the POST's answer would have been (names, relayed ids, the
 * tool-call policies on the response). A server that cannot resume it gives an error answer; one
 * still streaming it on another connection (HTTP 409) an McpError of HTTP status 409.
 */
export async function resumeAnswer(
  ctx: MuxContext,
  registry: string,
  last: string,
  req: AnsweredRequest,
): Promise<AsyncIterable<StreamEvent>> {
  const s = usable(ctx).find((x) => x.named.registry === registry);
  if (!s)
    return once({
      registry,
      message: errorMessage(
        req.id,
        MCP_ERRORS.ServerUnavailable,
        'The MCP server of this answer is no longer reachable in this session.',
      ),
    });
  let source;
  try {
    source = await ctx.upstreams.resume(s.registry, upstreamRef(s), ctx.signal, last);
  } catch (err) {
    if (err instanceof McpUpstreamError && err.kind === 'session-gone') throw new SessionGone(err.message);
    throw err;
  }
  if (source === 409) {
    // The answer's stream is still connected elsewhere (the connection the client lost is still
    // going away): the client tries again, as after any failed reconnection.
    throw new McpError(
      MCP_ERRORS.ServerUnavailable,
      `Conflict: ${label(s)} still streams this answer on another connection; retry.`,
      409,
    );
  }
  if (typeof source === 'number') {
    const why = source === 0 ? 'it could not be reached' : `it answered HTTP ${source}`;
    return once({
      registry,
      message: errorMessage(
        req.id,
        MCP_ERRORS.ServerUnavailable,
        `${label(s)} could not resume this answer: ${why}`,
      ),
    });
  }
  const events = relay(source, s, req, ctx);
  const hooks = ctx.toolCalls;
  return hooks && req.method === 'tools/call'
    ? mapResponseEvents(events, req.id, (m) => hooks.answer(m))
    : events;
}

/**
 * An answer followed to its response. When its server ends it early with an id, the client comes
 * back by itself if it holds an id of the stream (`clientResumes()`); otherwise (a JSON answer, a
 * client of a protocol before 2025-11-25, whose servers never end an answer early, or an SSE client
 * that got no id yet) the gateway reconnects after the server's `retry`.
 */
export async function* followAnswer(
  source: AsyncIterable<StreamEvent>,
  ctx: MuxContext,
  req: AnsweredRequest,
  clientResumes: () => boolean,
): AsyncGenerator<StreamEvent> {
  let events = source;
  let last: { registry: string; id: string } | undefined;
  let retry: number | undefined;
  for (let round = 0; ; round++) {
    for await (const e of events) {
      if (e.id !== undefined) last = e.id === '' ? undefined : { registry: e.registry, id: e.id };
      if (e.retry !== undefined) retry = e.retry;
      yield e;
      if (e.message && isResponseTo(e.message, req.id)) return;
    }
    // No id: the relay answered with an error already (see ./forward relay).
    if (!last || clientResumes()) return;
    if (round >= MAX_RESUME_ROUNDS) {
      yield {
        registry: last.registry,
        message: errorMessage(
          req.id,
          MCP_ERRORS.ServerUnavailable,
          'the MCP server kept ending its answer early',
        ),
      };
      return;
    }
    if (!(await pause(Math.min(retry ?? DEFAULT_RETRY_MS, MAX_RETRY_MS), ctx.signal))) return;
    events = await resumeAnswer(ctx, last.registry, last.id, req).catch((err: unknown) => {
      if (err instanceof McpError && err.httpStatus === 409) return none();
      throw err;
    });
  }
}

/** Waits `ms`; false when `signal` aborts first. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function* once(e: StreamEvent): AsyncGenerator<StreamEvent> {
  yield e;
}

async function* none(): AsyncGenerator<StreamEvent> {}
