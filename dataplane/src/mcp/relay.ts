import type { Json } from '../formats/wire';
import type { RequestId, StreamEvent } from './jsonrpc';
import {
  mapNotification,
  relayedId,
  RELAYED_ID,
  SessionGone,
  upstreamRef,
  usable,
  type MuxContext,
  type UsableServer,
} from './forward';
import type { StreamPosition } from './event-id';
import { McpUpstreamError, type UpstreamEvent } from './upstream';

export type { StreamEvent } from './jsonrpc';

/**
 * The client's GET stream: every stateful server's own stream of the session, merged, with the
 * same mapping as a relayed answer (notifications' URIs prefixed, server requests' ids naming their
 * server). `resume` holds, per server, the last event id the client got from it: that server's
 * stream resumes after it (servers without one start afresh). Undefined when no server offers one.
 */
export async function listenAll(
  ctx: MuxContext,
  resume: StreamPosition = new Map(),
): Promise<AsyncIterable<StreamEvent> | undefined> {
  const streams = await Promise.all(
    usable(ctx).map(async (s) => {
      try {
        const last = resume.get(s.named.registry);
        const source = await ctx.upstreams.listen(s.registry, upstreamRef(s), ctx.signal, last);
        return source && mapStream(source, s, ctx);
      } catch (err) {
        if (err instanceof McpUpstreamError && err.kind === 'session-gone')
          throw new SessionGone(err.message);
        throw err;
      }
    }),
  );
  const open = streams.filter((x): x is AsyncGenerator<StreamEvent> => x !== undefined);
  return open.length === 0 ? undefined : merge(open);
}

async function* mapStream(
  source: AsyncIterable<UpstreamEvent>,
  s: UsableServer,
  ctx: MuxContext,
): AsyncGenerator<StreamEvent> {
  const registry = s.named.registry;
  try {
    for await (const { id, retry, message: m } of source) {
      const event: StreamEvent = { registry };
      if (id !== undefined) event.id = id;
      if (retry !== undefined) event.retry = retry;
      if (m && typeof m.method === 'string') {
        if (m.id !== undefined) event.message = { ...m, id: relayedId(registry, m.id as RequestId) };
        else event.message = mapNotification(m, s.named, ctx.names);
      }
      if (event.message || event.id !== undefined || event.retry !== undefined) yield event;
    }
  } catch {
    // One server's stream ending (idle timeout, server gone) ends only its part of the merge.
  }
}

/** Items of several async generators as they come; done when all are. */
async function* merge<T>(sources: AsyncGenerator<T>[]): AsyncGenerator<T> {
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
        (sources[i] as AsyncGenerator<T>).next().then((next) => ({ i, r: next })),
      );
      yield r.value;
    }
  } finally {
    await Promise.all(sources.map((g) => g.return(undefined)));
  }
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
