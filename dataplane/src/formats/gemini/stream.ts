import type { ErrorInfo, Frame, StopReason, StreamDecoder, StreamEncoder, StreamEvent, Usage } from '../ir';
import { UpstreamFormatError, frame, frameJson, isObject, newId, type Json } from '../wire';
import { encodeError } from './errors';
import { argsObject, decodeFinishReason, decodeParts, encodeFinishReason } from './response';
import { decodeUsage, encodeUsage } from './usage';

/**
 * streamGenerateContent?alt=sse: every SSE event (no `event:` name) is a whole
 * GenerateContentResponse holding the next parts. Text arrives in pieces; a function call arrives
 * whole. finishReason and the final usageMetadata come in the last chunk; earlier chunks may carry
 * partial usage (often promptTokenCount alone). There is no terminator like OpenAI's [DONE].
 */

export function streamDecoder(): StreamDecoder {
  let started = false;
  let finished = false;
  let hasCalls = false;
  let usage: Usage | undefined;
  const callIndex = { next: 0 };
  let toolIndex = 0;
  return {
    push(f: Frame): StreamEvent[] {
      const chunk = frameJson(f);
      if (isObject(chunk.error)) {
        const message = typeof chunk.error.message === 'string' ? chunk.error.message : 'stream error';
        throw new UpstreamFormatError(message);
      }
      const events: StreamEvent[] = [];
      if (!started) {
        started = true;
        events.push({
          type: 'start',
          id: typeof chunk.responseId === 'string' ? chunk.responseId : newId('gemini_'),
          model: typeof chunk.modelVersion === 'string' ? chunk.modelVersion : '',
        });
      }
      if (chunk.candidates !== undefined && !Array.isArray(chunk.candidates))
        throw new UpstreamFormatError('stream chunk candidates is not an array');
      const candidate: unknown = chunk.candidates?.[0];
      let reason: StopReason | undefined;
      if (isObject(candidate)) {
        const content = isObject(candidate.content) ? candidate.content : undefined;
        for (const p of decodeParts(content?.parts, callIndex)) {
          if (p.type === 'text') events.push({ type: 'text', text: p.text });
          else {
            hasCalls = true;
            const index = toolIndex++;
            events.push({ type: 'tool_call_start', index, id: p.id, name: p.name });
            events.push({ type: 'tool_call_delta', index, arguments: p.arguments });
          }
        }
        if (typeof candidate.finishReason === 'string')
          reason = decodeFinishReason(candidate.finishReason, candidate, hasCalls);
      } else if (isObject(chunk.promptFeedback) && typeof chunk.promptFeedback.blockReason === 'string') {
        reason = 'content_filter';
      }
      if (isObject(chunk.usageMetadata)) usage = decodeUsage(chunk.usageMetadata);
      if (reason !== undefined && !finished) {
        finished = true;
        events.push({ type: 'finish', stopReason: reason });
        if (usage) events.push({ type: 'usage', usage });
      } else if (finished && isObject(chunk.usageMetadata) && usage) {
        events.push({ type: 'usage', usage }); // usage that trails the finish
      }
      return events;
    },
  };
}

interface PendingCall {
  id: string;
  name: string;
  args: string;
}

/**
 * Neutral events → Gemini chunks (for clients speaking Gemini, and the mock upstream). Text goes
 * out as it comes; a tool call is held until it is complete, since Gemini sends calls whole; the
 * finish reason and usage go in one last chunk, as Gemini sends them. `includeUsage` does not
 * apply: Gemini always reports usage.
 */
export function streamEncoder(): StreamEncoder {
  let id = '';
  let model = '';
  let finish: StopReason | undefined;
  let usage: Usage | undefined;
  const pending = new Map<number, PendingCall>();
  const chunk = (candidate: Json, extra: Json = {}): Frame =>
    frame({ candidates: [{ ...candidate, index: 0 }], ...extra, modelVersion: model, responseId: id });
  const content = (parts: Json[]) => ({ content: { role: 'model', parts } });
  const flush = (): Frame[] => {
    const frames = [...pending.values()].map((c) =>
      chunk(content([{ functionCall: { id: c.id, name: c.name, args: argsObject(c.args) } }])),
    );
    pending.clear();
    return frames;
  };
  return {
    push(e: StreamEvent): Frame[] {
      switch (e.type) {
        case 'start':
          id = e.id;
          model = e.model;
          return [];
        case 'text':
          return e.text === '' ? flush() : [...flush(), chunk(content([{ text: e.text }]))];
        case 'tool_call_start': {
          const frames = flush();
          pending.set(e.index, { id: e.id, name: e.name, args: '' });
          return frames;
        }
        case 'tool_call_delta': {
          const call = pending.get(e.index);
          if (call) call.args += e.arguments;
          return [];
        }
        case 'finish':
          finish = e.stopReason;
          return flush();
        case 'usage':
          usage = e.usage;
          return [];
      }
    },
    end(): Frame[] {
      const frames = flush();
      if (finish !== undefined || usage !== undefined) {
        const candidate: Json = finish !== undefined ? { finishReason: encodeFinishReason(finish) } : {};
        frames.push(chunk(candidate, usage ? { usageMetadata: encodeUsage(usage) } : {}));
      }
      return frames;
    },
    error(e: ErrorInfo): Frame[] {
      return [frame(encodeError(e))];
    },
  };
}
