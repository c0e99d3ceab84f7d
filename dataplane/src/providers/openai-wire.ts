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
