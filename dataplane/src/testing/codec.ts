import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Frame, StreamEvent, WireFormat } from '../formats/ir';
import { parseSseEvent } from '../formats/wire';

/**
 * What every codec's tests need: recorded fixtures read from the `fixtures/` folder beside the test,
 * SSE text split into frames as the proxy's splitter hands them over, and a stream run through a
 * decoder or an encoder whole.
 */

export function fixtureText(dir: string, name: string): string {
  return readFileSync(path.join(dir, 'fixtures', name), 'utf8');
}

export function fixtureJson(dir: string, name: string): Record<string, unknown> {
  return JSON.parse(fixtureText(dir, name)) as Record<string, unknown>;
}

/** SSE text → frames (comment-only events dropped). */
export function framesOf(text: string): Frame[] {
  return text
    .split(/\r?\n\r?\n/)
    .map((e) => parseSseEvent(e))
    .filter((f): f is Frame => f !== undefined);
}

export function fixtureFrames(dir: string, name: string): Frame[] {
  return framesOf(fixtureText(dir, name));
}

export function decodeAll(format: WireFormat, frames: readonly Frame[]): StreamEvent[] {
  const d = format.streamDecoder();
  return frames.flatMap((f) => d.push(f));
}

export function encodeAll(
  format: WireFormat,
  events: readonly StreamEvent[],
  opts: Parameters<WireFormat['streamEncoder']>[0] = { includeUsage: false },
): Frame[] {
  const e = format.streamEncoder(opts);
  return [...events.flatMap((ev) => e.push(ev)), ...e.end()];
}
