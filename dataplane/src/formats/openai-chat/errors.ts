import type { ErrorInfo } from '../ir';
import { openAIError } from '../openai-wire';
import { isObject, type Json } from '../wire';

/** OpenAI's error body, with the `type` OpenAI uses for the status (shared with the mock provider). */
export function encodeError(e: ErrorInfo): Json {
  const { error } = openAIError(e.status, e.message, e.code);
  return { error: { ...error, param: e.param ?? null } };
}

/**
 * OpenAI's `{"error": {"message": …}}`, and the shapes OpenAI-compatible servers answer with
 * instead: `{"error": "…"}` (Ollama), `{"message": "…"}` (Mistral, vLLM), `{"detail": "…"}` or
 * FastAPI's `{"detail": [{"msg": …}]}`.
 */
export function decodeErrorMessage(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  const { error } = body;
  if (isObject(error) && typeof error.message === 'string') return error.message;
  if (typeof error === 'string') return error;
  if (typeof body.message === 'string') return body.message;
  if (typeof body.detail === 'string') return body.detail;
  if (Array.isArray(body.detail)) {
    const msgs = body.detail
      .map((d: unknown) => (isObject(d) && typeof d.msg === 'string' ? d.msg : undefined))
      .filter((m): m is string => m !== undefined);
    if (msgs.length > 0) return msgs.join('; ');
  }
  return undefined;
}
