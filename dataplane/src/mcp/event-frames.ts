import type { StreamPosition } from './event-id';
import { sseFrame, type StreamEvent } from './jsonrpc';

/** What a relayed stream has sent its client so far. */
export interface FramesSent {
  /** Whether a frame carried an id: the client can come back with `Last-Event-ID`. */
  id: boolean;
}

/**
 * The client's SSE frames of a relayed stream (GET, or a request's answer): each event moves its
 * server's place in `position` (changed in place), and goes out with the id `idOf` seals for the
 * new position (./event-id; none when it gives none). An event without a message goes out as a
 * priming event (an id, no data) to clients that take them (`priming`), and not at all to others;
 * the `retry` a server asks for goes out on the next frame.
 */
export async function* sealedFrames(
  events: AsyncIterable<StreamEvent>,
  position: Map<string, string>,
  idOf: (position: StreamPosition) => string | undefined,
  priming: boolean,
  sent: FramesSent = { id: false },
): AsyncGenerator<Buffer> {
  let retry: number | undefined;
  for await (const e of events) {
    if (e.id === '') position.delete(e.registry);
    else if (e.id !== undefined) position.set(e.registry, e.id);
    if (e.retry !== undefined) retry = e.retry;
    const id = idOf(position);
    if (!e.message && !(priming && id !== undefined)) continue;
    yield Buffer.from(sseFrame(e.message, id, retry));
    retry = undefined;
    if (id !== undefined) sent.id = true;
  }
}

/** Whether a client takes events without data (priming events): protocol 2025-11-25 on, as in the SDK. */
export function takesPriming(protocolVersion: string | undefined): boolean {
  return (protocolVersion ?? '') >= '2025-11-25';
}
