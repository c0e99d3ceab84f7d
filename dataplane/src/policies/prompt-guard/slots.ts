import type { Operation } from '../../providers/types';

/**
 * Where each inbound format keeps the prompt's text, read straight from the caller's body (no trip
 * through the neutral model, which would drop fields it does not carry). A slot is the path of one
 * string; `replaceTexts` writes new strings at those paths into a copy that shares every untouched
 * object and array with the original, so masking changes nothing but the masked strings.
 *
 * Read: the text of every message whatever its role (system, developer, user, assistant, tool),
 * tool results, system prompts / instructions, embeddings inputs. Not read: tool-call arguments in
 * the history, tool definitions, images and files, `metadata` and other parameters.
 */
export type PathPart = string | number;

export interface TextSlot {
  readonly path: readonly PathPart[];
  readonly text: string;
}

type Json = Readonly<Record<string, unknown>>;

export function requestSlots(op: Operation, body: Json): TextSlot[] {
  const out: TextSlot[] = [];
  switch (op) {
    case 'chat.completions':
      eachOf(body.messages, (m, i) => {
        const at = ['messages', i, 'content'];
        textOrParts(out, m.content, at, (p) => p.type === 'text');
      });
      break;
    case 'messages':
      textOrParts(out, body.system, ['system'], (b) => b.type === 'text');
      eachOf(body.messages, (m, i) => anthropicContent(out, m.content, ['messages', i, 'content']));
      break;
    case 'responses':
      str(out, body.instructions, ['instructions']);
      if (typeof body.input === 'string') str(out, body.input, ['input']);
      else eachOf(body.input, (item, i) => responsesItem(out, item, ['input', i]));
      break;
    case 'embeddings':
      if (typeof body.input === 'string') str(out, body.input, ['input']);
      else if (Array.isArray(body.input)) body.input.forEach((s, i) => str(out, s, ['input', i]));
      break;
    case 'models':
      break;
  }
  return out;
}

function anthropicContent(out: TextSlot[], content: unknown, at: PathPart[]): void {
  if (typeof content === 'string') return str(out, content, at);
  eachOf(content, (block, j) => {
    if (block.type === 'text') str(out, block.text, [...at, j, 'text']);
    else if (block.type === 'tool_result') {
      textOrParts(out, block.content, [...at, j, 'content'], (b) => b.type === 'text');
    }
  });
}

const INPUT_TEXT = (p: Json) => p.type === 'input_text' || p.type === 'output_text';

function responsesItem(out: TextSlot[], item: Json, at: PathPart[]): void {
  const type = item.type ?? 'message';
  if (type === 'message') textOrParts(out, item.content, [...at, 'content'], INPUT_TEXT);
  else if (type === 'function_call_output') textOrParts(out, item.output, [...at, 'output'], INPUT_TEXT);
}

/** A string, or a list of parts whose `text` is read when `isText(part)`. */
function textOrParts(out: TextSlot[], v: unknown, at: PathPart[], isText: (p: Json) => boolean): void {
  if (typeof v === 'string') return str(out, v, at);
  eachOf(v, (part, j) => {
    if (isText(part)) str(out, part.text, [...at, j, 'text']);
  });
}

function str(out: TextSlot[], v: unknown, path: PathPart[]): void {
  if (typeof v === 'string' && v.length > 0) out.push({ path, text: v });
}

function eachOf(v: unknown, fn: (item: Json, i: number) => void): void {
  if (!Array.isArray(v)) return;
  v.forEach((item: unknown, i) => {
    if (typeof item === 'object' && item !== null && !Array.isArray(item)) fn(item as Json, i);
  });
}

/** `['messages', 1, 'content', 0, 'text']` → `messages[1].content[0].text`. */
export function formatPath(path: readonly PathPart[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

/**
 * A copy of `body` with `texts[i]` at `slots[i].path` (unchanged texts are not written). Only the
 * objects and arrays on a changed path are copied, keys in their original order; everything else
 * is shared with `body`, which is never mutated.
 */
export function replaceTexts(
  body: Json,
  slots: readonly TextSlot[],
  texts: readonly string[],
): Record<string, unknown> {
  const root: Record<string, unknown> = { ...body };
  const copied = new Set<object>([root]);
  slots.forEach((slot, i) => {
    const text = texts[i];
    if (text === undefined || text === slot.text) return;
    let node: Record<PathPart, unknown> = root;
    slot.path.forEach((key, depth) => {
      if (depth === slot.path.length - 1) {
        node[key] = text;
        return;
      }
      let child = node[key] as Record<PathPart, unknown>;
      if (!copied.has(child)) {
        child = (Array.isArray(child) ? [...child] : { ...child }) as Record<PathPart, unknown>;
        copied.add(child);
        node[key] = child;
      }
      node = child;
    });
  });
  return root;
}
