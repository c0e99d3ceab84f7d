import { fixtureJson } from '../../testing/codec';
import type { ChatRequest, ChatResponse } from '../ir';
import { UpstreamFormatError } from '../wire';
import { openAIResponsesFormat as fmt, encodeResponse } from './index';

const fixture = (name: string) => fixtureJson(__dirname, name);

const NOW = 1756414434;
beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(NOW * 1000));
afterEach(() => jest.restoreAllMocks());

const ID = /^(msg|fc)_[A-Za-z0-9_-]{16}$/;

/** Every key the `openai` SDK's `Response` type marks required, except the SDK-computed `output_text`. */
const REQUIRED = [
  'id',
  'created_at',
  'error',
  'incomplete_details',
  'instructions',
  'metadata',
  'model',
  'object',
  'output',
  'parallel_tool_calls',
  'temperature',
  'tool_choice',
  'tools',
  'top_p',
];

describe('openai-responses decodeResponse', () => {
  it.each<[string, string, ChatResponse]>([
    [
      'text',
      'response-text.json',
      {
        id: 'resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b',
        model: 'gpt-4.1-2025-04-14',
        content: [
          {
            type: 'text',
            text: 'In a peaceful grove beneath a silver moon, a unicorn named Lumina discovered a hidden pool that reflected the stars.',
          },
        ],
        stopReason: 'end',
        usage: { inputTokens: 36, outputTokens: 87, cachedInputTokens: 0, reasoningTokens: 0 },
      },
    ],
    [
      'parallel tool calls',
      'response-tools.json',
      {
        id: 'resp_68b0c1e2a4f88194b0d6c6b8e4f0e1a20b9c7d1e2f3a4b5c',
        model: 'gpt-4.1-2025-04-14',
        content: [
          {
            type: 'tool_call',
            id: 'call_Fp3yBHmcUv2mM8pMn4HxZk7a',
            name: 'get_weather',
            arguments: '{"city":"Paris"}',
          },
          {
            type: 'tool_call',
            id: 'call_Qn7tKdWsZx1cR5vLp9JbYe2h',
            name: 'get_weather',
            arguments: '{"city":"Rome"}',
          },
        ],
        stopReason: 'tool_calls',
        usage: { inputTokens: 1288, outputTokens: 46, cachedInputTokens: 1152, reasoningTokens: 0 },
      },
    ],
    [
      'incomplete at max_output_tokens, reasoning item skipped',
      'response-incomplete.json',
      {
        id: 'resp_6813a9f1b2c48191a8e5d1f0c3b7a6d50e4f2a1b3c5d7e9f',
        model: 'o4-mini-2025-04-16',
        content: [{ type: 'text', text: 'The three laws of thermodynamics are' }],
        stopReason: 'max_tokens',
        usage: { inputTokens: 22, outputTokens: 64, cachedInputTokens: 0, reasoningTokens: 56 },
      },
    ],
  ])('decodes the recorded %s response', (_name, file, expected) => {
    expect(fmt.decodeResponse(fixture(file))).toStrictEqual(expected);
  });

  it('reads content_filter, refusals and cache writes', () => {
    const body = {
      ...fixture('response-text.json'),
      status: 'incomplete',
      incomplete_details: { reason: 'content_filter' },
      output: [
        {
          type: 'message',
          id: 'msg_1',
          status: 'incomplete',
          role: 'assistant',
          content: [{ type: 'refusal', refusal: 'I cannot help with that.' }],
        },
      ],
      usage: {
        input_tokens: 10,
        input_tokens_details: { cached_tokens: 4, cache_write_tokens: 6 },
        output_tokens: 5,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 15,
      },
    };
    expect(fmt.decodeResponse(body)).toMatchObject({
      content: [{ type: 'text', text: 'I cannot help with that.' }],
      stopReason: 'content_filter',
      usage: {
        inputTokens: 10,
        outputTokens: 5,
        cachedInputTokens: 4,
        cacheWriteInputTokens: 6,
        reasoningTokens: 0,
      },
    });
  });

  it.each<[string, unknown, RegExp]>([
    ['not an object', 'nope', /not an OpenAI Responses/],
    [
      'a chat completion',
      { id: 'chatcmpl-1', object: 'chat.completion', choices: [] },
      /not an OpenAI Responses/,
    ],
    [
      'a failed response',
      {
        id: 'resp_1',
        object: 'response',
        status: 'failed',
        output: [],
        error: { code: 'server_error', message: 'boom' },
      },
      /boom/,
    ],
    [
      'a background response still queued',
      { id: 'resp_1', object: 'response', status: 'queued', output: [] },
      /queued/,
    ],
    [
      'a function call without arguments',
      {
        id: 'resp_1',
        object: 'response',
        status: 'completed',
        output: [{ type: 'function_call', call_id: 'c', name: 'f' }],
      },
      /function_call/,
    ],
    [
      'an unknown message part',
      {
        id: 'resp_1',
        object: 'response',
        status: 'completed',
        output: [{ type: 'message', role: 'assistant', content: [{ type: 'audio' }] }],
      },
      /output_text/,
    ],
  ])('rejects %s with UpstreamFormatError', (_name, body, message) => {
    expect(() => fmt.decodeResponse(body)).toThrow(UpstreamFormatError);
    expect(() => fmt.decodeResponse(body)).toThrow(message);
  });
});

