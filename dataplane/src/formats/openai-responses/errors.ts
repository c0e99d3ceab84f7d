import type { ErrorInfo } from '../ir';
import { openAIError } from '../openai-wire';
import { isObject } from '../wire';

/** Responses errors have the Chat Completions shape: `{"error":{message,type,param,code}}`. */
export function encodeError(e: ErrorInfo): Record<string, unknown> {
  const body = openAIError(e.status, e.message, e.code);
  return { error: { ...body.error, param: e.param ?? null } };
}

/** `error.message` of an error body (also of a failed Response object, which has the same path). */
export function decodeErrorMessage(body: unknown): string | undefined {
  if (!isObject(body) || !isObject(body.error)) return undefined;
  return typeof body.error.message === 'string' ? body.error.message : undefined;
}
