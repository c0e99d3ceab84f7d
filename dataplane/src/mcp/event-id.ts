import { seal, unseal, type SessionKey } from './session';

/**
 * The SSE event ids of a client's GET stream, which merges the stream of every stateful server of
 * its session: each id carries, per server (Registry resource name), the id of the last event that
 * server sent on it, so a client reconnecting with `Last-Event-ID` to any replica resumes every
 * server's stream where it stood (MCP "Resumability and Redelivery").
 *
 * Id: `e1.{key id}.{base64url(iv ‖ ciphertext ‖ tag)}`, sealed like session tokens (./session) with
 * the Gateway's key, the session token as additional data: the client cannot read the upstream ids,
 * alter them, or present one of another session. Anything else is refused (undefined), never a crash.
 */
export type StreamPosition = ReadonlyMap<string, string>;

/** Longest `Last-Event-ID` accepted; longer ones are refused before any decoding. */
export const MAX_EVENT_ID_CHARS = 8192;
const VERSION = 'e1';

export function sealPosition(position: StreamPosition, key: SessionKey, session: string): string {
  return `${VERSION}.${key.id}.${seal(JSON.stringify(Object.fromEntries(position)), key, aad(key.id, session))}`;
}

export function openPosition(
  id: string,
  keys: readonly SessionKey[],
  session: string,
): StreamPosition | undefined {
  if (id.length > MAX_EVENT_ID_CHARS) return undefined;
  const parts = id.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION) return undefined;
  const [, keyId = '', data = ''] = parts;
  const key = keys.find((k) => k.id === keyId);
  if (!key || !/^[A-Za-z0-9_-]+$/.test(data)) return undefined;
  const opened = unseal(data, key, aad(key.id, session));
  if (!opened.ok) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(opened.plain);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const position = new Map<string, string>();
  for (const [registry, last] of Object.entries(v)) {
    if (typeof last !== 'string') return undefined;
    position.set(registry, last);
  }
  return position;
}

function aad(keyId: string, session: string): Buffer {
  return Buffer.from(`${VERSION}.${keyId}.${session}`, 'utf8');
}
