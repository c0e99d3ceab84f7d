import { fixtureJson } from '../../testing/codec';
import { TranslationError, type ChatRequest } from '../ir';
import { openAIResponsesFormat as fmt } from './index';

const fixture = (name: string) => fixtureJson(__dirname, name);

const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const weatherParams = {
  type: 'object',
  properties: { city: { type: 'string', description: 'City name' } },
  required: ['city'],
  additionalProperties: false,
};

/** Expects a TranslationError naming `param`. */
function expectTranslationError(fn: () => unknown, param: string, message?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(TranslationError);
  expect((caught as TranslationError).param).toBe(param);
  if (message) expect((caught as TranslationError).message).toMatch(message);
}

describe('openai-responses decodeRequest', () => {
  it('decodes the recorded rich request', () => {
    const req = fmt.decodeRequest(fixture('request-rich.json'));
    expect(req).toStrictEqual<ChatRequest>({
      model: 'gpt-4.1-2025-04-14',
      system: [
        { type: 'text', text: 'You are a concise travel assistant.' },
        { type: 'text', text: 'Answer in metric units.' },
      ],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: "What's the weather in both cities on these photos?" },
            {
              type: 'image',
              source: {
                kind: 'url',
                url: 'https://upload.wikimedia.org/wikipedia/commons/a/a8/Tour_Eiffel_Wikimedia_Commons.jpg',
              },
            },
            { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: PNG } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Let me check both.' },
            {
              type: 'tool_call',
              id: 'call_12xRBFHbbZ9Oi3FIa5SLzFLS',
              name: 'get_weather',
              arguments: '{"city":"Paris"}',
            },
            {
              type: 'tool_call',
              id: 'call_8R3sNnWBdbYyKF7AQEYiChYo',
              name: 'get_weather',
              arguments: '{"city":"Rome"}',
            },
          ],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              toolCallId: 'call_12xRBFHbbZ9Oi3FIa5SLzFLS',
              name: 'get_weather',
              content: [{ type: 'text', text: '18°C, light rain' }],
            },
            {
              type: 'tool_result',
              toolCallId: 'call_8R3sNnWBdbYyKF7AQEYiChYo',
              name: 'get_weather',
              content: [
                { type: 'text', text: '24°C, sunny' },
                { type: 'image', source: { kind: 'url', url: 'https://example.com/radar/rome.png' } },
              ],
            },
          ],
        },
      ],
      tools: [
        {
          name: 'get_weather',
          description: 'Get current temperature for a given city.',
          parameters: weatherParams,
        },
      ],
      toolChoice: { type: 'auto' },
      parallelToolCalls: true,
      responseFormat: {
        type: 'json_schema',
        name: 'weather_report',
        description: 'A short weather report per city.',
        schema: (fixture('request-rich.json').text as { format: { schema: Record<string, unknown> } }).format
          .schema,
        strict: true,
      },
      temperature: 0.2,
      topP: 0.9,
      maxTokens: 512,
      stream: false,
      user: 'user_8f14e45f',
    });
  });

  it.each<[string, Record<string, unknown>, Partial<ChatRequest>]>([
    [
      'string input → one user message',
      { model: 'gpt-4o', input: 'Hello' },
      { messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }], system: [], stream: false },
    ],
    [
      'message without type, string content, stream true',
      { model: 'gpt-4o', input: [{ role: 'user', content: 'Hi' }], stream: true },
      { messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }], stream: true },
    ],
    [
      'system message with string content at the start',
      {
        model: 'gpt-4o',
        input: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
        ],
      },
      { system: [{ type: 'text', text: 'Be brief.' }] },
    ],
    [
      'assistant string content and refusal part',
      {
        model: 'gpt-4o',
        input: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: [{ type: 'refusal', refusal: "I can't help with that." }] },
          { role: 'user', content: 'b' },
        ],
      },
      {
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'a' }] },
          { role: 'assistant', content: [{ type: 'text', text: "I can't help with that." }] },
          { role: 'user', content: [{ type: 'text', text: 'b' }] },
        ],
      },
    ],
    ['tool_choice none', { model: 'm', input: 'x', tool_choice: 'none' }, { toolChoice: { type: 'none' } }],
    [
      'tool_choice required',
      { model: 'm', input: 'x', tool_choice: 'required' },
      { toolChoice: { type: 'required' } },
    ],
    [
      'tool_choice function',
      { model: 'm', input: 'x', tool_choice: { type: 'function', name: 'get_weather' } },
      { toolChoice: { type: 'tool', name: 'get_weather' } },
    ],
    [
      'text.format json_object',
      { model: 'm', input: 'x', text: { format: { type: 'json_object' } } },
      { responseFormat: { type: 'json_object' } },
    ],
    [
      'text.format text',
      { model: 'm', input: 'x', text: { format: { type: 'text' }, verbosity: 'medium' } },
      { responseFormat: { type: 'text' } },
    ],
    [
      'tool without parameters, strict null',
      { model: 'm', input: 'x', tools: [{ type: 'function', name: 'now', parameters: null, strict: null }] },
      { tools: [{ name: 'now', parameters: { type: 'object', properties: {} } }] },
    ],
    [
      'empty function_call_output → a result with no content',
      {
        model: 'm',
        input: [
          { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' },
          { type: 'function_call_output', call_id: 'c1', output: '' },
        ],
      },
      {
        messages: [
          { role: 'assistant', content: [{ type: 'tool_call', id: 'c1', name: 'f', arguments: '{}' }] },
          { role: 'user', content: [{ type: 'tool_result', toolCallId: 'c1', name: 'f', content: [] }] },
        ],
      },
    ],
    ['safety_identifier → user', { model: 'm', input: 'x', safety_identifier: 'sid_1' }, { user: 'sid_1' }],
    [
      'ignored: store, metadata, empty include, null reasoning, prompt_cache_key, service_tier, unknown fields',
      {
        model: 'm',
        input: 'x',
        store: true,
        metadata: { a: 'b' },
        include: [],
        reasoning: null,
        prompt_cache_key: 'k',
        service_tier: 'auto',
        truncation: 'disabled',
        some_future_field: 1,
      },
      {
        model: 'm',
        system: [],
        messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }],
        stream: false,
      },
    ],
  ])('%s', (_name, body, expected) => {
    expect(fmt.decodeRequest(body)).toMatchObject(expected);
  });

  it('decodes a minimal request to exactly the required fields', () => {
    expect(fmt.decodeRequest({ model: 'gpt-4o', input: 'Hi' })).toStrictEqual({
      model: 'gpt-4o',
      system: [],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
      stream: false,
    });
  });

  it.each<[string, Record<string, unknown>, string, RegExp?]>([
    ['missing model', { input: 'x' }, 'model'],
    ['missing input', { model: 'm' }, 'input'],
    ['input not array/string', { model: 'm', input: 3 }, 'input'],
    [
      'previous_response_id',
      { model: 'm', input: 'x', previous_response_id: 'resp_1' },
      'previous_response_id',
      /stateless/,
    ],
    ['conversation', { model: 'm', input: 'x', conversation: 'conv_1' }, 'conversation', /stateless/],
    ['background', { model: 'm', input: 'x', background: true }, 'background', /stateless/],
    ['prompt template', { model: 'm', input: 'x', prompt: { id: 'pmpt_1' } }, 'prompt'],
    ['reasoning effort', { model: 'm', input: 'x', reasoning: { effort: 'high' } }, 'reasoning'],
    ['include', { model: 'm', input: 'x', include: ['message.output_text.logprobs'] }, 'include'],
    ['top_logprobs', { model: 'm', input: 'x', top_logprobs: 5 }, 'top_logprobs'],
    ['truncation auto', { model: 'm', input: 'x', truncation: 'auto' }, 'truncation'],
    ['verbosity', { model: 'm', input: 'x', text: { verbosity: 'low' } }, 'text.verbosity'],
    ['temperature as string', { model: 'm', input: 'x', temperature: '0.5' }, 'temperature'],
    ['stream as string', { model: 'm', input: 'x', stream: 'yes' }, 'stream'],
    ['bad role', { model: 'm', input: [{ role: 'tool', content: 'x' }] }, 'input[0].role'],
    [
      'late developer message',
      {
        model: 'm',
        input: [
          { role: 'user', content: 'x' },
          { role: 'developer', content: 'y' },
        ],
      },
      'input[1].role',
    ],
    [
      'input_image by file_id',
      {
        model: 'm',
        input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1', detail: 'auto' }] }],
      },
      'input[0].content[0].file_id',
    ],
    [
      'input_image with a non-base64 data URL',
      {
        model: 'm',
        input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'data:image/svg+xml,<svg/>' }] }],
      },
      'input[0].content[0].image_url',
    ],
    [
      'input_file',
      { model: 'm', input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }] },
      'input[0].content[0].type',
    ],
    [
      'text part without text',
      { model: 'm', input: [{ role: 'user', content: [{ type: 'input_text' }] }] },
      'input[0].content[0].text',
    ],
    [
      'image in a system message',
      {
        model: 'm',
        input: [{ role: 'system', content: [{ type: 'input_image', image_url: 'https://x/y.png' }] }],
      },
      'input[0].content[0].type',
    ],
    [
      'reasoning item',
      { model: 'm', input: [{ type: 'reasoning', id: 'rs_1', summary: [] }] },
      'input[0].type',
    ],
    [
      'item_reference',
      { model: 'm', input: [{ type: 'item_reference', id: 'msg_1' }] },
      'input[0].type',
      /stateless/,
    ],
    [
      'built-in tool call item',
      { model: 'm', input: [{ type: 'web_search_call', id: 'ws_1' }] },
      'input[0].type',
    ],
    [
      'function_call without call_id',
      { model: 'm', input: [{ type: 'function_call', name: 'f', arguments: '{}' }] },
      'input[0].call_id',
    ],
    [
      'function_call arguments as object',
      { model: 'm', input: [{ type: 'function_call', call_id: 'c', name: 'f', arguments: { a: 1 } }] },
      'input[0].arguments',
    ],
    ['built-in tool', { model: 'm', input: 'x', tools: [{ type: 'web_search_preview' }] }, 'tools[0].type'],
    [
      'tool parameters not an object',
      { model: 'm', input: 'x', tools: [{ type: 'function', name: 'f', parameters: [] }] },
      'tools[0].parameters',
    ],
    [
      'tool_choice hosted tool',
      { model: 'm', input: 'x', tool_choice: { type: 'file_search' } },
      'tool_choice',
    ],
    [
      'tool_choice allowed_tools',
      { model: 'm', input: 'x', tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [] } },
      'tool_choice',
    ],
    [
      'json_schema without schema',
      { model: 'm', input: 'x', text: { format: { type: 'json_schema', name: 'n' } } },
      'text.format.schema',
    ],
    ['unknown format', { model: 'm', input: 'x', text: { format: { type: 'grammar' } } }, 'text.format.type'],
  ])('rejects %s', (_name, body, param, ...message) => {
    // The rest parameter keeps the arity at 3, so jest passes no `done` callback to 3-element rows.
    expectTranslationError(() => fmt.decodeRequest(body), param, message[0]);
  });
});

