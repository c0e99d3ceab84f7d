import type { CompiledRegistry } from '@tollgate/protocol';
import { isObject, parseSseEvent, type Json } from '../formats/wire';
import { sseEvents } from '../proxy/sse';
import { failureOf } from './upstream-errors';

/** A server's answer as messages: its event stream parsed, or a list already read (see ./upstream). */

/** One event of a server's stream: its SSE id (when it set one) and its message (none: a priming event). */
export interface UpstreamEvent {
  id?: string;
  message?: Json;
}

export async function* sseMessages(
  body: AsyncIterable<Uint8Array>,
  registry: CompiledRegistry,
): AsyncGenerator<Json> {
  for await (const e of sseStream(body, registry)) if (e.message) yield e.message;
}

export async function* sseStream(
  body: AsyncIterable<Uint8Array>,
  registry: CompiledRegistry,
): AsyncGenerator<UpstreamEvent> {
  try {
    for await (const event of sseEvents(body)) {
      const text = event.toString('utf8');
      const id = eventIdOf(text);
      const frame = parseSseEvent(text);
      // Priming events (an id, empty data) and comments carry no message.
      const v = frame && frame.data !== '' ? parseJson(frame.data) : undefined;
      const message = isObject(v) ? v : undefined;
      if (id !== undefined || message)
        yield { ...(id !== undefined ? { id } : {}), ...(message ? { message } : {}) };
    }
  } catch (err) {
    throw failureOf(err, registry);
  }
}

/** The `id` field of one SSE event (the last one wins; one holding NUL is ignored, as the SSE spec says). */
function eventIdOf(text: string): string | undefined {
  let id: string | undefined;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line !== 'id' && !line.startsWith('id:')) continue;
    const value = line.slice(3).replace(/^ /, '');
    if (!value.includes('\0')) id = value;
  }
  return id;
}

/** A legacy SSE server's stream: its events carry no ids this gateway could resume from. */
export async function* asEvents(messages: AsyncIterable<Json>): AsyncGenerator<UpstreamEvent> {
  for await (const message of messages) yield { message };
}

/** The messages of a stdio or SSE server's answer, failures as McpUpstreamError. */
export async function* translated(
  source: AsyncIterable<Json>,
  registry: CompiledRegistry,
): AsyncGenerator<Json> {
  try {
    yield* source;
  } catch (err) {
    throw failureOf(err, registry);
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function* iterate(messages: Json[]): AsyncGenerator<Json> {
  yield* messages;
}

export async function* none(): AsyncGenerator<Json> {}
