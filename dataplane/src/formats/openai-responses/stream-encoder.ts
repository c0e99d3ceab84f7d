import type { ChatRequest, ErrorInfo, Frame, StopReason, StreamEncoder, StreamEvent, Usage } from '../ir';
import { frame, newId, type Json } from '../wire';
import {
  functionCallItem,
  messageItem,
  outputText,
  responseObject,
  statusOf,
  type ItemStatus,
  type ResponseStatus,
} from './objects';

interface MessageItem {
  kind: 'message';
  id: string;
  outputIndex: number;
  text: string;
  done: boolean;
}

interface CallItem {
  kind: 'function_call';
  id: string;
  outputIndex: number;
  callId: string;
  name: string;
  arguments: string;
  done: boolean;
}

type Item = MessageItem | CallItem;

/**
 * Neutral stream events → Responses streaming events, every one numbered by `sequence_number` and
 * named (SSE `event:`) by its `type`. The sequence is the documented one: `response.created`,
 * `response.in_progress`, per output item `output_item.added` … `output_item.done`, and last
 * `response.completed` or `response.incomplete` carrying the whole response.
 *
 * A message closes as soon as a tool call starts. Function call items stay open until the finish
 * event, so a source that interleaves the argument deltas of parallel calls (they are addressed by
 * `output_index`) never writes to a closed item. The terminal event waits for `end()`, because usage
 * may arrive after `finish`. `includeUsage` is moot: Responses always reports usage at the end.
 */
export function streamEncoder(opts: { includeUsage: boolean; request?: ChatRequest }): StreamEncoder {
  return new ResponsesStreamEncoder(opts.request);
}

class ResponsesStreamEncoder implements StreamEncoder {
  private seq = 0;
  private started = false;
  private id = '';
  private model = '';
  private readonly createdAt = Math.floor(Date.now() / 1000);
  private readonly items: Item[] = [];
  private message: MessageItem | undefined;
  private readonly calls = new Map<number, CallItem>();
  /** The status each item was closed with; an item still open when the stream fails is incomplete. */
  private readonly closedAs = new Map<Item, ItemStatus>();
  private stopReason: StopReason | undefined;
  private usage: Usage | undefined;

  constructor(private readonly req: ChatRequest | undefined) {}

  push(event: StreamEvent): Frame[] {
    const out: Frame[] = [];
    if (event.type === 'start') {
      if (!this.started) this.begin(out, event.id, event.model);
      return out;
    }
    this.begin(out);
    switch (event.type) {
      case 'text': {
        if (event.text === '') break;
        const m = this.message && !this.message.done ? this.message : this.openMessage(out);
        m.text += event.text;
        this.emit(out, 'response.output_text.delta', {
          item_id: m.id,
          output_index: m.outputIndex,
          content_index: 0,
          delta: event.text,
          logprobs: [],
        });
        break;
      }
      case 'tool_call_start': {
        if (this.message && !this.message.done) this.closeItem(out, this.message, 'completed');
        const call: CallItem = {
          kind: 'function_call',
          id: newId('fc_'),
          outputIndex: this.items.length,
          callId: event.id,
          name: event.name,
          arguments: '',
          done: false,
        };
        this.items.push(call);
        this.calls.set(event.index, call);
        this.emit(out, 'response.output_item.added', {
          output_index: call.outputIndex,
          item: this.snapshot(call, 'in_progress'),
        });
        break;
      }
      case 'tool_call_delta': {
        const call = this.calls.get(event.index);
        if (!call || call.done)
          throw new Error(`tool_call_delta for unknown or finished tool call ${event.index}`);
        call.arguments += event.arguments;
        this.emit(out, 'response.function_call_arguments.delta', {
          item_id: call.id,
          output_index: call.outputIndex,
          delta: event.arguments,
        });
        break;
      }
      case 'finish':
        this.stopReason = event.stopReason;
        this.closeAll(out);
        break;
      case 'usage':
        this.usage = event.usage;
        break;
    }
    return out;
  }

