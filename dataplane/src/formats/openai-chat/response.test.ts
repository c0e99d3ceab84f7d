import type { ChatResponse, StopReason } from '../ir';
import { UpstreamFormatError } from '../wire';
import { openAIChatFormat as fmt } from './index';
import { fixtureJson } from '../../testing/codec';

const fixture = (name: string) => fixtureJson(__dirname, name);

const NOW = 1745923902;
beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(NOW * 1000));
afterEach(() => jest.restoreAllMocks());

const toolCalls: ChatResponse = {
  id: 'chatcmpl-BRdk3pQ0zWuV8lXyN2aHcKf5TgE1m',
  model: 'o4-mini-2025-04-16',
  content: [
    {
      type: 'tool_call',
      id: 'call_pA3bR2x7Ue4lq1yTm8sK0vWc',
      name: 'get_weather',
      arguments: '{"city":"Paris"}',
    },
    {
      type: 'tool_call',
      id: 'call_Z9hQ4nN1cB6dE2fG3jK5lM7o',
      name: 'get_weather',
      arguments: '{"city":"Rome"}',
    },
  ],
  stopReason: 'tool_calls',
  usage: { inputTokens: 82, outputTokens: 217, cachedInputTokens: 0, reasoningTokens: 128 },
};

const text: ChatResponse = {
  id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
  model: 'gpt-4o-2024-08-06',
  content: [{ type: 'text', text: 'Paris: 18°C and cloudy. Rome: 24°C and sunny.' }],
  stopReason: 'end',
  usage: { inputTokens: 1117, outputTokens: 46, cachedInputTokens: 1024, reasoningTokens: 0 },
};

function completion(message: Record<string, unknown>, finish: unknown, extra: Record<string, unknown> = {}) {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: NOW,
    model: 'm',
    choices: [
      { index: 0, message: { role: 'assistant', ...message }, logprobs: null, finish_reason: finish },
    ] as Record<string, unknown>[],
    ...extra,
  };
}

describe('openai-chat decodeResponse', () => {
  it.each<[string, string, ChatResponse]>([
    ['a text completion (cached prompt tokens)', 'response-text.json', text],
    ['parallel tool calls (reasoning tokens)', 'response-tool-calls.json', toolCalls],
  ])('decodes %s', (_name, file, expected) => {
    expect(fmt.decodeResponse(fixture(file))).toStrictEqual(expected);
  });

  it.each<[unknown, boolean, StopReason]>([
    ['stop', false, 'end'],
    ['length', false, 'max_tokens'],
    ['tool_calls', true, 'tool_calls'],
    ['content_filter', false, 'content_filter'],
    ['function_call', true, 'tool_calls'],
    [null, false, 'end'],
    ['eos', true, 'tool_calls'],
  ])('maps finish_reason %p (tool calls: %p) to %p', (finish, calls, expected) => {
    const tc = calls
      ? { tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }
      : {};
    expect(fmt.decodeResponse(completion({ content: 'x', ...tc }, finish)).stopReason).toBe(expected);
  });

  it('keeps a refusal as text', () => {
    const res = fmt.decodeResponse(
      completion({ content: null, refusal: "I'm sorry, I can't help with that." }, 'stop'),
    );
    expect(res.content).toEqual([{ type: 'text', text: "I'm sorry, I can't help with that." }]);
  });

  it('reads choice 0 only when there are several', () => {
    const body = completion({ content: 'first' }, 'stop');
    body.choices.push({
      index: 1,
      message: { role: 'assistant', content: 'second' },
      logprobs: null,
      finish_reason: 'stop',
    });
    expect(fmt.decodeResponse(body).content).toEqual([{ type: 'text', text: 'first' }]);
  });

  it('turns a legacy function_call into a tool call', () => {
    const res = fmt.decodeResponse(
      completion({ content: null, function_call: { name: 'f', arguments: '{"a":1}' } }, 'function_call'),
    );
    expect(res.stopReason).toBe('tool_calls');
    expect(res.content).toMatchObject([{ type: 'tool_call', name: 'f', arguments: '{"a":1}' }]);
  });

  it("reads Groq's x_groq.usage when usage is absent", () => {
    const body = completion({ content: 'x' }, 'stop', {
      x_groq: {
        id: 'req_1',
        usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12, queue_time: 0.01 },
      },
    });
    expect(fmt.decodeResponse(body).usage).toEqual({ inputTokens: 10, outputTokens: 2 });
  });

  it.each<[string, unknown, string]>([
    ['an error body', fixture('error-429.json'), 'Rate limit reached'],
    ['not an object', 'oops', 'body'],
    ['no choices', { id: 'a', model: 'm' }, 'choices'],
    ['an empty choices array', { id: 'a', model: 'm', choices: [] }, 'choices[0]'],
    ['numeric content', completion({ content: 5 }, 'stop'), 'choices[0].message.content'],
    [
      'a tool call without a name',
      completion({ tool_calls: [{ id: 'c', type: 'function', function: {} }] }, 'tool_calls'),
      'function.name',
    ],
  ])('throws UpstreamFormatError for %s', (_name, body, text) => {
    expect(() => fmt.decodeResponse(body)).toThrow(UpstreamFormatError);
    expect(() => fmt.decodeResponse(body)).toThrow(text);
  });
});

