import type { Json } from '../formats/wire';
import {
  checkClaims,
  openSession,
  type OpenExpectations,
  type OpenResult,
  type SessionClaims,
  type SessionKey,
} from './session';

/**
 * The session tokens this process opened lately, so that a session's next request skips the
 * AES-GCM unseal and the JSON parse of its claims. Only the exact token string finds an entry (an
 * altered or foreign token is opened in full, and refused as before), and only tokens that opened
 * are kept. Every use still checks what can change between two requests: the key that sealed the
 * token is still one of the gateway's (same id, same bytes: a key removed from the Gateway refuses
 * its tokens at once), the gateway and consumer the session belongs to, and its age against the
 * TTL and clock skew at this request's `now`. Bounded in entries and in token characters, oldest out.
 */
export class OpenedSessions {
  private readonly entries = new Map<string, { key: SessionKey; claims: SessionClaims }>();
  private chars = 0;

  private readonly maxEntries: number;
  private readonly maxChars: number;
  private readonly unseal: typeof openSession;

  constructor(
    options: {
      maxEntries?: number;
      /** Sum of the kept tokens' lengths (a token is at most MAX_TOKEN_CHARS). */
      maxChars?: number;
      /** How a token not in memory is opened (tests count the calls). */
      open?: typeof openSession;
    } = {},
  ) {
    this.maxEntries = options.maxEntries ?? 4096;
    this.maxChars = options.maxChars ?? 2_000_000;
    this.unseal = options.open ?? openSession;
  }

  /** `openSession`, answered from memory when this token opened here before. */
  open(token: string, keys: readonly SessionKey[], expect: OpenExpectations): OpenResult {
    const hit = this.entries.get(token);
    if (hit) {
      const { key } = hit;
      if (keys.some((k) => k === key || (k.id === key.id && k.key.equals(key.key))))
        return checkClaims(hit.claims, expect);
      this.forget(token);
    }
    const opened = this.unseal(token, keys, expect);
    if (opened.ok) {
      const keyId = token.split('.')[1];
      const key = keys.find((k) => k.id === keyId);
      if (key) this.remember(token, key, opened.claims);
    }
    return opened;
  }

  get size(): number {
    return this.entries.size;
  }

  private remember(token: string, key: SessionKey, claims: SessionClaims): void {
    if (token.length > this.maxChars) return;
    // Shared by every request of the session from now on: nobody may change it.
    this.entries.set(token, { key, claims: frozen(claims) });
    this.chars += token.length;
    while (this.entries.size > this.maxEntries || this.chars > this.maxChars) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.forget(oldest.value);
    }
  }

  private forget(token: string): void {
    if (this.entries.delete(token)) this.chars -= token.length;
  }
}

function frozen<T extends SessionClaims | Json | unknown[]>(v: T): T {
  for (const child of Object.values(v))
    if (typeof child === 'object' && child !== null) frozen(child as Json);
  return Object.freeze(v);
}
