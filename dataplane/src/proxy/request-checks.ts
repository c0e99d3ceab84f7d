import type { Operation } from '../providers/types';
import { errors } from '../errors/errors';

/**
 * Field checks every path makes before routing, native or translated: what the README's 400 table
 * promises, refused in the caller's format instead of reaching an upstream (or a response header).
 */

/** The longest model name accepted; provider model ids (ARNs and fine-tune ids included) are far shorter. */
export const MAX_MODEL_NAME_LENGTH = 256;
/** Visible ASCII: no space, no control or non-ASCII character (the name is echoed in X-Selected-Model). */
const MODEL_NAME = /^[\x21-\x7e]+$/;

/** A `model` (already a non-empty string) that is too long or has a character outside visible ASCII: 400. */
export function checkModelName(model: string): void {
  if (model.length <= MAX_MODEL_NAME_LENGTH && MODEL_NAME.test(model)) return;
  throw errors.badRequest(
    `'model' must be at most ${MAX_MODEL_NAME_LENGTH} visible ASCII characters (no spaces, control or non-ASCII characters).`,
    'invalid_model',
    'model',
  );
}

/**
 * The largest output-token limit accepted: 2^31 − 1, the widest value every upstream's field
 * carries (Gemini's and Bedrock's are 32-bit integers). A model's own maximum is the upstream's to
 * enforce.
 */
export const MAX_OUTPUT_TOKENS = 2_147_483_647;

/** The output-token limits each operation's format has. */
const TOKEN_FIELDS: Partial<Record<Operation, readonly string[]>> = {
  'chat.completions': ['max_tokens', 'max_completion_tokens'],
  messages: ['max_tokens'],
  responses: ['max_output_tokens'],
};

/** Each output-token limit present (null counts as absent) must be an integer in 1..MAX_OUTPUT_TOKENS: 400. */
export function checkTokenLimits(op: Operation, body: Record<string, unknown>): void {
  for (const field of TOKEN_FIELDS[op] ?? []) {
    const v = body[field];
    if (v === undefined || v === null) continue;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_OUTPUT_TOKENS) continue;
    throw errors.badRequest(
      `'${field}' must be a positive integer of at most ${MAX_OUTPUT_TOKENS}.`,
      'invalid_max_tokens',
      field,
    );
  }
}

/** The fields every endpoint with a body requires, checked before any policy or route sees it. */
export function checkRequest(
  op: Operation,
  body: Record<string, unknown>,
): { model: string; stream: boolean } {
  const { model, stream } = body;
  if (typeof model !== 'string' || model.length === 0) {
    throw errors.badRequest("'model' is required and must be a non-empty string.", 'invalid_model');
  }
  checkModelName(model);
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') {
    throw errors.badRequest("'stream' must be a boolean.", 'invalid_type');
  }
  if (op === 'chat.completions' || op === 'messages') {
    const messages = body.messages;
    if (!Array.isArray(messages) || messages.length === 0) {
      throw errors.badRequest("'messages' is required and must be a non-empty array.", 'invalid_messages');
    }
    if (op === 'messages' && (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens))) {
      throw errors.badRequest("'max_tokens' is required and must be an integer.", 'invalid_max_tokens');
    }
  } else if (op === 'responses' || op === 'embeddings') {
    const input = body.input;
    if (typeof input !== 'string' && !Array.isArray(input)) {
      throw errors.badRequest("'input' is required and must be a string or an array.", 'invalid_input');
    }
  }
  checkTokenLimits(op, body);
  return { model, stream: stream === true };
}
