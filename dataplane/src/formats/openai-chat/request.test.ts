import { TranslationError, type ChatRequest } from '../ir';
import { openAIChatFormat as fmt } from './index';
import { fixtureJson } from '../../testing/codec';
import { goldenRequest } from '../golden-cases';

const fixture = (name: string) => fixtureJson(__dirname, name);

const user = (content: unknown) => ({ model: 'gpt-4o', messages: [{ role: 'user', content }] });

/** The TranslationError a call throws, for asserting its param. */
function translationError(fn: () => unknown): TranslationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TranslationError) return e;
    throw e;
  }
  throw new Error('expected a TranslationError');
}

describe('openai-chat decodeRequest', () => {
  it('decodes a recorded agent request (developer + system, images, parallel calls, tool results)', () => {
    expect(fmt.decodeRequest(fixture('request-agent.json'))).toStrictEqual(goldenRequest('01-rich'));
  });

  it.each<[string, Record<string, unknown>, Partial<ChatRequest>]>([
    ['string content', user('hi'), { messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] }],
    ['empty string content has no part', user(''), { messages: [{ role: 'user', content: [] }] }],
    [
      'a base64 data URL image',
      user([{ type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } }]),
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', source: { kind: 'base64', mediaType: 'image/jpeg', data: '/9j/4AAQ' } },
            ],
          },
        ],
      },
    ],
    ['stop as a string', { ...user('x'), stop: 'END' }, { stop: ['END'] }],
    ['stop as an array', { ...user('x'), stop: ['a', 'b'] }, { stop: ['a', 'b'] }],
    ['legacy max_tokens', { ...user('x'), max_tokens: 100 }, { maxTokens: 100 }],
    [
      'max_completion_tokens wins over max_tokens',
      { ...user('x'), max_tokens: 100, max_completion_tokens: 200 },
      { maxTokens: 200 },
    ],
    ['tool_choice none', { ...user('x'), tool_choice: 'none' }, { toolChoice: { type: 'none' } }],
    ['tool_choice required', { ...user('x'), tool_choice: 'required' }, { toolChoice: { type: 'required' } }],
    [
      'tool_choice a named function',
      { ...user('x'), tool_choice: { type: 'function', function: { name: 'get_weather' } } },
      { toolChoice: { type: 'tool', name: 'get_weather' } },
    ],
    ['parallel_tool_calls false', { ...user('x'), parallel_tool_calls: false }, { parallelToolCalls: false }],
    [
      'response_format text',
      { ...user('x'), response_format: { type: 'text' } },
      { responseFormat: { type: 'text' } },
    ],
    [
      'response_format json_object',
      { ...user('x'), response_format: { type: 'json_object' } },
      { responseFormat: { type: 'json_object' } },
    ],
    [
      'a tool without parameters has an empty parameter list',
      { ...user('x'), tools: [{ type: 'function', function: { name: 'now' } }] },
      { tools: [{ name: 'now', parameters: { type: 'object', properties: {} } }] },
    ],
    [
      'an assistant refusal is kept as text',
      {
        model: 'm',
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: null, refusal: "I can't help with that." },
        ],
      },
      {
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'x' }] },
          { role: 'assistant', content: [{ type: 'text', text: "I can't help with that." }] },
        ],
      },
    ],
    [
      'assistant text parts and a refusal part',
      {
        model: 'm',
        messages: [
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'a' },
              { type: 'refusal', refusal: 'no' },
            ],
          },
        ],
      },
      {
        messages: [
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'a' },
              { type: 'text', text: 'no' },
            ],
          },
        ],
      },
    ],
    [
      'a tool result for an unknown call has no name',
      { model: 'm', messages: [{ role: 'tool', tool_call_id: 'call_x', content: 'ok' }] },
      {
        messages: [
          {
            role: 'user',
            content: [{ type: 'tool_result', toolCallId: 'call_x', content: [{ type: 'text', text: 'ok' }] }],
          },
        ],
      },
    ],
    [
      'neutral values of unsupported fields, and metadata/store/service_tier, are ignored',
      {
        ...user('x'),
        n: 1,
        logprobs: false,
        top_logprobs: 0,
        presence_penalty: 0,
        frequency_penalty: 0,
        logit_bias: {},
        audio: null,
        modalities: ['text'],
        prediction: null,
        seed: null,
        functions: [],
        reasoning_effort: null,
        metadata: { a: 'b' },
        store: true,
        service_tier: 'flex',
        stream_options: { include_usage: true },
        vendor_extension: { a: 1 },
      },
      { model: 'gpt-4o', stream: false },
    ],
  ])('%s', (_name, body, expected) => {
    expect(fmt.decodeRequest(body)).toMatchObject(expected);
  });

  it('keeps a user turn after tool results apart from them', () => {
    const req = fmt.decodeRequest({
      model: 'm',
      messages: [
        {
          role: 'assistant',
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'r' },
        { role: 'user', content: 'next' },
      ],
    });
    expect(req.messages.map((m) => m.content.map((p) => p.type))).toEqual([
      ['tool_call'],
      ['tool_result'],
      ['text'],
    ]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['n > 1', { ...user('x'), n: 2 }, 'n'],
    ['logprobs', { ...user('x'), logprobs: true }, 'logprobs'],
    ['top_logprobs', { ...user('x'), top_logprobs: 3 }, 'top_logprobs'],
    ['presence_penalty', { ...user('x'), presence_penalty: 0.5 }, 'presence_penalty'],
    ['frequency_penalty', { ...user('x'), frequency_penalty: -1 }, 'frequency_penalty'],
    ['logit_bias', { ...user('x'), logit_bias: { '50256': -100 } }, 'logit_bias'],
    ['audio output', { ...user('x'), audio: { voice: 'alloy', format: 'wav' } }, 'audio'],
    ['audio modality', { ...user('x'), modalities: ['text', 'audio'] }, 'modalities'],
    ['prediction', { ...user('x'), prediction: { type: 'content', content: 'x' } }, 'prediction'],
    ['seed', { ...user('x'), seed: 42 }, 'seed'],
    ['web_search_options', { ...user('x'), web_search_options: {} }, 'web_search_options'],
    ['functions', { ...user('x'), functions: [{ name: 'f', parameters: {} }] }, 'functions'],
    ['function_call', { ...user('x'), function_call: 'auto' }, 'function_call'],
    ['reasoning_effort', { ...user('x'), reasoning_effort: 'high' }, 'reasoning_effort'],
    [
      'a system message mid-conversation',
      {
        model: 'm',
        messages: [
          { role: 'user', content: 'a' },
          { role: 'system', content: 'b' },
        ],
      },
      'messages[1]',
    ],
    [
      'input_audio',
      user([{ type: 'input_audio', input_audio: { data: 'UklGR', format: 'wav' } }]),
      'messages[0].content[0]',
    ],
    ['file', user([{ type: 'file', file: { file_id: 'file-abc' } }]), 'messages[0].content[0]'],
    [
      'the function role',
      { model: 'm', messages: [{ role: 'function', name: 'f', content: '1' }] },
      'messages[0].role',
    ],
    ['an unknown role', { model: 'm', messages: [{ role: 'robot', content: '1' }] }, 'messages[0].role'],
    [
      'a legacy assistant function_call',
      {
        model: 'm',
        messages: [{ role: 'assistant', content: null, function_call: { name: 'f', arguments: '{}' } }],
      },
      'messages[0].function_call',
    ],
    [
      'a custom tool',
      { ...user('x'), tools: [{ type: 'custom', custom: { name: 'grep' } }] },
      'tools[0].type',
    ],
    ['an unknown tool_choice string', { ...user('x'), tool_choice: 'any' }, 'tool_choice'],
    [
      'an allowed_tools tool_choice',
      { ...user('x'), tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [] } } },
      'tool_choice.type',
    ],
    [
      'a json_schema without a schema',
      { ...user('x'), response_format: { type: 'json_schema', json_schema: { name: 'a' } } },
      'response_format.json_schema.schema',
    ],
    ['a missing model', { messages: [] }, 'model'],
    ['messages not an array', { model: 'm', messages: {} }, 'messages'],
    ['a non-numeric temperature', { ...user('x'), temperature: 'hot' }, 'temperature'],
    ['a non-boolean stream', { ...user('x'), stream: 'yes' }, 'stream'],
    ['a stop array of numbers', { ...user('x'), stop: [1] }, 'stop[0]'],
    [
      'an image without url',
      user([{ type: 'image_url', image_url: {} }]),
      'messages[0].content[0].image_url.url',
    ],
    [
      'tool call arguments that are not a string',
      {
        model: 'm',
        messages: [
          {
            role: 'assistant',
            tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: {} } }],
          },
        ],
      },
      'messages[0].tool_calls[0].function.arguments',
    ],
    [
      'a tool message without tool_call_id',
      { model: 'm', messages: [{ role: 'tool', content: 'x' }] },
      'messages[0].tool_call_id',
    ],
  ])('refuses %s', (_name, body, param) => {
    expect(translationError(() => fmt.decodeRequest(body)).param).toBe(param);
  });
});

