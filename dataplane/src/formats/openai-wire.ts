/**
 * OpenAI's wire shapes that are not chat (embeddings, model lists, errors), shared by the gateway,
 * the `mock` provider and the mock upstream. Chat bodies and chunks are the openai-chat codec's.
 */

/** A deterministic token estimate: about four characters a token, at least one. */
export function countTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** Deterministic embeddings: a hashed bag of character trigrams, L2-normalised, so similar texts are near. */
export function embed(text: string, dimensions = 64): number[] {
  const v = new Array<number>(dimensions).fill(0);
  const t = ` ${text.toLowerCase()} `;
  for (let i = 0; i + 3 <= t.length; i++) {
    let h = 2166136261;
    for (let j = i; j < i + 3; j++) h = Math.imul(h ^ t.charCodeAt(j), 16777619);
    const idx = (h >>> 0) % dimensions;
    v[idx] = (v[idx] ?? 0) + 1;
  }
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return v.map((x) => x / norm);
}

export function embeddingList(model: string, inputs: string[], dimensions?: number) {
  const tokens = inputs.reduce((n, s) => n + countTokens(s), 0);
  return {
    object: 'list',
    data: inputs.map((input, index) => ({ object: 'embedding', index, embedding: embed(input, dimensions) })),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

/** The most dimensions an embeddings request may ask for (text-embedding-3-large's 3072). */
export const MAX_EMBEDDING_DIMENSIONS = 3072;

/**
 * What OpenAI refuses with 400 in an embeddings request — an `input` that is not a string, an array
 * of strings or of token ids, or of token-id arrays; a `dimensions` that is not an integer in
 * 1..MAX_EMBEDDING_DIMENSIONS — as its error body; undefined when the request is valid.
 */
export function embeddingsRequestError(body: Record<string, unknown>) {
  const { input, dimensions } = body;
  const tokens = (v: unknown) => Array.isArray(v) && v.every((t) => Number.isInteger(t));
  const inputOk =
    typeof input === 'string' ||
    (Array.isArray(input) &&
      input.length > 0 &&
      (input.every((x) => typeof x === 'string') || tokens(input) || input.every(tokens)));
  if (!inputOk) {
    const message =
      "'input' must be a string, an array of strings, an array of token ids or of token-id arrays.";
    return errorBody(message, 'invalid_request_error', 'invalid_value', 'input');
  }
  if (dimensions === undefined || dimensions === null) return undefined;
  if (
    Number.isInteger(dimensions) &&
    (dimensions as number) >= 1 &&
    (dimensions as number) <= MAX_EMBEDDING_DIMENSIONS
  )
    return undefined;
  const message = `Invalid value for 'dimensions': ${JSON.stringify(dimensions)}. It must be an integer from 1 to ${MAX_EMBEDDING_DIMENSIONS}.`;
  return errorBody(message, 'invalid_request_error', 'invalid_value', 'dimensions');
}

export function modelList(ids: readonly string[], ownedBy = 'tollgate') {
  return { object: 'list', data: ids.map((id) => modelObject(id, ownedBy)) };
}

/** One model, as `GET /v1/models/{id}` (the SDK's `models.retrieve`) answers it. */
export function modelObject(id: string, ownedBy = 'tollgate') {
  return { id, object: 'model', created: 0, owned_by: ownedBy };
}

/** OpenAI's error body: the one shape every error the gateway or a mock answers with. */
export function errorBody(message: string, type: string, code: string | null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

/** OpenAI's error body, with the `type` OpenAI uses for each status. */
export function openAIError(status: number, message: string, code: string | null = null) {
  const type =
    status === 401
      ? 'invalid_request_error'
      : status === 403
        ? 'permission_error'
        : status === 429
          ? 'requests'
          : status >= 500
            ? 'server_error'
            : 'invalid_request_error';
  return errorBody(message, type, code);
}
