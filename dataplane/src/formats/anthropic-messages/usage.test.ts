import type { Frame, Usage } from '../ir';
import { anthropicMessagesFormat as fmt } from './index';
import text from './fixtures/response-text.json';

describe('anthropic-messages usageOf', () => {
  it.each<[string, unknown, Usage | undefined]>([
    [
      'the recorded response (cache writes count as input)',
      text,
      { inputTokens: 4146, outputTokens: 503, cachedInputTokens: 0, cacheWriteInputTokens: 2051 },
    ],
    [
      'cache reads and thinking tokens',
      {
        usage: {
          input_tokens: 5,
          cache_read_input_tokens: 95,
          output_tokens: 30,
          output_tokens_details: { thinking_tokens: 12 },
        },
      },
      { inputTokens: 100, outputTokens: 30, cachedInputTokens: 95, reasoningTokens: 12 },
    ],
    [
      'null cache counts',
      { usage: { input_tokens: 7, output_tokens: 3, cache_read_input_tokens: null } },
      { inputTokens: 7, outputTokens: 3 },
    ],
    ['no usage', { id: 'msg' }, undefined],
    ['an empty usage', { usage: {} }, undefined],
    ['not an object', 'text', undefined],
  ])('reads %s', (_name, body, usage) => {
    expect(fmt.usageOf(body)).toEqual(usage);
  });
});

describe('anthropic-messages usageOfFrame', () => {
  const f = (data: unknown, event?: string): Frame =>
    event === undefined ? { data: JSON.stringify(data) } : { event, data: JSON.stringify(data) };

  it.each<[string, Frame, Partial<Usage> | undefined]>([
    [
      'message_start',
      f(
        {
          type: 'message_start',
          message: {
            id: 'm',
            model: 'c',
            usage: {
              input_tokens: 25,
              cache_creation_input_tokens: 5,
              cache_read_input_tokens: 70,
              output_tokens: 1,
            },
          },
        },
        'message_start',
      ),
      { inputTokens: 100, outputTokens: 1, cachedInputTokens: 70, cacheWriteInputTokens: 5 },
    ],
    [
      'message_delta with output only',
      f({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 15 } }),
      { outputTokens: 15 },
    ],
    [
      'message_delta with all counts',
      f({
        type: 'message_delta',
        delta: { stop_reason: 'tool_use' },
        usage: {
          input_tokens: 472,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 1024,
          output_tokens: 89,
        },
      }),
      { inputTokens: 1496, outputTokens: 89, cachedInputTokens: 1024, cacheWriteInputTokens: 0 },
    ],
    [
      'message_delta with input but no cache counts (input stays from message_start)',
      f({
        type: 'message_delta',
        delta: {},
        usage: { input_tokens: 10, cache_read_input_tokens: null, output_tokens: 4 },
      }),
      { outputTokens: 4 },
    ],
    [
      'a text delta',
      f({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } }),
      undefined,
    ],
    ['a ping', f({ type: 'ping' }, 'ping'), undefined],
    ['malformed data', { event: 'message_delta', data: '{"type":' }, undefined],
  ])('reads %s', (_name, frame, usage) => {
    expect(fmt.usageOfFrame(frame)).toEqual(usage);
  });
});
