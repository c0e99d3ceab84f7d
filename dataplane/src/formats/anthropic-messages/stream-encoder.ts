import type { ErrorInfo, Frame, StopReason, StreamEncoder, StreamEvent, Usage } from '../ir';
import { UpstreamFormatError, frame, newId } from '../wire';
import { encodeError } from './errors';
import { stopReasonToWire } from './shared';
import { fromUsage } from './usage';

/**
 * Neutral stream events as Anthropic's named SSE events: message_start, then per content block
 * content_block_start / content_block_delta… / content_block_stop (text and tool_use blocks take
 * consecutive indexes), then message_delta and message_stop.
 *
 * message_start waits for the first content so that usage reported right at the start (an Anthropic
 * upstream's input tokens) lands in it; the finish waits for end(), because upstreams such as
 * OpenAI report usage only after their finish, and message_delta must carry it. Anthropic always
 * reports usage, so `includeUsage` changes nothing.
 */
export function streamEncoder(): StreamEncoder {
  let start: { id: string; model: string } | undefined;
  let started = false;
  let usage: Usage | undefined;
  let finish: { stopReason: StopReason; stopSequence?: string } | undefined;
  let nextBlock = 0;
  let open: { index: number; kind: 'text' | 'tool' } | undefined;
  const toolBlocks = new Map<number, number>();

  const ensureStarted = (): Frame[] => {
    if (started) return [];
    started = true;
    const message = {
      id: start?.id ?? newId('msg_'),
      type: 'message',
      role: 'assistant',
      model: start?.model ?? '',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: usage
        ? fromUsage(usage)
        : {
            input_tokens: 0,
            cache_creation_input_tokens: null,
            cache_read_input_tokens: null,
            output_tokens: 0,
          },
    };
    return [frame({ type: 'message_start', message }, 'message_start')];
  };
  const close = (): Frame[] => {
    if (!open) return [];
    const f = frame({ type: 'content_block_stop', index: open.index }, 'content_block_stop');
    open = undefined;
    return [f];
  };
  const openBlock = (kind: 'text' | 'tool', block: object): Frame[] => {
    const out = close();
    open = { index: nextBlock++, kind };
    out.push(
      frame({ type: 'content_block_start', index: open.index, content_block: block }, 'content_block_start'),
    );
    return out;
  };
  const delta = (index: number, d: object): Frame =>
    frame({ type: 'content_block_delta', index, delta: d }, 'content_block_delta');

  return {
    push(e: StreamEvent): Frame[] {
      switch (e.type) {
        case 'start':
          start = { id: e.id, model: e.model };
          return [];
        case 'usage':
          usage = e.usage;
          return [];
        case 'text': {
          const out = ensureStarted();
          if (e.text === '') return out;
          if (open?.kind !== 'text') out.push(...openBlock('text', { type: 'text', text: '' }));
          out.push(delta(open?.index ?? 0, { type: 'text_delta', text: e.text }));
          return out;
        }
        case 'tool_call_start': {
          const out = ensureStarted();
          out.push(...openBlock('tool', { type: 'tool_use', id: e.id, name: e.name, input: {} }));
          toolBlocks.set(e.index, open?.index ?? 0);
          return out;
        }
        case 'tool_call_delta': {
          const index = toolBlocks.get(e.index);
          if (index === undefined)
            throw new UpstreamFormatError(`arguments for tool call ${e.index} before its start`);
          // A delta for an earlier call (interleaved upstream) still names that call's block.
          return e.arguments === ''
            ? []
            : [delta(index, { type: 'input_json_delta', partial_json: e.arguments })];
        }
        case 'finish': {
          const out = [...ensureStarted(), ...close()];
          finish = { stopReason: e.stopReason, stopSequence: e.stopSequence };
          return out;
        }
      }
    },
    end(): Frame[] {
      const out = [...ensureStarted(), ...close()];
      const reason = finish?.stopReason ?? 'end';
      const usageOut: Record<string, unknown> = usage ? fromUsage(usage) : { output_tokens: 0 };
      // Cache counts not reported stay out of message_delta, so message_start's stand.
      for (const k of ['cache_creation_input_tokens', 'cache_read_input_tokens'])
        if (usageOut[k] === null) delete usageOut[k];
      out.push(
        frame(
          {
            type: 'message_delta',
            delta: {
              stop_reason: stopReasonToWire(reason),
              stop_sequence: reason === 'stop_sequence' ? (finish?.stopSequence ?? null) : null,
            },
            usage: usageOut,
          },
          'message_delta',
        ),
        frame({ type: 'message_stop' }, 'message_stop'),
      );
      return out;
    },
    error(e: ErrorInfo): Frame[] {
      return [frame(encodeError(e), 'error')];
    },
  };
}
