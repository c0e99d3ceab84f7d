import type { ChatResponse, StreamEvent, TextPart, ToolCallPart } from './ir';

/**
 * A whole response as stream events (a cached answer sent to a streaming client): one text event
 * per text part, each tool call whole, then finish and usage.
 */
export function eventsOf(res: ChatResponse): StreamEvent[] {
  const events: StreamEvent[] = [{ type: 'start', id: res.id, model: res.model }];
  let index = 0;
  for (const part of res.content) {
    if (part.type === 'text') {
      events.push({ type: 'text', text: part.text });
    } else {
      events.push({ type: 'tool_call_start', index, id: part.id, name: part.name });
      events.push({ type: 'tool_call_delta', index, arguments: part.arguments });
      index++;
    }
  }
  events.push({
    type: 'finish',
    stopReason: res.stopReason,
    ...(res.stopSequence !== undefined ? { stopSequence: res.stopSequence } : {}),
  });
  if (res.usage) events.push({ type: 'usage', usage: res.usage });
  return events;
}

/**
 * Builds the whole response from a stream's events, as they pass: adjacent text joins into one
 * part, tool calls collect their argument pieces by index. `result()` is undefined until the
 * stream has finished (an interrupted stream is not a response).
 */
export class StreamAssembler {
  private id = '';
  private model = '';
  private readonly content: (TextPart | ToolCallPart)[] = [];
  private readonly calls = new Map<number, ToolCallPart>();
  private finish: Extract<StreamEvent, { type: 'finish' }> | undefined;
  private usage: ChatResponse['usage'];

  push(event: StreamEvent): void {
    switch (event.type) {
      case 'start':
        this.id = event.id;
        this.model = event.model;
        return;
      case 'text': {
        const last = this.content[this.content.length - 1];
        if (last?.type === 'text') last.text += event.text;
        else this.content.push({ type: 'text', text: event.text });
        return;
      }
      case 'tool_call_start': {
        const call: ToolCallPart = { type: 'tool_call', id: event.id, name: event.name, arguments: '' };
        this.calls.set(event.index, call);
        this.content.push(call);
        return;
      }
      case 'tool_call_delta': {
        const call = this.calls.get(event.index);
        if (call) call.arguments += event.arguments;
        return;
      }
      case 'finish':
        this.finish = event;
        return;
      case 'usage':
        this.usage = event.usage;
        return;
    }
  }

  result(): ChatResponse | undefined {
    if (!this.finish) return undefined;
    return {
      id: this.id,
      model: this.model,
      content: this.content,
      stopReason: this.finish.stopReason,
      ...(this.finish.stopSequence !== undefined ? { stopSequence: this.finish.stopSequence } : {}),
      ...(this.usage ? { usage: this.usage } : {}),
    };
  }
}
