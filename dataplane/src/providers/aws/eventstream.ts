import type { EventStreamCodec, MessageHeaders } from '@smithy/eventstream-codec';
import type { Frame } from '../../formats/ir';
import { UpstreamFormatError } from '../../formats/wire';

/**
 * AWS event-stream framing (`application/vnd.amazon.eventstream`), as Bedrock's ConverseStream sends
 * it: binary messages of a prelude (total length, headers length, CRC), headers, a payload and a
 * message CRC. The smithy codec parses and builds single messages and checks both CRCs; it does not
 * split a byte stream into messages (its MessageDecoderStream decodes each chunk as a whole message,
 * and the splitter in @smithy/core is internal), so `decodeEventStream` buffers up to one message
 * itself, reading only the 4-byte total length of the prelude.
 */

interface Smithy {
  codec: EventStreamCodec;
  toUtf8: typeof import('@smithy/util-utf8').toUtf8;
  fromUtf8: typeof import('@smithy/util-utf8').fromUtf8;
}
let shared: Smithy | undefined;
/** The smithy codec, loaded at first use: a proxy without a Bedrock Registry never loads it. */
function smithy(): Smithy {
  if (!shared) {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { EventStreamCodec } =
      require('@smithy/eventstream-codec') as typeof import('@smithy/eventstream-codec');
    const { fromUtf8, toUtf8 } = require('@smithy/util-utf8') as typeof import('@smithy/util-utf8');
    /* eslint-enable @typescript-eslint/no-require-imports */
    shared = { codec: new EventStreamCodec(toUtf8, fromUtf8), toUtf8, fromUtf8 };
  }
  return shared;
}

/**
 * An exception or error message in the stream (e.g. `throttlingException`, `modelStreamErrorException`):
 * an UpstreamFormatError whose type lets the provider tell throttling from a broken model.
 */
export class EventStreamException extends UpstreamFormatError {
  constructor(
    /** `:exception-type` (or `:error-code` for an `error` message). */
    readonly exceptionType: string,
    readonly upstreamMessage: string,
  ) {
    super(`${exceptionType}: ${upstreamMessage}`);
  }
}

/** Prelude (12) + message CRC (4): the smallest message. */
const MIN_MESSAGE = 16;
/** AWS's limit for one event-stream message (16 MiB); a larger length means a corrupt stream. */
const MAX_MESSAGE = 16 * 1024 * 1024;

/**
 * Splits an event-stream body into frames, across any chunk boundaries. An `event` message becomes a
 * frame (`event` = `:event-type`, `data` = the payload text); an `exception` or `error` message
 * throws EventStreamException, a bad CRC or a truncated body UpstreamFormatError.
 */
export async function* decodeEventStream(body: AsyncIterable<Uint8Array>): AsyncGenerator<Frame> {
  let buffer: Uint8Array = new Uint8Array(0);
  for await (const chunk of body) {
    buffer = concat(buffer, chunk);
    for (;;) {
      if (buffer.byteLength < 4) break;
      const total = new DataView(buffer.buffer, buffer.byteOffset, 4).getUint32(0, false);
      if (total < MIN_MESSAGE || total > MAX_MESSAGE)
        throw new UpstreamFormatError(`event-stream message length ${total} is out of range`);
      if (buffer.byteLength < total) break;
      const message = buffer.subarray(0, total);
      buffer = buffer.subarray(total);
      const frame = toFrame(message);
      if (frame) yield frame;
    }
  }
  if (buffer.byteLength > 0) throw new UpstreamFormatError('event stream ended inside a message');
}

function toFrame(bytes: Uint8Array): Frame | undefined {
  let headers: MessageHeaders;
  let payload: Uint8Array;
  try {
    ({ headers, body: payload } = smithy().codec.decode(bytes));
  } catch (e) {
    // checksum mismatches and malformed headers
    throw new UpstreamFormatError(`malformed event-stream message: ${(e as Error).message}`);
  }
  const data = smithy().toUtf8(payload);
  const messageType = stringHeader(headers, ':message-type') ?? 'event';
  if (messageType === 'event') {
    const event = stringHeader(headers, ':event-type');
    return event === undefined ? { data } : { event, data };
  }
  if (messageType === 'exception') {
    const type = stringHeader(headers, ':exception-type') ?? 'exception';
    throw new EventStreamException(type, payloadMessage(data) ?? 'upstream exception');
  }
  if (messageType === 'error') {
    const code = stringHeader(headers, ':error-code') ?? 'error';
    const message = stringHeader(headers, ':error-message') ?? payloadMessage(data) ?? 'upstream error';
    throw new EventStreamException(code, message);
  }
  return undefined; // an unknown message type: skip it, as the SDKs do
}

/** Frames as event-stream `event` messages, one Uint8Array each; frames named `…Exception` become exceptions. */
export function encodeEventStream(frames: readonly Frame[]): Uint8Array[] {
  return frames.map((f) => {
    if (f.event !== undefined && f.event.endsWith('Exception')) {
      return encodeException(f.event, payloadMessage(f.data) ?? f.data);
    }
    const headers: MessageHeaders = {
      ':message-type': { type: 'string', value: 'event' },
      ':content-type': { type: 'string', value: 'application/json' },
    };
    if (f.event !== undefined) headers[':event-type'] = { type: 'string', value: f.event };
    return smithy().codec.encode({ headers, body: smithy().fromUtf8(f.data) });
  });
}

/**
 * An exception message, as Bedrock sends for a failure mid-stream. `type` is the event-stream
 * member name, e.g. `throttlingException`, `modelStreamErrorException`.
 */
export function encodeException(type: string, message: string): Uint8Array {
  return smithy().codec.encode({
    headers: {
      ':message-type': { type: 'string', value: 'exception' },
      ':exception-type': { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: smithy().fromUtf8(JSON.stringify({ message })),
  });
}

function stringHeader(headers: MessageHeaders, name: string): string | undefined {
  const h = headers[name];
  return h?.type === 'string' ? h.value : undefined;
}

/** The `message` (or `Message`) of a JSON payload. */
function payloadMessage(data: string): string | undefined {
  try {
    const v = JSON.parse(data) as unknown;
    if (typeof v === 'object' && v !== null) {
      const m =
        (v as { message?: unknown; Message?: unknown }).message ?? (v as { Message?: unknown }).Message;
      if (typeof m === 'string') return m;
    }
  } catch {
    // not JSON: no message
  }
  return undefined;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b;
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}
