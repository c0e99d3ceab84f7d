import { TranslationError, type ChatResponse, type StopReason } from '../ir';
import { UpstreamFormatError } from '../wire';
import { anthropicMessagesFormat as fmt } from './index';
import text from './fixtures/response-text.json';
import toolUse from './fixtures/response-tool-use.json';
import stopSequence from './fixtures/response-stop-sequence.json';

describe('anthropic-messages decodeResponse', () => {
  it('decodes a text reply with cache writes folded into inputTokens', () => {
    expect(fmt.decodeResponse(text)).toEqual<ChatResponse>({
      id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
      model: 'claude-sonnet-4-5-20250929',
      content: [{ type: 'text', text: 'Hi! My name is Claude.' }],
      stopReason: 'end',
      usage: { inputTokens: 4146, outputTokens: 503, cachedInputTokens: 0, cacheWriteInputTokens: 2051 },
    });
  });

  it('decodes parallel tool_use blocks as tool calls with JSON arguments', () => {
    expect(fmt.decodeResponse(toolUse)).toEqual<ChatResponse>({
      id: 'msg_01Aq9w938a90dw8q',
      model: 'claude-sonnet-4-5-20250929',
      content: [
        { type: 'text', text: "I'll check the current weather in both cities for you." },
        {
          type: 'tool_call',
          id: 'toolu_01A09q90qw90lq917835lq9',
          name: 'get_weather',
          arguments: '{"city":"Paris"}',
        },
        {
          type: 'tool_call',
          id: 'toolu_01B8xq90qw90lq917835lr1',
          name: 'get_weather',
          arguments: '{"city":"Rome"}',
        },
      ],
      stopReason: 'tool_calls',
      usage: { inputTokens: 1496, outputTokens: 92, cachedInputTokens: 1024, cacheWriteInputTokens: 0 },
    });
  });

  it('decodes a stop sequence and null cache counts', () => {
    expect(fmt.decodeResponse(stopSequence)).toEqual<ChatResponse>({
      id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
      model: 'claude-haiku-4-5-20251001',
      content: [{ type: 'text', text: '1, 2, 3, 4' }],
      stopReason: 'stop_sequence',
      stopSequence: ', 5',
      usage: { inputTokens: 14, outputTokens: 12 },
    });
  });

  it.each<[string, StopReason]>([
    ['end_turn', 'end'],
    ['max_tokens', 'max_tokens'],
    ['stop_sequence', 'stop_sequence'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['pause_turn', 'end'],
    ['model_context_window_exceeded', 'max_tokens'],
    ['some_future_reason', 'end'],
  ])('maps stop_reason %s to %s', (wire, neutral) => {
    expect(fmt.decodeResponse({ ...text, stop_reason: wire }).stopReason).toBe(neutral);
  });

  it('skips thinking blocks and reads thinking tokens as reasoning tokens', () => {
    const res = fmt.decodeResponse({
      ...text,
      content: [
        { type: 'thinking', thinking: 'Let me think', signature: 'EqQB' },
        { type: 'redacted_thinking', data: 'EmwKAhgB' },
        { type: 'text', text: 'Done.' },
      ],
      usage: { input_tokens: 10, output_tokens: 50, output_tokens_details: { thinking_tokens: 40 } },
    });
    expect(res.content).toEqual([{ type: 'text', text: 'Done.' }]);
    expect(res.usage).toEqual({ inputTokens: 10, outputTokens: 50, reasoningTokens: 40 });
  });

  it.each<[string, unknown]>([
    ['a non-object', 'oops'],
    ['an error body', { type: 'error', error: { type: 'api_error', message: 'x' } }],
    ['a message without id', { ...text, id: undefined }],
    ['content that is not an array', { ...text, content: 'Hi' }],
    ['a text block without text', { ...text, content: [{ type: 'text' }] }],
    ['a tool_use without input', { ...text, content: [{ type: 'tool_use', id: 't', name: 'n' }] }],
    [
      'a server tool block',
      { ...text, content: [{ type: 'server_tool_use', id: 's', name: 'web_search', input: {} }] },
    ],
    ['a missing stop_reason', { ...text, stop_reason: null }],
  ])('rejects %s with UpstreamFormatError', (_name, body) => {
    expect(() => fmt.decodeResponse(body)).toThrow(UpstreamFormatError);
  });
});

describe('anthropic-messages encodeResponse', () => {
  it('encodes text, parallel tool calls, stop reason and usage with cache counts subtracted', () => {
    expect(
      fmt.encodeResponse({
        id: 'msg_1',
        model: 'claude-sonnet-4-5',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { type: 'tool_call', id: 'call_2', name: 'get_weather', arguments: '{"city":"Rome"}' },
        ],
        stopReason: 'tool_calls',
        usage: { inputTokens: 100, outputTokens: 20, cachedInputTokens: 60, reasoningTokens: 5 },
      }),
    ).toEqual({
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [
        { type: 'text', text: 'Checking.' },
        { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'call_2', name: 'get_weather', input: { city: 'Rome' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: {
        input_tokens: 40,
        cache_creation_input_tokens: null,
        cache_read_input_tokens: 60,
        output_tokens: 20,
        output_tokens_details: { thinking_tokens: 5 },
      },
    });
  });

  it.each<[StopReason, string]>([
    ['end', 'end_turn'],
    ['max_tokens', 'max_tokens'],
    ['stop_sequence', 'stop_sequence'],
    ['tool_calls', 'tool_use'],
    ['content_filter', 'refusal'],
  ])('maps stop reason %s to %s', (neutral, wire) => {
    const body = fmt.encodeResponse({
      id: 'm',
      model: 'c',
      content: [],
      stopReason: neutral,
      stopSequence: 'X',
    });
    expect(body.stop_reason).toBe(wire);
    expect(body.stop_sequence).toBe(neutral === 'stop_sequence' ? 'X' : null);
  });

  it('refuses unparseable tool arguments', () => {
    expect(() =>
      fmt.encodeResponse({
        id: 'm',
        model: 'c',
        content: [{ type: 'tool_call', id: 'c1', name: 'f', arguments: '{"a":' }],
        stopReason: 'tool_calls',
      }),
    ).toThrow(TranslationError);
  });

  it('round-trips a rich response', () => {
    const res: ChatResponse = {
      id: 'msg_rt',
      model: 'claude-opus-4-1',
      content: [
        { type: 'text', text: 'Two calls:' },
        { type: 'tool_call', id: 'toolu_a', name: 'lookup', arguments: '{"q":"a","n":[1,2]}' },
        { type: 'tool_call', id: 'toolu_b', name: 'lookup', arguments: '{}' },
        { type: 'text', text: 'and after.' },
      ],
      stopReason: 'stop_sequence',
      stopSequence: 'STOP',
      usage: {
        inputTokens: 1000,
        outputTokens: 300,
        cachedInputTokens: 700,
        cacheWriteInputTokens: 200,
        reasoningTokens: 120,
      },
    };
    expect(fmt.decodeResponse(fmt.encodeResponse(res))).toEqual(res);
    expect(fmt.encodeResponse(res).usage).toMatchObject({
      input_tokens: 100,
      cache_read_input_tokens: 700,
      cache_creation_input_tokens: 200,
    });
  });
});
