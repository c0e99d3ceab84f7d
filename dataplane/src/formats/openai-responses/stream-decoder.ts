import type { Frame, StreamDecoder, StreamEvent } from '../ir';
import { frameJson, isObject, UpstreamFormatError, type Json } from '../wire';
import { errorMessage, stopReasonOf } from './response';
import { decodeUsage } from './usage';

interface Call {
  index: number;
  arguments: string;
}

/**
 * Responses streaming events → neutral events. Text comes from `output_text.delta` (and
 * `refusal.delta`: a refusal is what the model said), tool calls from `function_call` items and
 * their argument deltas, and the finish and usage from the terminal `response.completed` or
 * `response.incomplete`. Events that add nothing to the IR (content parts, reasoning, annotations,
 * the `.done` echoes) are skipped; `error` and `response.failed` throw.
 */
export function streamDecoder(): StreamDecoder {
  return new ResponsesStreamDecoder();
}

class ResponsesStreamDecoder implements StreamDecoder {
  private started = false;
  /** Function calls by item id and by output index: argument events name both. */
  private readonly byItem = new Map<string, Call>();
  private readonly byOutput = new Map<number, Call>();
  private calls = 0;

  push(f: Frame): StreamEvent[] {
    if (f.data.trim() === '[DONE]') return [];
    const data = frameJson(f);
    const type = typeof data.type === 'string' ? data.type : f.event;
    const out: StreamEvent[] = [];
    switch (type) {
      case 'response.created':
      case 'response.queued':
      case 'response.in_progress':
        this.start(out, data);
        break;
      case 'response.output_item.added':
      case 'response.output_item.done':
        this.item(out, data);
        break;
      case 'response.output_text.delta':
      case 'response.refusal.delta':
        if (typeof data.delta !== 'string') throw new UpstreamFormatError(`${type} without delta`);
        if (data.delta !== '') out.push({ type: 'text', text: data.delta });
        break;
      case 'response.function_call_arguments.delta': {
        if (typeof data.delta !== 'string') throw new UpstreamFormatError(`${type} without delta`);
        const call = this.call(data);
        call.arguments += data.delta;
        if (data.delta !== '')
          out.push({ type: 'tool_call_delta', index: call.index, arguments: data.delta });
        break;
      }
      case 'response.function_call_arguments.done':
        if (typeof data.arguments === 'string') this.catchUp(out, this.call(data), data.arguments);
        break;
      case 'response.completed':
      case 'response.incomplete': {
        const response = this.start(out, data);
        const output = Array.isArray(response.output) ? response.output : [];
        const content = this.calls > 0 || output.some((o) => isObject(o) && o.type === 'function_call');
        out.push({
          type: 'finish',
          stopReason: stopReasonOf(response, content ? [{ type: 'tool_call' }] : []),
        });
        const usage = decodeUsage(response.usage);
        if (usage) out.push({ type: 'usage', usage });
        break;
      }
      case 'response.failed':
        throw new UpstreamFormatError(
          `upstream response failed: ${errorMessage(isObject(data.response) ? data.response.error : undefined)}`,
        );
      case 'error':
        // The documented event is flat ({code, message, param}); some deployments nest it under `error`.
        throw new UpstreamFormatError(
          `upstream stream error: ${typeof data.message === 'string' ? data.message : errorMessage(data.error)}`,
        );
      default:
        break;
    }
    return out;
  }

  /** `start` from the first lifecycle event; returns that event's response. */
  private start(out: StreamEvent[], data: Json): Json {
    const response = data.response;
    if (!isObject(response) || typeof response.id !== 'string')
      throw new UpstreamFormatError(`${String(data.type)} without a response`);
    if (!this.started) {
      this.started = true;
      out.push({
        type: 'start',
        id: response.id,
        model: typeof response.model === 'string' ? response.model : '',
      });
    }
    return response;
  }

  /** A function_call item starts a tool call; its `.done` (or a lone one) supplies arguments not yet streamed. */
  private item(out: StreamEvent[], data: Json): void {
    const item = data.item;
    if (!isObject(item) || typeof data.output_index !== 'number')
      throw new UpstreamFormatError(`${String(data.type)} without item or output_index`);
    if (item.type !== 'function_call') return;
    const { call_id, name, arguments: args } = item;
    if (typeof call_id !== 'string' || typeof name !== 'string')
      throw new UpstreamFormatError('function_call item without call_id or name');
    let call = this.byOutput.get(data.output_index);
    if (!call) {
      call = { index: this.calls++, arguments: '' };
      this.byOutput.set(data.output_index, call);
      if (typeof item.id === 'string') this.byItem.set(item.id, call);
      out.push({ type: 'tool_call_start', index: call.index, id: call_id, name });
    }
    if (typeof args === 'string') this.catchUp(out, call, args);
  }

  private call(data: Json): Call {
    const call =
      (typeof data.item_id === 'string' ? this.byItem.get(data.item_id) : undefined) ??
      (typeof data.output_index === 'number' ? this.byOutput.get(data.output_index) : undefined);
    if (!call) throw new UpstreamFormatError(`${String(data.type)} for an unknown function call`);
    return call;
  }

  /** Emits what a complete `arguments` text adds to what was streamed, when it extends it. */
  private catchUp(out: StreamEvent[], call: Call, full: string): void {
    if (full.length > call.arguments.length && full.startsWith(call.arguments)) {
      out.push({ type: 'tool_call_delta', index: call.index, arguments: full.slice(call.arguments.length) });
      call.arguments = full;
    }
  }
}
