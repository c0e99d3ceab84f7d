import type { ErrorInfo, Frame, StreamDecoder, StreamEncoder, StreamEvent, Usage } from '../ir';
import {
  frame,
  frameJson,
  isObject,
  newId,
  optionalString,
  string,
  UpstreamFormatError,
  type Json,
} from '../wire';
import { encodeError } from './errors';
import { fromFinishReason, toFinishReason } from './finish';
import { fromUpstream } from './upstream';
import { fromWireUsage, toWireUsage, wireUsageOf } from './usage';

const DONE: Frame = { data: '[DONE]' };

/**
 * Neutral events → `chat.completion.chunk` frames, as OpenAI streams them: a role chunk, content
 * and tool-call deltas, a finish chunk with an empty delta, then (when the client asked for it) a
 * usage chunk with no choices, and `[DONE]`. Usage is held back until the end, so the finish chunk
 * comes first whatever order the neutral events arrive in.
 */
export function streamEncoder(opts: { includeUsage: boolean }): StreamEncoder {
  let head: Json | undefined;
  let usage: Usage | undefined;
  const created = Math.floor(Date.now() / 1000);

  const start = (id: string, model: string): Frame[] => {
    head = { id, object: 'chat.completion.chunk', created, model };
    return [chunk({ role: 'assistant', content: '', refusal: null }, null)];
  };
  // Events before `start` should not happen; a made-up head keeps the stream well-formed anyway.
  const ensureStarted = (): Frame[] => (head === undefined ? start(newId('chatcmpl-'), '') : []);
  const chunk = (delta: Json, finish: string | null): Frame =>
    frame({
      ...head,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(opts.includeUsage ? { usage: null } : {}),
    });

  return {
    push(e: StreamEvent): Frame[] {
      if (e.type === 'start') return head === undefined ? start(e.id, e.model) : [];
      const out = ensureStarted();
      switch (e.type) {
        case 'text':
          out.push(chunk({ content: e.text }, null));
          break;
        case 'tool_call_start':
          out.push(
            chunk(
              {
                tool_calls: [
                  { index: e.index, id: e.id, type: 'function', function: { name: e.name, arguments: '' } },
                ],
              },
              null,
            ),
          );
          break;
        case 'tool_call_delta':
          out.push(chunk({ tool_calls: [{ index: e.index, function: { arguments: e.arguments } }] }, null));
          break;
        case 'finish':
          out.push(chunk({}, toFinishReason(e.stopReason)));
          break;
        case 'usage':
          usage = e.usage; // totals so far: the last one wins
          break;
      }
      return out;
    },
    end(): Frame[] {
      const out = ensureStarted();
      if (opts.includeUsage && usage !== undefined)
        out.push(frame({ ...head, choices: [], usage: toWireUsage(usage) }));
      out.push(DONE);
      return out;
    },
    error(e: ErrorInfo): Frame[] {
      return [frame(encodeError(e))];
    },
  };
}

/**
 * Upstream chunks → neutral events. Tool calls are keyed by the upstream's `index` (and id, for
 * servers that reuse an index for the next call) and renumbered 0, 1, … in order of appearance.
 * `[DONE]` carries nothing; an `{"error": …}` frame is the upstream failing mid-stream.
 */
export function streamDecoder(): StreamDecoder {
  let started = false;
  const calls = new Map<number, { id: string; index: number }>();
  let nextIndex = 0;

  return {
    push(f: Frame): StreamEvent[] {
      if (f.data.trim() === '[DONE]') return [];
      const c = frameJson(f);
      if (c.error !== undefined && c.error !== null) {
        const msg = isObject(c.error) ? c.error.message : c.error;
        throw new UpstreamFormatError(typeof msg === 'string' ? msg : 'upstream stream error');
      }
      return fromUpstream('malformed chat completion chunk', () => {
        const out: StreamEvent[] = [];
        if (!started) {
          started = true;
          out.push({
            type: 'start',
            id: optionalString(c.id, 'id') ?? newId('chatcmpl-'),
            model: optionalString(c.model, 'model') ?? '',
          });
        }
        const choices = Array.isArray(c.choices) ? c.choices : [];
        for (const raw of choices) {
          if (!isObject(raw) || (raw.index !== undefined && raw.index !== 0)) continue; // n = 1 only
          const delta = isObject(raw.delta) ? raw.delta : {};
          const text = optionalString(delta.content, 'choices[0].delta.content');
          if (text !== undefined && text !== '') out.push({ type: 'text', text });
          // A refusal is what the model said: kept as text, as in non-streamed responses.
          const refusal = optionalString(delta.refusal, 'choices[0].delta.refusal');
          if (refusal !== undefined && refusal !== '') out.push({ type: 'text', text: refusal });
          if (Array.isArray(delta.tool_calls)) toolCallEvents(delta.tool_calls, out);
          if (raw.finish_reason !== undefined && raw.finish_reason !== null)
            out.push({ type: 'finish', stopReason: fromFinishReason(raw.finish_reason, calls.size > 0) });
        }
        const usage = wireUsageOf(c);
        if (usage !== undefined) out.push({ type: 'usage', usage: fromWireUsage(usage) });
        return out;
      });
    },
  };

  function toolCallEvents(list: unknown[], out: StreamEvent[]): void {
    list.forEach((raw, i) => {
      const param = `choices[0].delta.tool_calls[${i}]`;
      if (!isObject(raw)) throw new UpstreamFormatError(`'${param}' must be an object`);
      const wireIndex = typeof raw.index === 'number' ? raw.index : i;
      const id = optionalString(raw.id, `${param}.id`);
      const fn = isObject(raw.function) ? raw.function : {};
      let call = calls.get(wireIndex);
      if (call === undefined || (id !== undefined && id !== '' && id !== call.id)) {
        const name = string(fn.name, `${param}.function.name`);
        call = { id: id || newId('call_'), index: nextIndex++ };
        calls.set(wireIndex, call);
        out.push({ type: 'tool_call_start', index: call.index, id: call.id, name });
      }
      const args = optionalString(fn.arguments, `${param}.function.arguments`);
      if (args !== undefined && args !== '')
        out.push({ type: 'tool_call_delta', index: call.index, arguments: args });
    });
  }
}
