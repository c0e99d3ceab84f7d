import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/**
 * An SDK `EventStore` in memory, for test servers that support resumability. The SDK's own example
 * (`InMemoryEventStore`) cannot replay the standalone GET stream — its stream id `_GET_stream`
 * starts with the `_` it splits event ids on, so the stream is never found — and orders events of
 * the same millisecond at random; this one keeps the order events were stored in.
 */
export class OrderedEventStore implements EventStore {
  private readonly events: { id: string; stream: string; message: JSONRPCMessage }[] = [];
  private next = 0;

  storeEvent(stream: string, message: JSONRPCMessage): Promise<string> {
    const id = `${++this.next}.${Buffer.from(stream).toString('base64url')}`;
    this.events.push({ id, stream, message });
    return Promise.resolve(id);
  }

  getStreamIdForEventId(id: string): Promise<string | undefined> {
    return Promise.resolve(this.events.find((e) => e.id === id)?.stream);
  }

  async replayEventsAfter(
    lastEventId: string,
    { send }: { send: (id: string, message: JSONRPCMessage) => Promise<void> },
  ): Promise<string> {
    const at = this.events.findIndex((e) => e.id === lastEventId);
    if (at === -1) throw new Error(`unknown event id ${lastEventId}`);
    const { stream } = this.events[at] as { stream: string };
    for (const e of this.events.slice(at + 1)) if (e.stream === stream) await send(e.id, e.message);
    return stream;
  }
}
