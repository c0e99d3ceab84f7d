import type { CompiledRegistry } from '@tollgate/protocol';
import { isObject, parseSseEvent, type Json } from '../formats/wire';
import { sseEvents } from '../proxy/sse';
import { failureOf } from './upstream-errors';

/** A server's answer as messages: its event stream parsed, or a list already read (see ./upstream). */

/**
 * One event of a server's stream: its SSE id (when it set one), its `retry` (the reconnection delay
 * in ms it asks for, SSE polling) and its message (none: a priming event).
 */
export interface UpstreamEvent {
  id?: string;
  retry?: number;
  message?: Json;
}

/** The messages of a server's events. */
export async function* messagesOf(events: AsyncIterable<UpstreamEvent>): AsyncGenerator<Json> {
  for await (const e of events) if (e.message) yield e.message;
}

export async function* sseStream(
  body: AsyncIterable<Uint8Array>,
  registry: CompiledRegistry,
): AsyncGenerator<UpstreamEvent> {
  try {
    for await (const event of sseEvents(body)) {
      const text = event.toString('utf8');
      const id = eventIdOf(text);
      const retry = retryOf(text);
      const frame = parseSseEvent(text);
      // Priming events (an id, empty data) and comments carry no message.
      const v = frame && frame.data !== '' ? parseJson(frame.data) : undefined;
      const message = isObject(v) ? v : undefined;
      if (id !== undefined || retry !== undefined || message)
        yield {
          ...(id !== undefined ? { id } : {}),
          ...(retry !== undefined ? { retry } : {}),
          ...(message ? { message } : {}),
        };
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

/** The `retry` field of one SSE event, in ms (ASCII digits only, as the SSE spec says; the last one wins). */
export function retryOf(text: string): number | undefined {
  let retry: number | undefined;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (!line.startsWith('retry:')) continue;
    const value = line.slice(6).replace(/^ /, '');
    if (/^[0-9]{1,9}$/.test(value)) retry = Number(value);
  }
  return retry;
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
