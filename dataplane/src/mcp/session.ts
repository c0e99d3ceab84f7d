import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { isObject, type Json } from '../formats/wire';

/**
 * MCP session ids as sealed tokens: the session's whole state, encrypted and authenticated with a
 * Gateway key (AES-256-GCM), so any proxy replica continues any session with no session store.
 *
 * Token: `{version}.{key id}.{base64url(iv ‖ ciphertext ‖ tag)}`. The version and key id are
 * authenticated (additional data), so neither can be swapped. A token is refused — never a crash —
 * when it is malformed, too long, sealed with a key this gateway does not hold, altered, issued for
 * another gateway or consumer, from the future, or older than the absolute TTL. Idleness is not
 * visible in a stateless token: see `IdleSessions`.
 */

/** One upstream session of a client session; `sessionId` absent for a stateless server. */
export interface UpstreamSession {
  /** The Registry resource name `{namespace}/{name}`. */
  registry: string;
  sessionId?: string;
  /** The protocol version that server negotiated. */
  protocolVersion: string;
}

export interface SessionClaims {
  /** Gateway and Consumer resource names the session belongs to. */
  gateway: string;
  consumer: string;
  /** The version negotiated with the client. */
  protocolVersion: string;
  /** Unix ms of the initialize. */
  issuedAt: number;
  /** The servers that answered the initialize (a server down then is not part of the session). */
  servers: UpstreamSession[];
  /** The client declared the elicitation capability (the gateway may ask it for approvals). */
  elicitation?: boolean;
  /**
   * The client's initialize parameters (capabilities, clientInfo), kept when a server of the
   * session speaks the legacy HTTP+SSE transport: a replica that holds no connection to it opens
   * one and initializes it again with them (see sse.ts).
   */
  clientInit?: Json;
}

export interface SessionKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

export type OpenFailure = 'malformed' | 'unknown-key' | 'tampered' | 'other-consumer' | 'expired';
export type OpenResult = { ok: true; claims: SessionClaims } | { ok: false; reason: OpenFailure };

/** Longest token accepted; longer ones are refused before any decoding. */
export const MAX_TOKEN_CHARS = 8192;
/** A token issued this far in the future (clock skew between replicas) is still accepted. */
export const CLOCK_SKEW_MS = 60_000;
const VERSION = 't1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function sealSession(
  claims: SessionClaims,
  key: SessionKey,
  iv: Buffer = randomBytes(IV_BYTES),
): string {
  const wire: WireClaims = {
    g: claims.gateway,
    c: claims.consumer,
    p: claims.protocolVersion,
    t: claims.issuedAt,
    s: claims.servers.map((s) => [s.registry, s.sessionId ?? null, s.protocolVersion]),
    ...(claims.elicitation ? { e: 1 as const } : {}),
    ...(claims.clientInit ? { i: claims.clientInit } : {}),
  };
  const token = `${VERSION}.${key.id}.${seal(JSON.stringify(wire), key, aad(key.id), iv)}`;
  if (token.length > MAX_TOKEN_CHARS) throw new Error(`session token too long (${token.length} characters)`);
  return token;
}

export interface OpenExpectations {
  gateway: string;
  consumer: string;
  now: number;
  ttlMs: number;
}

export function openSession(
  token: string,
  keys: readonly SessionKey[],
  expect: OpenExpectations,
): OpenResult {
  if (token.length > MAX_TOKEN_CHARS) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION) return { ok: false, reason: 'malformed' };
  const [, keyId = '', data = ''] = parts;
  if (!/^[A-Za-z0-9_-]+$/.test(data)) return { ok: false, reason: 'malformed' };
  const key = keys.find((k) => k.id === keyId);
  if (!key) return { ok: false, reason: 'unknown-key' };
  const opened = unseal(data, key, aad(key.id));
  if (!opened.ok) return opened;
  const claims = parseClaims(opened.plain);
  // Authentic but unreadable: only a key shared with something else could seal it.
  if (!claims) return { ok: false, reason: 'tampered' };
  return checkClaims(claims, expect);
}

/** An authentic session's claims against the request: its gateway and consumer, its age. */
export function checkClaims(claims: SessionClaims, expect: OpenExpectations): OpenResult {
  if (claims.gateway !== expect.gateway || claims.consumer !== expect.consumer)
    return { ok: false, reason: 'other-consumer' };
  if (claims.issuedAt > expect.now + CLOCK_SKEW_MS || expect.now - claims.issuedAt > expect.ttlMs)
    return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}

interface WireClaims {
  g: string;
  c: string;
  p: string;
  t: number;
  s: [string, string | null, string][];
  e?: 1;
  i?: Json;
}

function aad(keyId: string): Buffer {
  return Buffer.from(`${VERSION}.${keyId}`, 'utf8');
}

/**
 * AES-256-GCM under a Gateway key: `base64url(iv ‖ ciphertext ‖ tag)` of `plain`, with `additional`
 * authenticated but not encrypted. Session tokens and resumable stream ids (./event-id) use it.
 */
export function seal(
  plain: string,
  key: SessionKey,
  additional: Buffer,
  iv: Buffer = randomBytes(IV_BYTES),
): string {
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(additional);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** What `seal` sealed: malformed when too short to be sealed, tampered when altered or sealed otherwise. */
export function unseal(
  data: string,
  key: SessionKey,
  additional: Buffer,
): { ok: true; plain: string } | { ok: false; reason: 'malformed' | 'tampered' } {
  const raw = Buffer.from(data, 'base64url');
  if (raw.length < IV_BYTES + TAG_BYTES + 2) return { ok: false, reason: 'malformed' };
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(additional);
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    const plain = Buffer.concat([
      decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
    return { ok: true, plain };
  } catch {
    return { ok: false, reason: 'tampered' };
  }
}

function parseClaims(text: string): SessionClaims | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  const w = v as Partial<WireClaims> | null;
  if (
    !w ||
    typeof w.g !== 'string' ||
    typeof w.c !== 'string' ||
    typeof w.p !== 'string' ||
    typeof w.t !== 'number' ||
    !Array.isArray(w.s)
  )
    return undefined;
  const servers: UpstreamSession[] = [];
  for (const s of w.s as unknown[]) {
    if (!Array.isArray(s) || s.length !== 3) return undefined;
    const [registry, sessionId, protocolVersion] = s as unknown[];
    if (typeof registry !== 'string' || typeof protocolVersion !== 'string') return undefined;
    if (sessionId !== null && typeof sessionId !== 'string') return undefined;
    servers.push({ registry, protocolVersion, ...(sessionId !== null ? { sessionId } : {}) });
  }
  const claims: SessionClaims = { gateway: w.g, consumer: w.c, protocolVersion: w.p, issuedAt: w.t, servers };
  if (w.e === 1) claims.elicitation = true;
  if (w.i !== undefined) {
    if (!isObject(w.i)) return undefined;
    claims.clientInit = w.i;
  }
  return claims;
}

/** A Gateway's compiled keys (base64) as sealing keys, decoded once per config object. */
const decoded = new WeakMap<readonly { id: string; key: string }[], SessionKey[]>();
export function sessionKeysOf(keys: readonly { id: string; key: string }[]): SessionKey[] {
  let out = decoded.get(keys);
  if (!out) {
    out = keys.map((k) => ({ id: k.id, key: Buffer.from(k.key, 'base64') }));
    decoded.set(keys, out);
  }
  return out;
}
