import type { Frame, StreamDecoder, StreamEvent } from '../ir';
import { UpstreamFormatError, frameJson, isObject, type Json } from '../wire';
import { stopReasonFromWire } from './shared';
import { mergeWireUsage, readWireUsage, toUsage, type WireUsage } from './usage';

/**
 * Anthropic's SSE events as neutral stream events. Tool calls are numbered in the order their
 * tool_use blocks start; usage is merged from message_start and message_delta (both carry
 * cumulative counts) and emitted as full totals. Thinking blocks and their deltas are skipped (the
 * gateway never asks for thinking); ping and event types added after this was written are ignored,
 * as Anthropic's versioning policy asks of clients.
 */
export function streamDecoder(): StreamDecoder {
  const blocks: Blocks = { toolOrdinal: new Map<number, number>(), skipped: new Set<number>() };
  let wire: WireUsage = {};

  const usageEvent = (u: unknown): StreamEvent[] => {
    if (!isObject(u)) return [];
    wire = mergeWireUsage(wire, readWireUsage(u));
    return [{ type: 'usage', usage: toUsage(wire) }];
  };

  return {
    push(f: Frame): StreamEvent[] {
      const j = frameJson(f);
      const type = typeof j.type === 'string' ? j.type : f.event;
      switch (type) {
        case 'message_start': {
          const m = j.message;
          if (!isObject(m) || typeof m.id !== 'string' || typeof m.model !== 'string')
            throw new UpstreamFormatError('message_start lacks message id or model');
          return [{ type: 'start', id: m.id, model: m.model }, ...usageEvent(m.usage)];
        }
        case 'content_block_start':
          return blockStart(blocks, j);
        case 'content_block_delta':
          return blockDelta(blocks, j);
        case 'message_delta':
          return [...finishEvent(j), ...usageEvent(j.usage)];
        case 'error': {
          const message = isObject(j.error) && typeof j.error.message === 'string' ? j.error.message : f.data;
          throw new UpstreamFormatError(message);
        }
        default:
          // content_block_stop, message_stop, ping and unknown future events carry nothing to translate.
          return [];
      }
    },
  };
}

/** What a stream's content blocks have been so far: tool calls by block index, skipped blocks. */
interface Blocks {
  readonly toolOrdinal: Map<number, number>;
  readonly skipped: Set<number>;
}

function blockStart(blocks: Blocks, j: Json): StreamEvent[] {
  const index = indexOf(j);
  const block = j.content_block;
  if (!isObject(block)) throw new UpstreamFormatError('content_block_start lacks content_block');
  if (block.type === 'text')
    return typeof block.text === 'string' && block.text !== '' ? [{ type: 'text', text: block.text }] : [];
  if (block.type === 'tool_use') {
    if (typeof block.id !== 'string' || typeof block.name !== 'string')
      throw new UpstreamFormatError('tool_use block lacks id or name');
    const ordinal = blocks.toolOrdinal.size;
    blocks.toolOrdinal.set(index, ordinal);
    const events: StreamEvent[] = [
      { type: 'tool_call_start', index: ordinal, id: block.id, name: block.name },
    ];
    // Anthropic starts tool_use with empty input and streams it; a filled one is sent whole.
    if (isObject(block.input) && Object.keys(block.input).length > 0)
      events.push({ type: 'tool_call_delta', index: ordinal, arguments: JSON.stringify(block.input) });
    return events;
  }
  if (block.type === 'thinking' || block.type === 'redacted_thinking') {
    blocks.skipped.add(index);
    return [];
  }
  throw new UpstreamFormatError(`unexpected Anthropic content block type '${String(block.type)}'`);
}

function blockDelta(blocks: Blocks, j: Json): StreamEvent[] {
  const index = indexOf(j);
  const d = j.delta;
  if (!isObject(d)) throw new UpstreamFormatError('content_block_delta lacks delta');
  switch (d.type) {
    case 'text_delta':
      if (typeof d.text !== 'string') throw new UpstreamFormatError('text_delta lacks text');
      return d.text === '' ? [] : [{ type: 'text', text: d.text }];
    case 'input_json_delta': {
      const ordinal = blocks.toolOrdinal.get(index);
      if (ordinal === undefined || typeof d.partial_json !== 'string')
        throw new UpstreamFormatError('input_json_delta outside a tool_use block');
      return d.partial_json === ''
        ? []
        : [{ type: 'tool_call_delta', index: ordinal, arguments: d.partial_json }];
    }
    case 'thinking_delta':
    case 'signature_delta':
      return [];
    default:
      if (blocks.skipped.has(index)) return [];
      throw new UpstreamFormatError(`unexpected Anthropic delta type '${String(d.type)}'`);
  }
}

/** message_delta's stop reason as a finish event (none when it carries none). */
function finishEvent(j: Json): StreamEvent[] {
  const d = isObject(j.delta) ? j.delta : {};
  if (typeof d.stop_reason !== 'string') return [];
  const stopReason = stopReasonFromWire(d.stop_reason);
  return [
    stopReason === 'stop_sequence' && typeof d.stop_sequence === 'string'
      ? { type: 'finish', stopReason, stopSequence: d.stop_sequence }
      : { type: 'finish', stopReason },
  ];
}

function indexOf(j: Json): number {
  if (typeof j.index !== 'number' || !Number.isInteger(j.index) || j.index < 0)
    throw new UpstreamFormatError(`${String(j.type)} lacks a block index`);
  return j.index;
}
