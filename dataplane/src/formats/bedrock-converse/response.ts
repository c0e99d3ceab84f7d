import type { ChatResponse, TextPart, ToolCallPart } from '../ir';
import { isObject, newId, UpstreamFormatError, type Json } from '../wire';
import {
  stopReasonFromBedrock,
  stopReasonToBedrock,
  stopSequenceOf,
  usageFromBedrock,
  usageToBedrock,
} from './usage';

/**
 * Converse responses. Bedrock gives a response no id and does not echo the model (the provider
 * knows it from the path): `decodeResponse` makes an id and returns `model: ''` for the caller to
 * fill in. Reasoning blocks are not part of the neutral answer and are skipped; their tokens stay
 * counted in `outputTokens`.
 */

export function decodeResponse(body: unknown): ChatResponse {
  if (!isObject(body)) throw new UpstreamFormatError('Converse response is not a JSON object');
  const output = body.output;
  const message = isObject(output) ? output.message : undefined;
  if (!isObject(message) || !Array.isArray(message.content))
    throw new UpstreamFormatError('Converse response has no output.message.content');
  if (typeof body.stopReason !== 'string')
    throw new UpstreamFormatError('Converse response has no stopReason');

  const content: (TextPart | ToolCallPart)[] = [];
  for (const block of message.content as unknown[]) {
    if (!isObject(block)) throw new UpstreamFormatError('Converse content block is not an object');
    if (typeof block.text === 'string') {
      content.push({ type: 'text', text: block.text });
    } else if (block.toolUse !== undefined) {
      const t = block.toolUse;
      if (!isObject(t) || typeof t.toolUseId !== 'string' || typeof t.name !== 'string')
        throw new UpstreamFormatError('Converse toolUse block lacks toolUseId or name');
      content.push({
        type: 'tool_call',
        id: t.toolUseId,
        name: t.name,
        arguments: JSON.stringify(t.input ?? {}),
      });
    }
    // reasoningContent, citationsContent and future blocks: not part of the neutral reply
  }

  const res: ChatResponse = {
    id: newId('bedrock-'),
    model: '',
    content,
    stopReason: stopReasonFromBedrock(body.stopReason),
  };
  const usage = usageFromBedrock(body.usage);
  if (usage) res.usage = usage;
  const stopSequence = stopSequenceOf(body.additionalModelResponseFields);
  if (stopSequence !== undefined) res.stopSequence = stopSequence;
  return res;
}

export function encodeResponse(res: ChatResponse): Json {
  const content = res.content.map((p) =>
    p.type === 'text'
      ? { text: p.text }
      : { toolUse: { toolUseId: p.id, name: p.name, input: parseInput(p.arguments) } },
  );
  const body: Json = {
    output: { message: { role: 'assistant', content } },
    stopReason: stopReasonToBedrock(res.stopReason),
    // usage and metrics are required in a ConverseResponse; the gateway measures no model latency.
    usage: usageToBedrock(res.usage),
    metrics: { latencyMs: 0 },
  };
  if (res.stopSequence !== undefined)
    body.additionalModelResponseFields = { stop_sequence: res.stopSequence };
  return body;
}

/**
 * Tool input is a JSON value in Converse. A model's arguments that are not JSON (a truncated call)
 * cannot be sent as input; they are kept as a JSON string rather than lost.
 */
export function parseInput(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
