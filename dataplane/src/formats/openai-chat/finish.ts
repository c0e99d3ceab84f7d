import type { StopReason } from '../ir';

/** OpenAI reports a stop sequence as plain `stop`, without saying which one. */
export function toFinishReason(r: StopReason): string {
  switch (r) {
    case 'end':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
      return 'length';
    case 'tool_calls':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
  }
}

/**
 * Wire → neutral. Compatible servers send values OpenAI does not document (or null): those count
 * as a tool-call stop when the reply called tools, else as a natural end.
 */
export function fromFinishReason(r: unknown, calledTools: boolean): StopReason {
  switch (r) {
    case 'stop':
      return 'end';
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      return calledTools ? 'tool_calls' : 'end';
  }
}
