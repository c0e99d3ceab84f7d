import type { RequestId } from './jsonrpc';
import { seal, unseal, type SessionKey } from './session';

/**
 * The SSE event ids of the streams the endpoint relays, so a client reconnecting with
 * `Last-Event-ID` to any replica resumes where it stood (MCP "Resumability and Redelivery"):
 *
 * - a GET stream merges the stream of every stateful server of its session: its ids carry, per
 *   server (Registry resource name), the id of the last event that server sent on it;
 * - a request's answer (a POST's response stream) comes from the one server that owns the request:
 *   its ids carry that server's last event id and the request answered (its JSON-RPC id and
 *   method), with which any replica resumes the answer and maps its response as the POST would.
 *
 * Id: `e1.{key id}.{base64url(iv ‖ ciphertext ‖ tag)}`, sealed like session tokens (./session) with
 * the Gateway's key, the session token as additional data: the client cannot read the upstream ids,
 * alter them, or present one of another session. Anything else is refused (undefined), never a crash.
 */
export type StreamPosition = ReadonlyMap<string, string>;

/** The request a response stream answers. */
export interface AnsweredRequest {
  id: RequestId;
  method: string;
}

export interface OpenedPosition {
  position: StreamPosition;
  /** A response stream's request; none for a GET stream. */
  answering?: AnsweredRequest;
}

/** Longest `Last-Event-ID` accepted; longer ones are refused before any decoding. */
export const MAX_EVENT_ID_CHARS = 8192;
const VERSION = 'e1';
/** The payload's member holding a response stream's request: never a Registry name (`namespace/name`). */
const ANSWERING = '#';

export function sealPosition(
  position: StreamPosition,
  key: SessionKey,
  session: string,
  answering?: AnsweredRequest,
): string {
  const payload: Record<string, unknown> = Object.fromEntries(position);
  if (answering) payload[ANSWERING] = { id: answering.id, method: answering.method };
  return `${VERSION}.${key.id}.${seal(JSON.stringify(payload), key, aad(key.id, session))}`;
}

export function openPosition(
  id: string,
  keys: readonly SessionKey[],
  session: string,
): OpenedPosition | undefined {
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
  if (!isRecord(v)) return undefined;
  const position = new Map<string, string>();
  let answering: AnsweredRequest | undefined;
  for (const [registry, last] of Object.entries(v)) {
    if (registry === ANSWERING) {
      answering = answeredRequest(last);
      if (!answering) return undefined;
    } else if (typeof last === 'string') position.set(registry, last);
    else return undefined;
  }
  return answering ? { position, answering } : { position };
}

function answeredRequest(v: unknown): AnsweredRequest | undefined {
  if (!isRecord(v) || typeof v.method !== 'string') return undefined;
  return typeof v.id === 'string' || typeof v.id === 'number' ? { id: v.id, method: v.method } : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function aad(keyId: string, session: string): Buffer {
  return Buffer.from(`${VERSION}.${keyId}.${session}`, 'utf8');
}

/**
 * The ids of one stream: `position` sealed (with `answering` for a response stream); undefined
 * where the stream cannot be resumed from: a response stream before its server gave an id, or an
 * id longer than a replica accepts back.
 */
export function streamIds(
  key: SessionKey,
  session: string,
  answering?: AnsweredRequest,
): (position: StreamPosition) => string | undefined {
  return (position) => {
    if (answering && position.size === 0) return undefined;
    const id = sealPosition(position, key, session, answering);
    return id.length <= MAX_EVENT_ID_CHARS ? id : undefined;
  };
}
