/**
 * Splits a byte stream into whole SSE events (each ending in a blank line), so the relay forwards
 * events as they complete and can append an error event without corrupting a half-sent one.
 */
export async function* sseEvents(source: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
    let end: number;
    while ((end = eventEnd(pending)) !== -1) {
      yield pending.subarray(0, end);
      pending = pending.subarray(end);
    }
  }
  // A trailing event without its blank line is still an event (the SSE spec dispatches on EOF only
  // when terminated, but upstreams are sloppy); terminate it rather than lose it.
  if (pending.length > 0 && pending.toString('utf8').trim().length > 0) {
    yield Buffer.concat([pending, Buffer.from('\n\n')]);
  }
}

/** Index just past the first event terminator (\n\n, \r\n\r\n or \r\r), or -1. */
function eventEnd(buf: Buffer): number {
  for (let i = 0; i < buf.length - 1; i++) {
    const c = buf[i];
    if (c === 0x0a && buf[i + 1] === 0x0a) return i + 2;
    if (c === 0x0d) {
      if (buf[i + 1] === 0x0a && buf[i + 2] === 0x0d && buf[i + 3] === 0x0a) return i + 4;
      if (buf[i + 1] === 0x0d) return i + 2;
    }
  }
  return -1;
}

/**
 * Relays whole events; when the source fails, yields what `onError` makes of the failure (an error
 * event in the client's format) and stops. `onError` returning undefined ends the stream silently
 * (the client is already gone).
 */
export async function* relayEvents(
  source: AsyncIterable<Uint8Array>,
  onError: (err: unknown) => Uint8Array | undefined,
): AsyncGenerator<Uint8Array> {
  try {
    yield* sseEvents(source);
  } catch (err) {
    const event = onError(err);
    if (event) yield event;
  }
}
