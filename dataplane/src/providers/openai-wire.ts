import { randomBytes } from 'node:crypto';

/**
 * Builders for OpenAI's wire format (Chat Completions, chunks, embeddings, models, errors), shared by
 * the `mock` provider and the mock upstream used in tests and benchmarks, so both speak exactly
 * what the OpenAI API reference documents.
 */

export interface ChatCompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
}

export interface WireOptions {
  /** Fixed id and timestamp for reproducible tests. */
  id?: string;
  created?: number;
}

/** A deterministic token estimate: about four characters a token, at least one. */
export function countTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

export function promptText(body: Record<string, unknown> | undefined): string {
  const messages = Array.isArray(body?.messages) ? (body.messages as unknown[]) : [];
  return messages.map(messageText).join('\n');
}

/** The text of the last user message, for echo replies. */
export function lastUserText(body: Record<string, unknown> | undefined): string {
  const messages = Array.isArray(body?.messages) ? (body.messages as unknown[]) : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: unknown } | undefined;
    if (m?.role === 'user') return messageText(m);
  }
  return '';
}

function messageText(m: unknown): string {
  const content = (m as { content?: unknown } | null)?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p) =>
        (p as { type?: unknown }).type === 'text' ? String((p as { text?: unknown }).text ?? '') : '',
      )
      .join('');
  }
  return '';
}

export function usage(prompt: string, completion: string): ChatCompletionUsage {
  const p = countTokens(prompt);
  const c = countTokens(completion);
  return {
    prompt_tokens: p,
    completion_tokens: c,
    total_tokens: p + c,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}

const newId = (prefix: string) => `${prefix}-${randomBytes(12).toString('base64url')}`;
const now = () => Math.floor(Date.now() / 1000);

export function chatCompletion(model: string, prompt: string, reply: string, opts: WireOptions = {}) {
  return {
    id: opts.id ?? newId('chatcmpl'),
    object: 'chat.completion',
    created: opts.created ?? now(),
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: reply, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: usage(prompt, reply),
    system_fingerprint: 'fp_tollgate_mock',
  };
}

/**
 * The chunks of a streamed completion: a role chunk, one content chunk per word (keeping the
 * spaces), a finish chunk, and, when `includeUsage`, a last chunk with empty `choices` and the usage.
 */
export function chatCompletionChunks(
  model: string,
  prompt: string,
  reply: string,
  includeUsage: boolean,
  opts: WireOptions = {},
): object[] {
  const id = opts.id ?? newId('chatcmpl');
  const created = opts.created ?? now();
  const base = {
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: 'fp_tollgate_mock',
  };
  const choice = (delta: object, finish: string | null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const chunks: object[] = [choice({ role: 'assistant', content: '', refusal: null }, null)];
  for (const piece of reply.match(/\s*\S+/g) ?? []) chunks.push(choice({ content: piece }, null));
  chunks.push(choice({}, 'stop'));
  if (includeUsage) chunks.push({ ...base, choices: [], usage: usage(prompt, reply) });
  return chunks;
}

export const SSE_DONE = 'data: [DONE]\n\n';

export function sseEncode(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
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
  return { object: 'list', data: ids.map((id) => ({ id, object: 'model', created: 0, owned_by: ownedBy })) };
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
