import type { ChatResponse } from '../../formats/ir';
import type { GuardSlot } from './decide';

/**
 * The texts of a whole (non-streamed) response: each text part, and each tool call's arguments,
 * which a model can fill with the same data it could write as text (an address for a send_email
 * tool). Arguments are JSON: they are scanned and masked in their string values, so a masked call
 * still carries valid JSON.
 */
export function responseSlots(res: ChatResponse): GuardSlot[] {
  const out: GuardSlot[] = [];
  res.content.forEach((part, i) => {
    if (part.type === 'text') {
      if (part.text.length > 0) out.push({ path: `content[${i}].text`, where: 'the text', text: part.text });
    } else if (part.arguments.length > 0) {
      out.push({
        path: `content[${i}].arguments`,
        where: `the arguments of a call to '${part.name}'`,
        text: part.arguments,
        json: true,
      });
    }
  });
  return out;
}

/** `res` with `texts[i]` in place of the text at `slots[i]` (from responseSlots(res)). */
export function withTexts(
  res: ChatResponse,
  slots: readonly GuardSlot[],
  texts: readonly string[],
): ChatResponse {
  const byPath = new Map(slots.map((s, i) => [s.path, texts[i] ?? s.text]));
  return {
    ...res,
    content: res.content.map((part, i) => {
      if (part.type === 'text') {
        const text = byPath.get(`content[${i}].text`);
        return text === undefined ? part : { ...part, text };
      }
      const args = byPath.get(`content[${i}].arguments`);
      return args === undefined ? part : { ...part, arguments: args };
    }),
  };
}
