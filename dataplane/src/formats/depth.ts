import { TranslationError } from './ir';

/**
 * How deep arrays and objects may nest in JSON a request carries: the body itself, and JSON text
 * inside it (tool-call arguments, tool results, a schema sent as text) that a codec parses. Real
 * tool schemas nest a few dozen levels at most; 128 leaves room for them while keeping every
 * recursive walk over a request's JSON (JSON.stringify included, which is recursive in V8) far
 * from the stack's limit. JSON.parse itself is iterative, so the check runs on parsed-valid text.
 */
export const MAX_JSON_DEPTH = 128;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether valid JSON `text` nests arrays and objects deeper than `limit` (a top-level object is
 * depth 1). One iterative pass; strings are skipped with `indexOf`, so brackets inside them do
 * not count.
 */
export function jsonDepthExceeds(text: string, limit: number = MAX_JSON_DEPTH): boolean {
  if (fewOpeners(text, limit)) return false; // most bodies: a few native searches, no scan
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(text, i);
      if (i === -1) return false; // not valid JSON: the parser's error, not ours
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

/** Whether `text` has at most `limit` opening brackets (in strings or not): then it cannot nest deeper. */
function fewOpeners(text: string, limit: number): boolean {
  let count = 0;
  for (const opener of ['[', '{']) {
    for (let i = text.indexOf(opener); i !== -1; i = text.indexOf(opener, i + 1)) {
      if (++count > limit) return false;
    }
  }
  return true;
}

/** The index of the quote closing the string opened at `open`; -1 when there is none. */
function closingQuote(text: string, open: number): number {
  let j = text.indexOf('"', open + 1);
  while (j !== -1) {
    let backslashes = 0;
    for (let k = j - 1; text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return j;
    j = text.indexOf('"', j + 1);
  }
  return -1;
}

/** The message of the 400 for JSON nested too deep; `what` in lower case ("the JSON body"). */
export function tooDeepMessage(what: string, limit: number = MAX_JSON_DEPTH): string {
  return `Arrays and objects in ${what} are nested more than ${limit} levels deep.`;
}

/**
 * For a codec that parsed JSON text found in a request (`text`, at `param`): refuses it with a
 * TranslationError (400) when it nests deeper than MAX_JSON_DEPTH.
 */
export function refuseDeepJson(text: string, what: string, param: string): void {
  if (jsonDepthExceeds(text)) throw new TranslationError(tooDeepMessage(what), param);
}
