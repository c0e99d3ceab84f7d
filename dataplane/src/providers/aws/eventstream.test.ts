import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { Frame } from '../../formats/ir';
import { UpstreamFormatError } from '../../formats/wire';
import { decodeEventStream, encodeEventStream, encodeException, EventStreamException } from './eventstream';

const frames: Frame[] = [
  { event: 'messageStart', data: '{"p":"abcd","role":"assistant"}' },
  { event: 'contentBlockDelta', data: '{"contentBlockIndex":0,"delta":{"text":"Paris is 18°C"},"p":"ab"}' },
  { event: 'contentBlockStop', data: '{"contentBlockIndex":0}' },
  { event: 'messageStop', data: '{"stopReason":"end_turn"}' },
  {
    event: 'metadata',
    data: '{"usage":{"inputTokens":3,"outputTokens":4,"totalTokens":7},"metrics":{"latencyMs":5}}',
  },
];

async function* chunks(parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p;
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Frame[]> {
  const out: Frame[] = [];
  for await (const f of decodeEventStream(body)) out.push(f);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Splits bytes at the given sizes, cycling through them. */
function split(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; at < bytes.byteLength; i++) {
    const n = sizes[i % sizes.length] ?? 1;
    out.push(bytes.slice(at, at + n));
    at += n;
  }
  return out;
}

describe('encodeEventStream', () => {
  it('writes event messages with the event type, JSON content type and payload', () => {
    const codec = new EventStreamCodec(toUtf8, fromUtf8);
    const [bytes] = encodeEventStream([frames[1] as Frame]);
    const m = codec.decode(bytes as Uint8Array);
    expect(m.headers).toEqual({
      ':message-type': { type: 'string', value: 'event' },
      ':event-type': { type: 'string', value: 'contentBlockDelta' },
      ':content-type': { type: 'string', value: 'application/json' },
    });
    expect(toUtf8(m.body)).toBe(frames[1]?.data);
  });

  it('writes exception messages with the exception type', () => {
    const codec = new EventStreamCodec(toUtf8, fromUtf8);
    const m = codec.decode(encodeException('throttlingException', 'Too many tokens.'));
    expect(m.headers[':message-type']).toEqual({ type: 'string', value: 'exception' });
    expect(m.headers[':exception-type']).toEqual({ type: 'string', value: 'throttlingException' });
    expect(JSON.parse(toUtf8(m.body))).toEqual({ message: 'Too many tokens.' });
    // a frame named …Exception (a StreamEncoder's error()) becomes the same exception message
    const [fromFrame] = encodeEventStream([
      { event: 'throttlingException', data: '{"message":"Too many tokens."}' },
    ]);
    expect(fromFrame).toEqual(encodeException('throttlingException', 'Too many tokens.'));
  });
});

describe('decodeEventStream', () => {
  const whole = concat(encodeEventStream(frames));

  it.each<[string, number[]]>([
    ['one message per chunk', []],
    ['the whole body in one chunk', [whole.byteLength]],
    ['byte by byte', [1]],
    ['chunks of 3, 7 and 50 bytes (splitting preludes and payloads)', [3, 7, 50]],
    ['chunks straddling messages', [90, 200]],
  ])('splits messages across %s', async (_name, sizes) => {
    const parts = sizes.length === 0 ? encodeEventStream(frames) : split(whole, sizes);
    await expect(collect(chunks(parts))).resolves.toEqual(frames);
  });

  it('throws the exception a stream reports, with its type and message', async () => {
    const parts = [
      ...encodeEventStream(frames.slice(0, 2)),
      encodeException('modelStreamErrorException', 'Model crashed.'),
    ];
    const seen: Frame[] = [];
    await expect(
      (async () => {
        for await (const f of decodeEventStream(chunks(parts))) seen.push(f);
      })(),
    ).rejects.toThrow(new UpstreamFormatError('modelStreamErrorException: Model crashed.'));
    expect(seen).toEqual(frames.slice(0, 2));
    const err = await collect(chunks(parts)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EventStreamException);
    expect(err).toBeInstanceOf(UpstreamFormatError);
    expect(err).toMatchObject({
      exceptionType: 'modelStreamErrorException',
      upstreamMessage: 'Model crashed.',
    });
  });

  it('throws for an error message with its code', async () => {
    const codec = new EventStreamCodec(toUtf8, fromUtf8);
    const error = codec.encode({
      headers: {
        ':message-type': { type: 'string', value: 'error' },
        ':error-code': { type: 'string', value: 'InternalFailure' },
        ':error-message': { type: 'string', value: 'We encountered an internal error.' },
      },
      body: new Uint8Array(0),
    });
    await expect(collect(chunks([error]))).rejects.toThrow(
      'InternalFailure: We encountered an internal error.',
    );
  });

  it('rejects a message whose CRC does not match', async () => {
    const bytes = encodeEventStream([frames[1] as Frame])[0] as Uint8Array;
    const corrupt = bytes.slice();
    corrupt[corrupt.byteLength - 6] = (corrupt[corrupt.byteLength - 6] ?? 0) ^ 0xff; // a payload byte
    await expect(collect(chunks([corrupt]))).rejects.toThrow(UpstreamFormatError);
  });

  it('rejects a body that ends inside a message', async () => {
    await expect(collect(chunks([whole.slice(0, whole.byteLength - 5)]))).rejects.toThrow(
      'event stream ended inside a message',
    );
  });

  it('rejects an impossible message length', async () => {
    await expect(collect(chunks([new Uint8Array([0, 0, 0, 4, 0, 0, 0, 0])]))).rejects.toThrow(/out of range/);
  });

  it('yields nothing for an empty body', async () => {
    await expect(collect(chunks([]))).resolves.toEqual([]);
  });
});