// A rich request's encoding and round trip: testdata/03-rich-result-images (golden.test.ts).
describe('openai-responses encodeRequest', () => {
  it('puts several system parts in a leading system message', () => {
    const body = fmt.encodeRequest({
      model: 'm',
      system: [
        { type: 'text', text: 'a' },
        { type: 'text', text: 'b' },
      ],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }],
      stream: false,
    });
    expect(body.instructions).toBeUndefined();
    expect(body.input).toStrictEqual([
      {
        type: 'message',
        role: 'system',
        content: [
          { type: 'input_text', text: 'a' },
          { type: 'input_text', text: 'b' },
        ],
      },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'x' }] },
    ]);
  });

  it.each<[string, ChatRequest['toolChoice'], unknown]>([
    ['auto', { type: 'auto' }, 'auto'],
    ['none', { type: 'none' }, 'none'],
    ['required', { type: 'required' }, 'required'],
    ['tool', { type: 'tool', name: 'f' }, { type: 'function', name: 'f' }],
  ])('encodes tool_choice %s', (_name, toolChoice, expected) => {
    const body = fmt.encodeRequest({ model: 'm', system: [], messages: [], stream: false, toolChoice });
    expect(body.tool_choice).toStrictEqual(expected);
  });

  it.each<[string, ChatRequest, string]>([
    ['stop sequences', { model: 'm', system: [], messages: [], stream: false, stop: ['\n\n'] }, 'stop'],
    [
      'a tool result marked as error',
      {
        model: 'm',
        system: [],
        stream: false,
        messages: [
          { role: 'user', content: [{ type: 'tool_result', toolCallId: 'c', content: [], isError: true }] },
        ],
      },
      'messages[0].content[0].isError',
    ],
    [
      'an image in an assistant message',
      {
        model: 'm',
        system: [],
        stream: false,
        messages: [
          {
            role: 'assistant',
            content: [{ type: 'image', source: { kind: 'url', url: 'https://x/y.png' } }],
          },
        ],
      },
      'messages[0].content[0]',
    ],
    [
      'a tool call in a user message',
      {
        model: 'm',
        system: [],
        stream: false,
        messages: [{ role: 'user', content: [{ type: 'tool_call', id: 'c', name: 'f', arguments: '{}' }] }],
      },
      'messages[0].content[0]',
    ],
    [
      'a tool result in an assistant message',
      {
        model: 'm',
        system: [],
        stream: false,
        messages: [{ role: 'assistant', content: [{ type: 'tool_result', toolCallId: 'c', content: [] }] }],
      },
      'messages[0].content[0]',
    ],
  ])('refuses %s', (_name, req, param) => {
    expectTranslationError(() => fmt.encodeRequest(req), param, /cannot be translated to OpenAI Responses/);
  });

  it('round-trips several system parts and json_object', () => {
    const ir: ChatRequest = {
      model: 'm',
      system: [
        { type: 'text', text: 'a' },
        { type: 'text', text: 'b' },
      ],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }],
      responseFormat: { type: 'json_object' },
      stream: false,
    };
    expect(fmt.decodeRequest(fmt.encodeRequest(ir))).toStrictEqual(ir);
  });
});