// The rich request's encoding and round trip: testdata/01-rich (golden.test.ts).
describe('openai-chat encodeRequest', () => {
  const base: ChatRequest = { model: 'm', system: [], messages: [], stream: false };

  it.each<[string, Partial<ChatRequest>, Record<string, unknown>]>([
    ['a minimal request: no stream flag, no optional fields', {}, { model: 'm', messages: [] }],
    [
      'a named tool choice',
      { toolChoice: { type: 'tool', name: 'get_weather' } },
      { model: 'm', messages: [], tool_choice: { type: 'function', function: { name: 'get_weather' } } },
    ],
    [
      'tool choice required',
      { toolChoice: { type: 'required' } },
      { model: 'm', messages: [], tool_choice: 'required' },
    ],
    [
      'json_object response format',
      { responseFormat: { type: 'json_object' } },
      { model: 'm', messages: [], response_format: { type: 'json_object' } },
    ],
    [
      'tool results first, then the rest of the user turn',
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'and then?' },
              {
                type: 'tool_result',
                toolCallId: 'c1',
                content: [
                  { type: 'text', text: 'a' },
                  { type: 'text', text: 'b' },
                ],
              },
              { type: 'tool_result', toolCallId: 'c2', content: [], isError: true },
            ],
          },
        ],
      },
      {
        model: 'm',
        messages: [
          {
            role: 'tool',
            tool_call_id: 'c1',
            content: [
              { type: 'text', text: 'a' },
              { type: 'text', text: 'b' },
            ],
          },
          { role: 'tool', tool_call_id: 'c2', content: '' },
          { role: 'user', content: 'and then?' },
        ],
      },
    ],
    [
      'an error tool result keeps its text as is',
      {
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                toolCallId: 'c1',
                content: [{ type: 'text', text: 'ENOENT' }],
                isError: true,
              },
            ],
          },
        ],
      },
      { model: 'm', messages: [{ role: 'tool', tool_call_id: 'c1', content: 'ENOENT' }] },
    ],
    [
      'assistant text with a tool call',
      {
        messages: [
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'Let me check.' },
              { type: 'tool_call', id: 'c1', name: 'f', arguments: '{}' },
            ],
          },
        ],
      },
      {
        model: 'm',
        messages: [
          {
            role: 'assistant',
            content: 'Let me check.',
            tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
          },
        ],
      },
    ],
  ])('%s', (_name, patch, expected) => {
    expect(fmt.encodeRequest({ ...base, ...patch })).toStrictEqual(expected);
  });

  it.each<[string, Partial<ChatRequest>, string]>([
    [
      'an image in a tool result',
      {
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                toolCallId: 'c1',
                content: [{ type: 'image', source: { kind: 'url', url: 'https://example.com/a.png' } }],
              },
            ],
          },
        ],
      },
      'messages[0].content[0].content[0]',
    ],
    [
      'an image in an assistant turn',
      {
        messages: [
          {
            role: 'assistant',
            content: [{ type: 'image', source: { kind: 'url', url: 'https://x/a.png' } }],
          },
        ],
      },
      'messages[0].content[0]',
    ],
    [
      'a tool call in a user turn',
      { messages: [{ role: 'user', content: [{ type: 'tool_call', id: 'c', name: 'f', arguments: '{}' }] }] },
      'messages[0].content[0]',
    ],
    [
      'a tool result in an assistant turn',
      { messages: [{ role: 'assistant', content: [{ type: 'tool_result', toolCallId: 'c', content: [] }] }] },
      'messages[0].content[0]',
    ],
  ])('refuses %s', (_name, patch, param) => {
    expect(translationError(() => fmt.encodeRequest({ ...base, ...patch })).param).toBe(param);
  });
});
