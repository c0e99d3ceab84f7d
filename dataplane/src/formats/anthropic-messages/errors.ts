import type { ErrorInfo } from '../ir';
import { isObject, type Json } from '../wire';

/** Anthropic's error `type` for each HTTP status, as its errors reference lists them. */
const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  // Not in Anthropic's list: a bad gateway is an internal failure, an unavailable upstream is
  // overload (retry later), and 504 is Anthropic's documented timeout_error.
  502: 'api_error',
  503: 'overloaded_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

const KNOWN_TYPES = new Set(Object.values(TYPE_BY_STATUS));

/**
 * The error type for a gateway error: its code when that already is an Anthropic type (an
 * Anthropic upstream's error passed on), else by status; other 4xx are invalid_request_error,
 * as Anthropic documents, and other 5xx api_error.
 */
export function errorType(e: ErrorInfo): string {
  if (KNOWN_TYPES.has(e.code)) return e.code;
  return TYPE_BY_STATUS[e.status] ?? (e.status >= 500 ? 'api_error' : 'invalid_request_error');
}

export function encodeError(e: ErrorInfo): Json {
  return { type: 'error', error: { type: errorType(e), message: e.message } };
}

/** The message of `{type:'error', error:{type, message}}`; undefined for any other body. */
export function decodeErrorMessage(body: unknown): string | undefined {
  if (!isObject(body) || body.type !== 'error' || !isObject(body.error)) return undefined;
  return typeof body.error.message === 'string' ? body.error.message : undefined;
}
