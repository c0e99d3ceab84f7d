import type { ChatRequest, Part } from '../../formats/ir';

/**
 * A rough count of a chat request's prompt tokens before any tokenizer has seen it: one token per
 * four characters (OpenAI's rule of thumb for English) of everything the model reads as text —
 * system prompt, messages, tool calls and results, tool definitions. Images count nothing; the
 * answer's tokens are unknown up front and count nothing either.
 */
export function estimatePromptTokens(req: ChatRequest): number {
  let chars = 0;
  for (const p of req.system) chars += p.text.length;
  for (const m of req.messages) for (const p of m.content) chars += partChars(p);
  for (const t of req.tools ?? []) {
    chars += t.name.length + (t.description?.length ?? 0) + JSON.stringify(t.parameters).length;
  }
  return Math.ceil(chars / 4);
}

function partChars(p: Part): number {
  switch (p.type) {
    case 'text':
      return p.text.length;
    case 'image':
      return 0;
    case 'tool_call':
      return p.name.length + p.arguments.length;
    case 'tool_result':
      return p.content.reduce((n, c) => n + (c.type === 'text' ? c.text.length : 0), 0);
  }
}
