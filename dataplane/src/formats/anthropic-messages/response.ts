import type { ChatResponse, TextPart, ToolCallPart } from '../ir';
import { UpstreamFormatError, isObject, type Json } from '../wire';
import { parseArguments, stopReasonFromWire, stopReasonToWire } from './shared';
import { fromUsage, readWireUsage, toUsage } from './usage';

/** A neutral response as a Messages API response body. */
export function encodeResponse(res: ChatResponse): Json {
  return {
    id: res.id,
    type: 'message',
    role: 'assistant',
    model: res.model,
    content: res.content.map((p, i) =>
      p.type === 'text'
        ? { type: 'text', text: p.text }
        : { type: 'tool_use', id: p.id, name: p.name, input: parseArguments(p.arguments, `content[${i}]`) },
    ),
    stop_reason: stopReasonToWire(res.stopReason),
    stop_sequence: res.stopReason === 'stop_sequence' ? (res.stopSequence ?? null) : null,
    usage: fromUsage(res.usage ?? { inputTokens: 0, outputTokens: 0 }),
  };
}

/** An upstream Messages API response body as a neutral response. */
export function decodeResponse(body: unknown): ChatResponse {
  if (!isObject(body) || body.type !== 'message')
    throw new UpstreamFormatError('response is not an Anthropic message');
  const { id, model } = body;
  if (typeof id !== 'string' || typeof model !== 'string')
    throw new UpstreamFormatError('Anthropic message lacks id or model');
  if (!Array.isArray(body.content))
    throw new UpstreamFormatError('Anthropic message content is not an array');
  const content: (TextPart | ToolCallPart)[] = [];
  for (const block of body.content) {
    const part = decodeBlock(block);
    if (part) content.push(part);
  }
  if (typeof body.stop_reason !== 'string')
    throw new UpstreamFormatError('Anthropic message lacks stop_reason');
  const res: ChatResponse = { id, model, content, stopReason: stopReasonFromWire(body.stop_reason) };
  if (res.stopReason === 'stop_sequence' && typeof body.stop_sequence === 'string')
    res.stopSequence = body.stop_sequence;
  if (isObject(body.usage)) res.usage = toUsage(readWireUsage(body.usage));
  return res;
}

function decodeBlock(v: unknown): TextPart | ToolCallPart | undefined {
  if (!isObject(v)) throw new UpstreamFormatError('Anthropic content block is not an object');
  switch (v.type) {
    case 'text':
      if (typeof v.text !== 'string') throw new UpstreamFormatError('Anthropic text block lacks text');
      return { type: 'text', text: v.text };
    case 'tool_use':
      return decodeToolUse(v);
    case 'thinking':
    case 'redacted_thinking':
      // The gateway never asks for thinking; a model that thinks anyway keeps it to itself.
      return undefined;
    default:
      throw new UpstreamFormatError(`unexpected Anthropic content block type '${String(v.type)}'`);
  }
}

function decodeToolUse(v: Json): ToolCallPart {
  if (typeof v.id !== 'string' || typeof v.name !== 'string' || !isObject(v.input))
    throw new UpstreamFormatError('Anthropic tool_use block lacks id, name or input');
  return { type: 'tool_call', id: v.id, name: v.name, arguments: JSON.stringify(v.input) };
}
