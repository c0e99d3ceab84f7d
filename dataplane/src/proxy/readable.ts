import type { FormatName } from '../formats/ir';

/**
 * Cheap checks that what an upstream sent on the native path can be read by the caller, made
 * without parsing it (the native path relays the upstream's own bytes): one pass over the bytes
 * that follows strings and brackets, with native `indexOf` jumps over string contents. Not a JSON
 * grammar check: it catches what is not JSON at all, what is cut short, and a body whose defining
 * field is missing or of the wrong kind (`{"choices":"nope"}`).
 */

/** The top-level array every successful response of each natively served format has. */
const RESPONSE_ARRAY: Partial<Record<FormatName, Buffer>> = {
  'openai-chat': Buffer.from('choices'),
  'anthropic-messages': Buffer.from('content'),
  'openai-responses': Buffer.from('output'),
};

/** OpenAI's embeddings list (the only embeddings shape the gateway serves). */
const EMBEDDINGS_ARRAY = Buffer.from('data');

/** A successful native response body of `format` (undefined: an embeddings list). */
export function readableResponse(payload: Buffer, format: FormatName | undefined): boolean {
  const key = format === undefined ? EMBEDDINGS_ARRAY : RESPONSE_ARRAY[format];
  return key !== undefined && jsonObject(payload, key);
}

const DONE = Buffer.from('[DONE]');
const DATA = Buffer.from('data:');

/**
 * One whole SSE event (as the relay splits them): a comment or a field-only event, or one whose
 * data (its `data:` lines, SSE's rules: one optional space after the colon) is a whole JSON object
 * or OpenAI's `[DONE]`. The usual one-line data is checked in place, without a copy.
 */
export function readableEvent(event: Buffer): boolean {
  let from = -1;
  let to = -1;
  let parts: Buffer[] | undefined;
  let start = 0;
  while (start < event.length) {
    let end = start;
    while (end < event.length && event[end] !== 0x0a && event[end] !== 0x0d) end++;
    if (end - start >= DATA.length && startsWith(event, start, DATA)) {
      const value = event[start + DATA.length] === 0x20 ? start + DATA.length + 1 : start + DATA.length;
      if (from === -1) {
        from = value;
        to = end;
      } else (parts ??= [event.subarray(from, to)]).push(NL, event.subarray(value, end));
    }
    start = event[end] === 0x0d && event[end + 1] === 0x0a ? end + 2 : end + 1;
  }
  if (from === -1) return true;
  if (!parts) return isDone(event, from, to) || jsonObject(event, undefined, from, to);
  const data = Buffer.concat(parts);
  return isDone(data, 0, data.length) || jsonObject(data);
}

const NL = Buffer.from('\n');

function isDone(p: Buffer, from: number, to: number): boolean {
  return to - from === DONE.length && startsWith(p, from, DONE);
}

const isSpace = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * One JSON object, whole, in `p[from, to)`: strings closed, brackets balanced and matched, nothing
 * after it; with `key`, a top-level member of that name whose value is an array.
 */
export function jsonObject(p: Buffer, key?: Buffer, from = 0, to = p.length): boolean {
  let i = from;
  const n = to;
  while (i < n && isSpace(p[i])) i++;
  if (i >= n || p[i] !== 0x7b /* { */) return false;
  const open: number[] = [];
  let keyFound = key === undefined;
  for (; i < n; i++) {
    const c = p[i];
    if (c === 0x22 /* " */) {
      const end = stringEnd(p, i, n);
      if (end === -1) return false;
      if (!keyFound && open.length === 1 && isKey(p, i, end, key as Buffer)) keyFound = arrayFollows(p, end);
      i = end;
    } else if (c === 0x7b || c === 0x5b /* [ */) {
      open.push(c === 0x7b ? 0x7d : 0x5d);
    } else if (c === 0x7d || c === 0x5d) {
      if (open.pop() !== c) return false;
      if (open.length === 0) {
        i++;
        break;
      }
    }
  }
  if (open.length !== 0) return false;
  while (i < n && isSpace(p[i])) i++;
  return i === n && keyFound;
}

/** Strings longer than this are searched with native `indexOf`; shorter ones byte by byte (cheaper than the call). */
const SHORT_STRING = 48;

/** The index of the quote closing the string opened at `at`, before `to`; or -1. */
function stringEnd(p: Buffer, at: number, to: number): number {
  const stop = Math.min(to, at + SHORT_STRING);
  for (let i = at + 1; i < stop; i++) {
    const c = p[i];
    if (c === 0x22) return i;
    if (c === 0x5c) i++;
  }
  // Long: jump from quote to quote; a quote preceded by an odd run of backslashes is escaped.
  let from = stop - 1;
  for (;;) {
    const q = p.indexOf(0x22, from + 1);
    if (q === -1 || q >= to) return -1;
    let backslashes = 0;
    while (p[q - 1 - backslashes] === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return q;
    from = q;
  }
}

function isKey(p: Buffer, open: number, close: number, key: Buffer): boolean {
  return close - open - 1 === key.length && startsWith(p, open + 1, key);
}

function startsWith(p: Buffer, at: number, prefix: Buffer): boolean {
  for (let k = 0; k < prefix.length; k++) if (p[at + k] !== prefix[k]) return false;
  return true;
}

/** After a member name: `:` then an array. */
function arrayFollows(p: Buffer, close: number): boolean {
  let j = close + 1;
  while (isSpace(p[j])) j++;
  if (p[j] !== 0x3a /* : */) return false;
  j++;
  while (isSpace(p[j])) j++;
  return p[j] === 0x5b;
}
