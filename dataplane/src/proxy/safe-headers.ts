/**
 * Response headers that can always be sent. Headers built from input or an upstream's answer (the
 * selected model, relayed upstream headers, plugins' headers) must never make Node refuse the
 * response after the upstream was called: a value with a character Node refuses (a control
 * character, or one above U+00FF) has those characters percent-encoded as UTF-8; a value longer than
 * MAX_HEADER_VALUE_LENGTH, or a name that is not an HTTP token, is dropped.
 */

/** Longest header value sent: a client's whole header block is often limited to 16 KiB. */
export const MAX_HEADER_VALUE_LENGTH = 8192;

/** What Node (and fetch's Headers) refuse in a value: anything but tab, visible ASCII, space and Latin-1. */
const UNSAFE_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const UNSAFE_VALUE_CHARS = /[^\t\x20-\x7e\x80-\xff]/gu;
/** RFC 9110 token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** `headers` itself when every entry is safe (the usual case: nothing is copied); else a safe copy. */
export function safeHeaders(headers: Record<string, string>): Record<string, string> {
  let out: Record<string, string> | undefined;
  for (const name in headers) {
    const value = headers[name] as string;
    const safe = safeEntry(name, value);
    if (safe === value && out === undefined) continue;
    out ??= copyBefore(headers, name);
    if (safe !== undefined) out[name] = safe;
  }
  return out ?? headers;
}

/** The value to send for one header; undefined to drop it. */
function safeEntry(name: string, value: string): string | undefined {
  if (!TOKEN.test(name) || value.length > MAX_HEADER_VALUE_LENGTH) return undefined;
  if (!UNSAFE_VALUE.test(value)) return value;
  const encoded = value.replace(UNSAFE_VALUE_CHARS, percentEncode);
  return encoded.length > MAX_HEADER_VALUE_LENGTH ? undefined : encoded;
}

/** UTF-8 percent-encoding of one character (a code point); a lone surrogate as U+FFFD's. */
function percentEncode(ch: string): string {
  const lone = ch.length === 1 && ch.charCodeAt(0) >= 0xd800 && ch.charCodeAt(0) <= 0xdfff;
  return encodeURIComponent(lone ? '\ufffd' : ch);
}

/** The entries of `headers` before `stop`, in order. */
function copyBefore(headers: Record<string, string>, stop: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    if (name === stop) break;
    out[name] = headers[name] as string;
  }
  return out;
}
