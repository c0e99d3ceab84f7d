import type { ErrorInfo } from '../ir';
import { isObject, type Json } from '../wire';

/**
 * Google's error body, `{"error": {"code": <HTTP status>, "message", "status": <google.rpc.Code
 * name>}}`. Vertex AI's REST surface sometimes wraps it in a one-element JSON array; decode accepts both.
 */

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** The google.rpc status name Google uses for an HTTP status. */
export function statusName(status: number): string {
  return STATUS_NAMES[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT');
}

export function encodeError(e: ErrorInfo): Json {
  return { error: { code: e.status, message: e.message, status: statusName(e.status) } };
}

export function decodeErrorMessage(body: unknown): string | undefined {
  const b: unknown = Array.isArray(body) && body.length === 1 ? body[0] : body;
  if (!isObject(b) || !isObject(b.error)) return undefined;
  return typeof b.error.message === 'string' ? b.error.message : undefined;
}
