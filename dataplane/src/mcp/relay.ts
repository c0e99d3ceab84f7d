import type { Json } from '../formats/wire';
import type { RequestId } from './jsonrpc';
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
import { McpUpstreamError } from './upstream';

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
