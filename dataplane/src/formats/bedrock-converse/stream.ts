import type { ErrorInfo, Frame, StreamDecoder, StreamEncoder, StreamEvent, Usage } from '../ir';
import { frame, frameJson, isObject, newId, UpstreamFormatError } from '../wire';
import { streamExceptionForStatus } from './errors';
import {
  stopReasonFromBedrock,
  stopReasonToBedrock,
  stopSequenceOf,
  usageFromBedrock,
  usageToBedrock,
} from './usage';

/**
 * ConverseStream events. Each AWS event-stream message is a frame whose `event` is the
 * `:event-type` header: messageStart, contentBlockStart (tool use only: Bedrock starts text blocks
 * with their first delta), contentBlockDelta, contentBlockStop, messageStop, metadata (usage, after
 * messageStop). Bedrock pads payloads with a random `p` field, which is ignored.
 */

export class BedrockStreamDecoder implements StreamDecoder {
  /** contentBlockIndex → neutral tool-call index. */
  private readonly tools = new Map<number, number>();

  push(f: Frame): StreamEvent[] {
    if (f.event === undefined) throw new UpstreamFormatError('ConverseStream frame has no :event-type');
    const e = frameJson(f);
    if (f.event.endsWith('Exception')) {
      const message = typeof e.message === 'string' ? e.message : 'upstream exception';
      throw new UpstreamFormatError(`${f.event}: ${message}`);
    }
    switch (f.event) {
      case 'messageStart':
        return [{ type: 'start', id: newId('bedrock-'), model: '' }];
      case 'contentBlockStart': {
        const index = blockIndex(e);
        const start = e.start;
        const tool = isObject(start) ? start.toolUse : undefined;
        if (!isObject(tool)) return []; // text, reasoning: nothing to announce
        if (typeof tool.toolUseId !== 'string' || typeof tool.name !== 'string')
          throw new UpstreamFormatError('contentBlockStart toolUse lacks toolUseId or name');
        const toolIndex = this.tools.size;
        this.tools.set(index, toolIndex);
        return [{ type: 'tool_call_start', index: toolIndex, id: tool.toolUseId, name: tool.name }];
      }
      case 'contentBlockDelta': {
        const index = blockIndex(e);
        const delta = e.delta;
        if (!isObject(delta)) throw new UpstreamFormatError('contentBlockDelta has no delta');
        if (typeof delta.text === 'string')
          return delta.text === '' ? [] : [{ type: 'text', text: delta.text }];
        if (isObject(delta.toolUse)) {
          const toolIndex = this.tools.get(index);
          if (toolIndex === undefined)
            throw new UpstreamFormatError(`toolUse delta for block ${index}, which started no tool use`);
          const input = delta.toolUse.input;
          if (typeof input !== 'string') throw new UpstreamFormatError('toolUse delta input is not a string');
          return input === '' ? [] : [{ type: 'tool_call_delta', index: toolIndex, arguments: input }];
        }
        return []; // reasoningContent, citations: not part of the neutral reply
      }
      case 'messageStop': {
        if (typeof e.stopReason !== 'string') throw new UpstreamFormatError('messageStop has no stopReason');
        const stopSequence = stopSequenceOf(e.additionalModelResponseFields);
        const finish: StreamEvent = { type: 'finish', stopReason: stopReasonFromBedrock(e.stopReason) };
        if (stopSequence !== undefined) finish.stopSequence = stopSequence;
        return [finish];
      }
      case 'metadata': {
        const usage = usageFromBedrock(e.usage);
        return usage ? [{ type: 'usage', usage }] : [];
      }
      default:
        return []; // contentBlockStop, and events added later
    }
  }
}

function blockIndex(e: Record<string, unknown>): number {
  const i = e.contentBlockIndex;
  if (typeof i !== 'number' || !Number.isInteger(i) || i < 0)
    throw new UpstreamFormatError('ConverseStream event has no contentBlockIndex');
  return i;
}

/**
 * Neutral events → ConverseStream frames, in the order Bedrock sends them: a block is stopped when
 * the next one starts or the message stops; the usage arrives in one metadata event at the end.
 */
export class BedrockStreamEncoder implements StreamEncoder {
  private nextBlock = 0;
  /** The block now open: its index and, for a tool call, the neutral tool index. */
  private open: { block: number; tool?: number } | undefined;
  private readonly toolBlocks = new Map<number, number>();
  private usage: Usage | undefined;
  private started = false;

  push(e: StreamEvent): Frame[] {
    const out: Frame[] = [];
    if (e.type !== 'start' && e.type !== 'usage') this.ensureStarted(out);
    switch (e.type) {
      case 'start':
        this.ensureStarted(out);
        break;
      case 'text':
        if (this.open === undefined || this.open.tool !== undefined) {
          this.close(out);
          this.open = { block: this.nextBlock++ };
        }
        out.push(frame({ contentBlockIndex: this.open.block, delta: { text: e.text } }, 'contentBlockDelta'));
        break;
      case 'tool_call_start': {
        this.close(out);
        const block = this.nextBlock++;
        this.open = { block, tool: e.index };
        this.toolBlocks.set(e.index, block);
        out.push(
          frame(
            { contentBlockIndex: block, start: { toolUse: { toolUseId: e.id, name: e.name } } },
            'contentBlockStart',
          ),
        );
        break;
      }
      case 'tool_call_delta': {
        const block = this.toolBlocks.get(e.index);
        if (block === undefined)
          throw new UpstreamFormatError(`arguments for tool call ${e.index}, which never started`);
        out.push(
          frame(
            { contentBlockIndex: block, delta: { toolUse: { input: e.arguments } } },
            'contentBlockDelta',
          ),
        );
        break;
      }
      case 'finish': {
        this.close(out);
        const stop: Record<string, unknown> = { stopReason: stopReasonToBedrock(e.stopReason) };
        if (e.stopSequence !== undefined)
          stop.additionalModelResponseFields = { stop_sequence: e.stopSequence };
        out.push(frame(stop, 'messageStop'));
        break;
      }
      case 'usage':
        this.usage = e.usage;
        break;
    }
    return out;
  }

  end(): Frame[] {
    const out: Frame[] = [];
    this.close(out);
    if (this.usage)
      out.push(frame({ usage: usageToBedrock(this.usage), metrics: { latencyMs: 0 } }, 'metadata'));
    return out;
  }

  /** The exception event Bedrock would send for this failure (framed as an exception by the caller). */
  error(e: ErrorInfo): Frame[] {
    return [frame({ message: e.message }, streamExceptionForStatus(e.status))];
  }

  private ensureStarted(out: Frame[]): void {
    if (this.started) return;
    this.started = true;
    out.push(frame({ role: 'assistant' }, 'messageStart'));
  }

  private close(out: Frame[]): void {
    if (this.open === undefined) return;
    out.push(frame({ contentBlockIndex: this.open.block }, 'contentBlockStop'));
    this.open = undefined;
  }
}