describe('openai-responses encodeResponse', () => {
  const toolCalls: ChatResponse = {
    id: 'resp_abc',
    model: 'gpt-4.1',
    content: [
      { type: 'text', text: 'Checking both.' },
      { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { type: 'tool_call', id: 'call_2', name: 'get_weather', arguments: '{"city":"Rome"}' },
    ],
    stopReason: 'tool_calls',
    usage: {
      inputTokens: 100,
      outputTokens: 20,
      cachedInputTokens: 64,
      cacheWriteInputTokens: 0,
      reasoningTokens: 8,
    },
  };

  it('encodes text and parallel tool calls as the SDK types them', () => {
    expect(fmt.encodeResponse(toolCalls)).toStrictEqual({
      id: 'resp_abc',
      object: 'response',
      created_at: NOW,
      status: 'completed',
      completed_at: NOW,
      background: false,
      error: null,
      incomplete_details: null,
      instructions: null,
      max_output_tokens: null,
      model: 'gpt-4.1',
      output: [
        {
          type: 'message',
          id: expect.stringMatching(ID),
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'Checking both.', annotations: [], logprobs: [] }],
        },
        {
          type: 'function_call',
          id: expect.stringMatching(ID),
          call_id: 'call_1',
          name: 'get_weather',
          arguments: '{"city":"Paris"}',
          status: 'completed',
        },
        {
          type: 'function_call',
          id: expect.stringMatching(ID),
          call_id: 'call_2',
          name: 'get_weather',
          arguments: '{"city":"Rome"}',
          status: 'completed',
        },
      ],
      parallel_tool_calls: true,
      previous_response_id: null,
      store: false,
      temperature: null,
      text: { format: { type: 'text' } },
      tool_choice: 'auto',
      tools: [],
      top_p: null,
      truncation: 'disabled',
      usage: {
        input_tokens: 100,
        input_tokens_details: { cached_tokens: 64, cache_write_tokens: 0 },
        output_tokens: 20,
        output_tokens_details: { reasoning_tokens: 8 },
        total_tokens: 120,
      },
      metadata: {},
    });
  });

  it('has every field the SDK Response type requires', () => {
    const body = fmt.encodeResponse(toolCalls);
    for (const key of REQUIRED) expect(body).toHaveProperty(key);
  });

  it('echoes the request settings when given the request', () => {
    const req: ChatRequest = {
      model: 'gpt-4.1',
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [],
      tools: [{ name: 'get_weather', parameters: { type: 'object' } }],
      toolChoice: { type: 'required' },
      parallelToolCalls: false,
      responseFormat: { type: 'json_schema', name: 'r', schema: { type: 'object' }, strict: true },
      temperature: 0.5,
      topP: 0.9,
      maxTokens: 100,
      stream: false,
      user: 'u1',
    };
    expect(encodeResponse(toolCalls, req)).toMatchObject({
      instructions: 'Be brief.',
      max_output_tokens: 100,
      parallel_tool_calls: false,
      temperature: 0.5,
      top_p: 0.9,
      text: { format: { type: 'json_schema', name: 'r', schema: { type: 'object' }, strict: true } },
      tool_choice: 'required',
      tools: [
        {
          type: 'function',
          name: 'get_weather',
          description: null,
          parameters: { type: 'object' },
          strict: false,
        },
      ],
      user: 'u1',
    });
  });

  it.each<[ChatResponse['stopReason'], string, unknown, string]>([
    ['end', 'completed', null, 'completed'],
    ['stop_sequence', 'completed', null, 'completed'],
    ['max_tokens', 'incomplete', { reason: 'max_output_tokens' }, 'incomplete'],
    ['content_filter', 'incomplete', { reason: 'content_filter' }, 'incomplete'],
  ])('maps stop reason %s to status %s', (stopReason, status, details, itemStatus) => {
    const body = fmt.encodeResponse({
      id: 'r',
      model: 'm',
      content: [{ type: 'text', text: 'Hi' }],
      stopReason,
    });
    expect(body).toMatchObject({
      id: 'resp_r',
      status,
      incomplete_details: details,
      output: [{ status: itemStatus }],
    });
    expect(body.usage).toBeNull();
    expect('completed_at' in body).toBe(status === 'completed');
  });

  it.each<[string, ChatResponse]>([
    ['text and parallel tool calls', toolCalls],
    [
      'several text parts, an incomplete one, and all usage fields',
      {
        id: 'resp_x',
        model: 'm',
        content: [
          { type: 'text', text: 'one' },
          { type: 'text', text: 'two' },
        ],
        stopReason: 'max_tokens',
        usage: {
          inputTokens: 9,
          outputTokens: 3,
          cachedInputTokens: 2,
          cacheWriteInputTokens: 1,
          reasoningTokens: 1,
        },
      },
    ],
    [
      'content filter, no content',
      {
        id: 'resp_y',
        model: 'm',
        content: [],
        stopReason: 'content_filter',
        usage: {
          inputTokens: 1,
          outputTokens: 0,
          cachedInputTokens: 0,
          cacheWriteInputTokens: 0,
          reasoningTokens: 0,
        },
      },
    ],
  ])('round-trips %s: decodeResponse(encodeResponse(res)) equals res', (_name, res) => {
    expect(fmt.decodeResponse(fmt.encodeResponse(res))).toStrictEqual(res);
  });
});
