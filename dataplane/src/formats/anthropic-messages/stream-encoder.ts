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
  return new AnthropicStreamEncoder();
}

class AnthropicStreamEncoder implements StreamEncoder {
  private start: { id: string; model: string } | undefined;
  private started = false;
  private usage: Usage | undefined;
  private finish: { stopReason: StopReason; stopSequence?: string } | undefined;
  private nextBlock = 0;
  private open: { index: number; kind: 'text' | 'tool' } | undefined;
  private readonly toolBlocks = new Map<number, number>();

  push(e: StreamEvent): Frame[] {
    switch (e.type) {
      case 'start':
        this.start = { id: e.id, model: e.model };
        return [];
      case 'usage':
        this.usage = e.usage;
        return [];
      case 'text':
        return this.text(e.text);
      case 'tool_call_start': {
        const out = this.ensureStarted();
        out.push(...this.openBlock('tool', { type: 'tool_use', id: e.id, name: e.name, input: {} }));
        this.toolBlocks.set(e.index, this.open?.index ?? 0);
        return out;
      }
      case 'tool_call_delta':
        return this.toolCallDelta(e.index, e.arguments);
      case 'finish': {
        const out = [...this.ensureStarted(), ...this.close()];
        this.finish = { stopReason: e.stopReason, stopSequence: e.stopSequence };
        return out;
      }
    }
  }

  end(): Frame[] {
    const out = [...this.ensureStarted(), ...this.close()];
    out.push(messageDelta(this.finish, this.usage), frame({ type: 'message_stop' }, 'message_stop'));
    return out;
  }

  error(e: ErrorInfo): Frame[] {
    return [frame(encodeError(e), 'error')];
  }

  private text(text: string): Frame[] {
    const out = this.ensureStarted();
    if (text === '') return out;
    if (this.open?.kind !== 'text') out.push(...this.openBlock('text', { type: 'text', text: '' }));
    out.push(delta(this.open?.index ?? 0, { type: 'text_delta', text }));
    return out;
  }

  private toolCallDelta(call: number, args: string): Frame[] {
    const index = this.toolBlocks.get(call);
    if (index === undefined)
      throw new UpstreamFormatError(`arguments for tool call ${call} before its start`);
    // A delta for an earlier call (interleaved upstream) still names that call's block.
    return args === '' ? [] : [delta(index, { type: 'input_json_delta', partial_json: args })];
  }

  private ensureStarted(): Frame[] {
    if (this.started) return [];
    this.started = true;
    return [messageStart(this.start, this.usage)];
  }

  private close(): Frame[] {
    if (!this.open) return [];
    const f = frame({ type: 'content_block_stop', index: this.open.index }, 'content_block_stop');
    this.open = undefined;
    return [f];
  }

  private openBlock(kind: 'text' | 'tool', block: object): Frame[] {
    const out = this.close();
    this.open = { index: this.nextBlock++, kind };
    out.push(
      frame(
        { type: 'content_block_start', index: this.open.index, content_block: block },
        'content_block_start',
      ),
    );
    return out;
  }
}

function delta(index: number, d: object): Frame {
  return frame({ type: 'content_block_delta', index, delta: d }, 'content_block_delta');
}

function messageStart(start: { id: string; model: string } | undefined, usage: Usage | undefined): Frame {
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
  return frame({ type: 'message_start', message }, 'message_start');
}

function messageDelta(
  finish: { stopReason: StopReason; stopSequence?: string } | undefined,
  usage: Usage | undefined,
): Frame {
  const reason = finish?.stopReason ?? 'end';
  const usageOut: Record<string, unknown> = usage ? fromUsage(usage) : { output_tokens: 0 };
  // Cache counts not reported stay out of message_delta, so message_start's stand.
  for (const k of ['cache_creation_input_tokens', 'cache_read_input_tokens'])
    if (usageOut[k] === null) delete usageOut[k];
  return frame(
    {
      type: 'message_delta',
      delta: {
        stop_reason: stopReasonToWire(reason),
        stop_sequence: reason === 'stop_sequence' ? (finish?.stopSequence ?? null) : null,
      },
      usage: usageOut,
    },
    'message_delta',
  );
}