describe('openai-chat encodeResponse', () => {
  it('encodes parallel tool calls as the documented chat.completion object', () => {
    expect(fmt.encodeResponse(toolCalls)).toStrictEqual({
      id: 'chatcmpl-BRdk3pQ0zWuV8lXyN2aHcKf5TgE1m',
      object: 'chat.completion',
      created: NOW,
      model: 'o4-mini-2025-04-16',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: [
              {
                id: 'call_pA3bR2x7Ue4lq1yTm8sK0vWc',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
              },
              {
                id: 'call_Z9hQ4nN1cB6dE2fG3jK5lM7o',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city":"Rome"}' },
              },
            ],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: {
        prompt_tokens: 82,
        completion_tokens: 217,
        total_tokens: 299,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 128 },
      },
    });
  });

  it('encodes text, joins text parts, and omits usage when unknown', () => {
    const body = fmt.encodeResponse({
      id: 'r1',
      model: 'm',
      content: [
        { type: 'text', text: 'Hello' },
        { type: 'text', text: ' world' },
      ],
      stopReason: 'end',
    });
    expect(body).toStrictEqual({
      id: 'r1',
      object: 'chat.completion',
      created: NOW,
      model: 'm',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello world', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
    });
  });

  it('reports zero cached/reasoning tokens when the usage has none', () => {
    const body = fmt.encodeResponse({
      ...text,
      usage: { inputTokens: 5, outputTokens: 3, cacheWriteInputTokens: 2 },
    });
    expect(body.usage).toEqual({
      prompt_tokens: 5,
      completion_tokens: 3,
      total_tokens: 8,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
  });

  it.each<[StopReason, string]>([
    ['end', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_calls', 'tool_calls'],
    ['content_filter', 'content_filter'],
  ])('maps stop reason %s to finish_reason %s', (reason, finish) => {
    const body = fmt.encodeResponse({
      ...text,
      stopReason: reason,
      stopSequence: reason === 'stop_sequence' ? '\n' : undefined,
    });
    expect((body.choices as { finish_reason: string }[])[0]?.finish_reason).toBe(finish);
  });

  it.each<[string, ChatResponse]>([
    ['text', text],
    ['parallel tool calls', toolCalls],
    [
      'text then a tool call, and an empty reply',
      {
        ...text,
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_call', id: 'c1', name: 'f', arguments: '{}' },
        ],
        stopReason: 'tool_calls',
      },
    ],
    ['an empty reply', { ...text, content: [], stopReason: 'max_tokens' }],
  ])('round-trips %s: decodeResponse(encodeResponse(res)) equals res', (_name, res) => {
    expect(fmt.decodeResponse(fmt.encodeResponse(res))).toStrictEqual(res);
  });
});
