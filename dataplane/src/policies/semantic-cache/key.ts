import { createHash } from 'node:crypto';
import { canonicalJson, type CompiledSemanticCache } from '@tollgate/protocol';
import type { ChatRequest, Message, Part } from '../../formats/ir';

/**
 * How a chat request is keyed in the cache, as pure functions.
 *
 * - The *question* is the last message's text: it is embedded, and similar questions may share an
 *   answer (`threshold`).
 * - Everything else that shapes the answer must match *exactly* (the `tag`): the requested model,
 *   the system prompt and every earlier message (so two conversations ending in the same question
 *   never share an answer, and a long shared history cannot make different last questions look
 *   alike), images and tool results of the last message, and the request's settings (tools, tool
 *   choice, response format, temperature, max tokens, stop sequences, … and every body field the
 *   codecs ignore, e.g. a vendor's `top_k`, since the native path sends those upstream as they are).
 */
export interface PromptKey {
  /** The text embedded. */
  readonly text: string;
  /** SHA-256 hex of what must match exactly. */
  readonly tag: string;
}

/** Longer questions are not cached: embedding models refuse them past a few thousand tokens. */
export const MAX_QUESTION_CHARS = 32_000;

/**
 * Body fields that never change an answer: the conversation itself (keyed apart), streaming, and
 * caller bookkeeping (end-user ids, metadata, storage and tier hints).
 */
const NOT_SHAPING = new Set([
  'model',
  'messages',
  'input',
  'system',
  'instructions',
  'stream',
  'stream_options',
  'user',
  'metadata',
  'store',
  'service_tier',
  'prompt_cache_key',
  'safety_identifier',
]);

/** The request's cache key, or why it has none. */
export function promptKey(
  req: ChatRequest,
  model: string,
  body: Readonly<Record<string, unknown>>,
): PromptKey | { skip: string } {
  const last = req.messages[req.messages.length - 1];
  if (!last) return { skip: 'no messages' };
  const text = questionText(last);
  if (text.length > MAX_QUESTION_CHARS) return { skip: 'question too long to embed' };
  if (text.trim().length === 0) return { skip: 'no text to embed' };
  const settings: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!NOT_SHAPING.has(k) && v !== undefined) settings[k] = v;
  const { model: _m, system, messages, stream: _s, user: _u, ...shape } = req;
  const exact = {
    model,
    system,
    history: messages.slice(0, -1),
    last: { role: last.role, parts: last.content.map(withoutText) },
    shape,
    settings,
  };
  return { text, tag: createHash('sha256').update(canonicalJson(exact)).digest('hex') };
}

/** The cache partition: the Policy's, per embedding model (vectors of two models do not compare). */
export function partitionPrefix(policy: string, config: CompiledSemanticCache): string {
  return `${policy}\u0000${config.embeddingRegistry}\u0000${config.embeddingModel}`;
}

/** Within a partition prefix, whose entries: the consumer's own, or the whole gateway's. */
export function partitionKey(
  prefix: string,
  scope: CompiledSemanticCache['scope'],
  who: { consumer: string; gateway: string },
): string {
  return scope === 'Gateway' ? `${prefix}\u0000G:${who.gateway}` : `${prefix}\u0000C:${who.consumer}`;
}

export function prefixOfPartition(key: string): string {
  return key.slice(0, key.lastIndexOf('\u0000'));
}

/** The last message's words: its text, tool calls and tool results, in order. */
function questionText(m: Message): string {
  return m.content
    .map(partText)
    .filter((s) => s.length > 0)
    .join('\n');
}

function partText(p: Part): string {
  switch (p.type) {
    case 'text':
      return p.text;
    case 'tool_call':
      return `${p.name}(${p.arguments})`;
    case 'tool_result':
      return p.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
    case 'image':
      return '';
  }
}

/** A part's identity without its words (those are compared by similarity). */
function withoutText(p: Part): unknown {
  switch (p.type) {
    case 'text':
      return { type: 'text' };
    case 'tool_call':
      return { type: 'tool_call', name: p.name };
    case 'tool_result':
      return {
        type: 'tool_result',
        toolCallId: p.toolCallId,
        isError: p.isError === true,
        images: p.content.filter((c) => c.type === 'image'),
      };
    case 'image':
      return p;
  }
}
