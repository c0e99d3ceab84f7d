import type { ChatResponse, TextPart, ToolCallPart } from '../ir';
import {
  array,
  isObject,
  newId,
  object,
  optionalString,
  string,
  UpstreamFormatError,
  type Json,
} from '../wire';
import { fromFinishReason, toFinishReason } from './finish';
import { fromUpstream } from './upstream';
import { fromWireUsage, toWireUsage, wireUsageOf } from './usage';

const now = () => Math.floor(Date.now() / 1000);

/**
 * A `chat.completion` object as the API reference documents it. The text parts become one
 * `content` string (OpenAI has one per message), ahead of the tool calls.
 */
export function encodeResponse(res: ChatResponse): Json {
  const text = res.content.filter((p): p is TextPart => p.type === 'text');
  const calls = res.content.filter((p): p is ToolCallPart => p.type === 'tool_call');
  const message: Json = {
    role: 'assistant',
    content: text.length === 0 && calls.length > 0 ? null : text.map((p) => p.text).join(''),
    refusal: null,
  };
  if (calls.length > 0)
    message.tool_calls = calls.map((c) => ({
      id: c.id,
      type: 'function',
      function: { name: c.name, arguments: c.arguments },
    }));
  const body: Json = {
    id: res.id,
    object: 'chat.completion',
    created: now(),
    model: res.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: toFinishReason(res.stopReason) }],
  };
  if (res.usage !== undefined) body.usage = toWireUsage(res.usage);
  return body;
}

/**
 * Upstream completion → neutral. Only choice 0 is read: the gateway never asks for n > 1. A refusal
 * is kept as text, since the neutral model has no refusal part.
 */
export function decodeResponse(body: unknown): ChatResponse {
  if (isObject(body) && isObject(body.error))
    throw new UpstreamFormatError(`upstream error: ${String(body.error.message ?? 'unknown')}`);
  return fromUpstream('malformed chat completion', () => {
    const b = object(body, 'body');
    const choice = object(array(b.choices, 'choices')[0], 'choices[0]');
    const m = object(choice.message, 'choices[0].message');
    const content: (TextPart | ToolCallPart)[] = [];
    const text = optionalString(m.content, 'choices[0].message.content');
    if (text !== undefined && text !== '') content.push({ type: 'text', text });
    const refusal = optionalString(m.refusal, 'choices[0].message.refusal');
    if (refusal !== undefined && refusal !== '') content.push({ type: 'text', text: refusal });
    if (m.tool_calls !== undefined && m.tool_calls !== null) {
      array(m.tool_calls, 'choices[0].message.tool_calls').forEach((raw, i) => {
        const param = `choices[0].message.tool_calls[${i}]`;
        const tc = object(raw, param);
        const fn = object(tc.function, `${param}.function`);
        content.push({
          type: 'tool_call',
          id: string(tc.id, `${param}.id`),
          name: string(fn.name, `${param}.function.name`),
          arguments: optionalString(fn.arguments, `${param}.function.arguments`) ?? '',
        });
      });
    }
    // Legacy function calling: one call, without an id.
    if (isObject(m.function_call)) {
      const fc = m.function_call;
      content.push({
        type: 'tool_call',
        id: newId('call_'),
        name: string(fc.name, 'choices[0].message.function_call.name'),
        arguments: optionalString(fc.arguments, 'choices[0].message.function_call.arguments') ?? '',
      });
    }
    const res: ChatResponse = {
      id: string(b.id, 'id'),
      model: string(b.model, 'model'),
      content,
      stopReason: fromFinishReason(
        choice.finish_reason,
        content.some((p) => p.type === 'tool_call'),
      ),
    };
    const usage = wireUsageOf(b);
    if (usage !== undefined) res.usage = fromWireUsage(usage);
    return res;
  });
}
