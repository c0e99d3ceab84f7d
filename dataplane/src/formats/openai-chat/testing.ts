import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Frame } from '../ir';
import { parseSseEvent, type Json } from '../wire';

/** Test helpers: fixtures beside this file, and SSE text split into frames as the proxy splits it. */

export function fixture(name: string): Json {
  return JSON.parse(readFileSync(path.join(__dirname, 'fixtures', name), 'utf8')) as Json;
}

export function fixtureFrames(name: string): Frame[] {
  return framesOf(readFileSync(path.join(__dirname, 'fixtures', name), 'utf8'));
}

export function framesOf(text: string): Frame[] {
  return text
    .split(/\n\n/)
    .map((e) => parseSseEvent(e))
    .filter((f): f is Frame => f !== undefined);
}
