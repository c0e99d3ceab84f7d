import { Readable } from 'node:stream';
import { jsonDepthExceeds } from '../formats/depth';
import { GatewayError, errors } from '../errors/errors';

/**
 * Reads the request body, refusing it with 413 as soon as it passes `limit` (by Content-Length up
 * front, or while reading when the length is not declared), with 408 when it is not all there
 * within `timeoutMs` (the request's deadline), and with 499 `client_closed` when the client leaves.
 */
export async function readBody(
  source: AsyncIterable<Uint8Array> | null,
  declaredLength: string | undefined,
  limit: number,
  timeoutMs = Infinity,
): Promise<Buffer> {
  if (declaredLength !== undefined && Number(declaredLength) > limit) throw errors.bodyTooLarge(limit);
  if (!source) return Buffer.alloc(0);
  if (isReadable(source)) return readNodeStream(source, limit, timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    if (timeoutMs !== Infinity) timer = setTimeout(() => reject(errors.requestTimeout()), timeoutMs);
  });
  try {
    return await Promise.race([readIterable(source, limit), late]);
  } finally {
    clearTimeout(timer);
  }
}

async function readIterable(source: AsyncIterable<Uint8Array>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source) {
      size += chunk.byteLength;
      if (size > limit) throw errors.bodyTooLarge(limit);
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    }
  } catch (err) {
    // Only the client can break its own body stream.
    throw err instanceof GatewayError ? err : errors.clientClosed();
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
}

/**
 * Parses a JSON object body; anything else is the caller's error (400), and so is a body nested
 * deeper than MAX_JSON_DEPTH (so nothing downstream walks an unbounded depth).
 */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  const text = body.toString('utf8');
  try {
    value = JSON.parse(text);
  } catch {
    throw errors.invalidJson();
  }
  if (jsonDepthExceeds(text)) throw errors.jsonTooDeep();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw errors.badRequest('The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

function isReadable(source: AsyncIterable<Uint8Array>): source is Readable {
  return source instanceof Readable;
}

/** Event-based read of a Node stream: cheaper than an async iterator on the hot path. */
function readNodeStream(stream: Readable, limit: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // A body that stops arriving is answered 408 at the deadline (the answer closes the connection).
    const timer =
      timeoutMs === Infinity
        ? undefined
        : setTimeout(() => {
            cleanup();
            reject(errors.requestTimeout());
          }, timeoutMs);
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        stream.resume(); // drain the rest so the socket stays usable for the 413
        reject(errors.bodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    // A request stream only fails when its client hangs up (or breaks the framing) mid-body.
    const onError = () => {
      cleanup();
      reject(errors.clientClosed());
    };
    const cleanup = () => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}
