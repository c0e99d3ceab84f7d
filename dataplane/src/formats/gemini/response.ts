import type { ChatResponse, StopReason, TextPart, ToolCallPart } from '../ir';
import { UpstreamFormatError, isObject, newId, type Json } from '../wire';
import { decodeUsage, encodeUsage } from './usage';

/** GenerateContentResponse ↔ the neutral response. Only the first candidate is read (n is always 1). */

const FILTERED = new Set([
  'SAFETY',
  'RECITATION',
  'LANGUAGE',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);
/** The model tried to call a tool and failed: no usable answer, so the upstream call failed (502). */
const FAILED_CALL = new Set(['MALFORMED_FUNCTION_CALL', 'UNEXPECTED_TOOL_CALL', 'TOO_MANY_TOOL_CALLS']);

/**
 * Gemini reports STOP both for a natural end and for a stop sequence without saying which, so STOP
 * decodes as `end`; a reply with function calls is `tool_calls` whatever the reason says.
 */
export function decodeFinishReason(reason: string, candidate: Json, hasCalls: boolean): StopReason {
  if (FAILED_CALL.has(reason)) {
    const detail = typeof candidate.finishMessage === 'string' ? `: ${candidate.finishMessage}` : '';
    throw new UpstreamFormatError(`Gemini finished with ${reason}${detail}`);
  }
  if (FILTERED.has(reason)) return 'content_filter';
  if (reason === 'MAX_TOKENS') return 'max_tokens';
  return hasCalls ? 'tool_calls' : 'end';
}

export function encodeFinishReason(reason: StopReason): string {
  switch (reason) {
    case 'max_tokens':
      return 'MAX_TOKENS';
    case 'content_filter':
      return 'SAFETY';
    default:
      // end, stop_sequence and tool_calls are all STOP in Gemini.
      return 'STOP';
  }
}

/**
 * A candidate's parts as neutral content. Thought parts are reasoning (counted in usage), not
 * answer text; thought signatures have no neutral counterpart. `callIndex` numbers function calls
 * without an id (`call_<n>`), carried across the chunks of a stream.
 */
export function decodeParts(parts: unknown, callIndex: { next: number }): (TextPart | ToolCallPart)[] {
  if (parts === undefined || parts === null) return [];
  if (!Array.isArray(parts)) throw new UpstreamFormatError('candidate content parts is not an array');
  const out: (TextPart | ToolCallPart)[] = [];
  for (const p of parts) {
    if (!isObject(p)) throw new UpstreamFormatError('candidate part is not an object');
    if (p.thought === true) continue;
    if (typeof p.text === 'string') {
      if (p.text !== '') out.push({ type: 'text', text: p.text });
    } else if (isObject(p.functionCall)) {
      const call = p.functionCall;
      if (typeof call.name !== 'string') throw new UpstreamFormatError('functionCall without a name');
      const id = typeof call.id === 'string' && call.id !== '' ? call.id : `call_${callIndex.next}`;
      callIndex.next++;
      const args = isObject(call.args) ? call.args : {};
      out.push({ type: 'tool_call', id, name: call.name, arguments: JSON.stringify(args) });
    } else if (p.text === undefined && p.thoughtSignature !== undefined && Object.keys(p).length === 1) {
      continue; // a bare signature part, as some last stream chunks carry
    } else {
      const kind = Object.keys(p).find((k) => k !== 'thoughtSignature') ?? 'unknown';
      throw new UpstreamFormatError(`Gemini returned a ${kind} part, which cannot be translated`);
    }
  }
  return out;
}

export function decodeResponse(body: unknown): ChatResponse {
  if (!isObject(body)) throw new UpstreamFormatError('Gemini response is not a JSON object');
  const candidates = body.candidates;
  if (candidates !== undefined && !Array.isArray(candidates))
    throw new UpstreamFormatError('Gemini response candidates is not an array');
  const candidate: unknown = candidates?.[0];
  const res: ChatResponse = {
    id: typeof body.responseId === 'string' ? body.responseId : newId('gemini_'),
    model: typeof body.modelVersion === 'string' ? body.modelVersion : '',
    content: [],
    stopReason: 'end',
  };
  if (isObject(candidate)) {
    const content = candidate.content;
    if (content !== undefined && !isObject(content))
      throw new UpstreamFormatError('Gemini candidate content is not an object');
    res.content = mergeText(decodeParts(content?.parts, { next: 0 }));
    const hasCalls = res.content.some((p) => p.type === 'tool_call');
    const reason = typeof candidate.finishReason === 'string' ? candidate.finishReason : 'STOP';
    res.stopReason = decodeFinishReason(reason, candidate, hasCalls);
  } else if (isObject(body.promptFeedback) && typeof body.promptFeedback.blockReason === 'string') {
    res.stopReason = 'content_filter'; // the prompt itself was blocked: no candidates at all
  } else {
    throw new UpstreamFormatError('Gemini response has no candidates');
  }
  if (isObject(body.usageMetadata)) res.usage = decodeUsage(body.usageMetadata);
  return res;
}

/** Adjacent text parts are one text: Gemini splits text arbitrarily. */
function mergeText(parts: (TextPart | ToolCallPart)[]): (TextPart | ToolCallPart)[] {
  const out: (TextPart | ToolCallPart)[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (p.type === 'text' && last?.type === 'text')
      out[out.length - 1] = { type: 'text', text: last.text + p.text };
    else out.push(p);
  }
  return out;
}

export function encodeResponse(res: ChatResponse): Json {
  const parts = res.content.map((p) =>
    p.type === 'text'
      ? { text: p.text }
      : { functionCall: { id: p.id, name: p.name, args: argsObject(p.arguments) } },
  );
  const body: Json = {
    candidates: [
      { content: { role: 'model', parts }, finishReason: encodeFinishReason(res.stopReason), index: 0 },
    ],
  };
  if (res.usage) body.usageMetadata = encodeUsage(res.usage);
  body.modelVersion = res.model;
  body.responseId = res.id;
  return body;
}

/** A model's arguments text as an object; text that is not a JSON object stays visible, wrapped. */
export function argsObject(text: string): Json {
  if (text.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(text);
    if (isObject(v)) return v;
  } catch {
    // fall through
  }
  return { arguments: text };
}