  end(): Frame[] {
    const out: Frame[] = [];
    this.begin(out);
    this.closeAll(out);
    const { status, reason } = statusOf(this.stopReason ?? 'end');
    this.emit(out, status === 'completed' ? 'response.completed' : 'response.incomplete', {
      response: this.response(status, reason),
    });
    return out;
  }

  /** OpenAI's `error` event, then `response.failed` with the response so far, as the API sends them. */
  error(e: ErrorInfo): Frame[] {
    const out: Frame[] = [];
    this.begin(out);
    this.emit(out, 'error', { code: e.code, message: e.message, param: e.param ?? null });
    // The failed response's error code is one of the few the SDK types; the event above has the exact one.
    const code = e.status === 429 ? 'rate_limit_exceeded' : 'server_error';
    this.emit(out, 'response.failed', {
      response: this.response('failed', undefined, { code, message: e.message }),
    });
    return out;
  }

  /** `response.created` and `response.in_progress`, once; a stream that lacks `start` gets a fresh id. */
  private begin(out: Frame[], id?: string, model?: string): void {
    if (this.started) return;
    this.started = true;
    this.id = id ?? newId('resp_');
    this.model = model ?? this.req?.model ?? '';
    const response = this.response('in_progress');
    this.emit(out, 'response.created', { response });
    this.emit(out, 'response.in_progress', { response });
  }

  private openMessage(out: Frame[]): MessageItem {
    const m: MessageItem = {
      kind: 'message',
      id: newId('msg_'),
      outputIndex: this.items.length,
      text: '',
      done: false,
    };
    this.items.push(m);
    this.message = m;
    this.emit(out, 'response.output_item.added', {
      output_index: m.outputIndex,
      item: { type: 'message', id: m.id, status: 'in_progress', role: 'assistant', content: [] },
    });
    this.emit(out, 'response.content_part.added', {
      item_id: m.id,
      output_index: m.outputIndex,
      content_index: 0,
      part: outputText(''),
    });
    return m;
  }

  /** Closes every open item; a cut-off response's last item is the unfinished one. */
  private closeAll(out: Frame[]): void {
    const incomplete = statusOf(this.stopReason ?? 'end').status === 'incomplete';
    this.items.forEach((item, i) => {
      if (!item.done)
        this.closeItem(out, item, incomplete && i === this.items.length - 1 ? 'incomplete' : 'completed');
    });
  }

  private closeItem(out: Frame[], item: Item, status: ItemStatus): void {
    item.done = true;
    const at = { item_id: item.id, output_index: item.outputIndex };
    if (item.kind === 'message') {
      this.emit(out, 'response.output_text.done', { ...at, content_index: 0, text: item.text, logprobs: [] });
      this.emit(out, 'response.content_part.done', { ...at, content_index: 0, part: outputText(item.text) });
    } else {
      this.emit(out, 'response.function_call_arguments.done', {
        ...at,
        name: item.name,
        arguments: item.arguments,
      });
    }
    this.closedAs.set(item, status);
    this.emit(out, 'response.output_item.done', {
      output_index: item.outputIndex,
      item: this.snapshot(item, status),
    });
  }

  private snapshot(item: Item, status: ItemStatus): Json {
    return item.kind === 'message'
      ? messageItem(item.id, [item.text], status)
      : functionCallItem(item.id, { id: item.callId, name: item.name, arguments: item.arguments }, status);
  }

  private response(
    status: ResponseStatus,
    reason?: 'max_output_tokens' | 'content_filter',
    error?: { code: string; message: string },
  ): Json {
    const output =
      status === 'in_progress'
        ? []
        : this.items.map((it) => this.snapshot(it, this.closedAs.get(it) ?? 'incomplete'));
    return responseObject({
      id: this.id,
      model: this.model,
      createdAt: this.createdAt,
      status,
      ...(reason ? { incompleteReason: reason } : {}),
      ...(error ? { error } : {}),
      output,
      ...(this.usage ? { usage: this.usage } : {}),
      ...(this.req ? { req: this.req } : {}),
    });
  }

  private emit(out: Frame[], type: string, fields: Json): void {
    out.push(frame({ type, sequence_number: this.seq++, ...fields }, type));
  }
}
