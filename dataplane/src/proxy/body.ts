import { Readable } from 'node:stream';
import { jsonDepthExceeds } from '../formats/depth';
import { errors } from './errors';

/**
 * Reads the request body, refusing it with 413 as soon as it passes `limit` (by Content-Length up
 * front, or while reading when the length is not declared).
 */
export async function readBody(
  source: AsyncIterable<Uint8Array> | null,
  declaredLength: string | undefined,
  limit: number,
): Promise<Buffer> {
  if (declaredLength !== undefined && Number(declaredLength) > limit) throw errors.bodyTooLarge(limit);
  if (!source) return Buffer.alloc(0);
  if (isReadable(source)) return readNodeStream(source, limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    size += chunk.byteLength;
    if (size > limit) {
      if (isReadable(source)) source.resume(); // drain the rest so the socket stays usable for the 413
      throw errors.bodyTooLarge(limit);
    }
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
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
function readNodeStream(stream: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
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
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}
