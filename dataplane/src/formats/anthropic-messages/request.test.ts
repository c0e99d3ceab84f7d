import { TranslationError, type ChatRequest } from '../ir';
import { anthropicMessagesFormat as fmt } from './index';
import rich from './fixtures/request-rich.json';
import structured from './fixtures/request-structured.json';

const JPEG =
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q==';
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

/** The smallest valid body, with overrides. */
const body = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  model: 'claude-sonnet-4-5',
  max_tokens: 100,
  messages: [{ role: 'user', content: 'Hello' }],
  ...extra,
});

const base: ChatRequest = {
  model: 'claude-sonnet-4-5',
  system: [],
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
  maxTokens: 100,
  stream: false,
};

/** Expects a TranslationError naming `param`. */
function expectTranslationError(fn: () => unknown, param: string | undefined, message?: RegExp) {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(TranslationError);
  expect((error as TranslationError).param).toBe(param);
  if (message) expect((error as TranslationError).message).toMatch(message);
}

describe('anthropic-messages decodeRequest', () => {
  it('decodes the rich fixture: system blocks, images, parallel tool calls, tool results, tools', () => {
    expect(fmt.decodeRequest(rich)).toEqual<ChatRequest>({
      model: 'claude-sonnet-4-5-20250929',
      system: [
        { type: 'text', text: 'You are a weather assistant.' },
        { type: 'text', text: 'Answer briefly.' },
      ],
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'text',
              text: 'What is the weather in both Paris and Rome? Compare with these photos.',
            },
            { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: PNG } },
            {
              type: 'image',
              source: {
                kind: 'url',
                url: 'https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg',
              },
            },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: "I'll check both cities." },
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
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              toolCallId: 'toolu_01A09q90qw90lq917835lq9',
              name: 'get_weather',
              content: [{ type: 'text', text: '15 degrees, cloudy' }],
            },
            {
              type: 'tool_result',
              toolCallId: 'toolu_01B8xq90qw90lq917835lr1',
              name: 'get_weather',
              content: [
                { type: 'text', text: 'Radar image attached' },
                {
                  type: 'image',
                  source: {
                    kind: 'base64',
                    mediaType: 'image/jpeg',
                    data: JPEG,
                  },
                },
              ],
              isError: false,
            },
            { type: 'text', text: 'Which one is warmer?' },
          ],
        },
      ],
      tools: [
        {
          name: 'get_weather',
          description: 'Get the current weather in a given location',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string', description: 'The city, e.g. San Francisco' } },
            required: ['city'],
          },
        },
      ],
      toolChoice: { type: 'auto' },
      parallelToolCalls: true,
      stop: ['\n\nHuman:'],
      temperature: 0.7,
      topP: 0.9,
      maxTokens: 1024,
      user: '13803d75-b4b5-4c3e-b2a2-6f21399b021b',
      stream: false,
    });
  });

  it('decodes output_config.format as a strict json_schema response format', () => {
    expect(fmt.decodeRequest(structured).responseFormat).toEqual({
      type: 'json_schema',
      name: 'response',
      schema: structured.output_config.format.schema,
      strict: true,
    });
  });

  it.each<[string, Record<string, unknown>, Partial<ChatRequest>]>([
    ['string content and defaults', {}, {}],
    ['a string system prompt', { system: 'Be terse.' }, { system: [{ type: 'text', text: 'Be terse.' }] }],
    ['an empty system prompt', { system: '' }, { system: [] }],
    ['stream: true', { stream: true }, { stream: true }],
    ['tool_choice any', { tool_choice: { type: 'any' } }, { toolChoice: { type: 'required' } }],
    ['tool_choice none', { tool_choice: { type: 'none' } }, { toolChoice: { type: 'none' } }],
    [
      'tool_choice tool with disable_parallel_tool_use',
      { tool_choice: { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true } },
      { toolChoice: { type: 'tool', name: 'get_weather' }, parallelToolCalls: false },
    ],
    ['thinking disabled', { thinking: { type: 'disabled' } }, {}],
    ['max_tokens 0 (cache warming)', { max_tokens: 0 }, { maxTokens: 0 }],
    ['unknown extra fields', { service_tier: 'auto', some_future_field: { a: 1 } }, {}],
    ['top-level cache_control', { cache_control: { type: 'ephemeral' } }, {}],
    [
      'a custom tool with type',
      {
        tools: [
          {
            type: 'custom',
            name: 't',
            input_schema: { type: 'object' },
            cache_control: { type: 'ephemeral' },
          },
        ],
      },
      { tools: [{ name: 't', parameters: { type: 'object' } }] },
    ],
    ['metadata without user_id', { metadata: {} }, {}],
  ])('decodes %s', (_name, extra, expected) => {
    expect(fmt.decodeRequest(body(extra))).toEqual({ ...base, ...expected });
  });

  it('decodes is_error and a tool result without content', () => {
    const req = fmt.decodeRequest(
      body({
        messages: [
          { role: 'user', content: 'Go' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'run', input: {} }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', is_error: true }] },
        ],
      }),
    );
    expect(req.messages[2]).toEqual({
      role: 'user',
      content: [{ type: 'tool_result', toolCallId: 'toolu_1', name: 'run', content: [], isError: true }],
    });
  });

  it.each<[string, Record<string, unknown>, string | undefined]>([
    ['a missing max_tokens', { max_tokens: undefined }, 'max_tokens'],
    ['a fractional max_tokens', { max_tokens: 1.5 }, 'max_tokens'],
    ['a string max_tokens', { max_tokens: '100' }, 'max_tokens'],
    ['a missing model', { model: undefined }, 'model'],
    ['messages not an array', { messages: 'hi' }, 'messages'],
    ['a bad role', { messages: [{ role: 'system', content: 'x' }] }, 'messages[0].role'],
    [
      'a non-string text',
      { messages: [{ role: 'user', content: [{ type: 'text', text: 3 }] }] },
      'messages[0].content[0].text',
    ],
    ['a string temperature', { temperature: 'hot' }, 'temperature'],
    ['top_k', { top_k: 40 }, 'top_k'],
    ['thinking enabled', { thinking: { type: 'enabled', budget_tokens: 2048 } }, 'thinking'],
    ['output_config.effort', { output_config: { effort: 'high' } }, 'output_config.effort'],
    ['the beta output_format', { output_format: { type: 'json_schema', schema: {} } }, 'output_format'],
    ['mcp_servers', { mcp_servers: [{ type: 'url', url: 'https://x', name: 'x' }] }, 'mcp_servers'],
    [
      'a server tool',
      { tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }] },
      'tools[0].type',
    ],
    [
      'a strict tool',
      { tools: [{ name: 't', strict: true, input_schema: { type: 'object' } }] },
      'tools[0].strict',
    ],
    ['a tool without input_schema', { tools: [{ name: 't' }] }, 'tools[0].input_schema'],
    ['an unknown tool_choice', { tool_choice: { type: 'sometimes' } }, 'tool_choice.type'],
    [
      'a non-boolean disable_parallel_tool_use',
      { tool_choice: { type: 'auto', disable_parallel_tool_use: 'yes' } },
      'tool_choice.disable_parallel_tool_use',
    ],
    ['a system block that is not text', { system: [{ type: 'image' }] }, 'system[0].type'],
    [
      'a thinking block',
      {
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: [{ type: 'thinking', thinking: 'hm', signature: 's' }] },
        ],
      },
      'messages[1].content[0]',
    ],
    [
      'a redacted_thinking block',
      {
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: [{ type: 'redacted_thinking', data: 'x' }] },
        ],
      },
      'messages[1].content[0]',
    ],
    [
      'a document block',
      {
        messages: [
          {
            role: 'user',
            content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'x' } }],
          },
        ],
      },
      'messages[0].content[0]',
    ],
    [
      'a search_result block',
      {
        messages: [
          { role: 'user', content: [{ type: 'search_result', source: 'x', title: 't', content: [] }] },
        ],
      },
      'messages[0].content[0]',
    ],
    [
      'a server_tool_use block',
      {
        messages: [
          { role: 'user', content: 'x' },
          {
            role: 'assistant',
            content: [{ type: 'server_tool_use', id: 's', name: 'web_search', input: {} }],
          },
        ],
      },
      'messages[1].content[0]',
    ],
    [
      'a file image source',
      {
        messages: [
          { role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'file_1' } }] },
        ],
      },
      'messages[0].content[0].source.type',
    ],
    [
      'a document inside a tool result',
      {
        messages: [
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'document' }] }],
          },
        ],
      },
      'messages[0].content[0].content[0]',
    ],
    [
      'tool_use input that is not an object',
      {
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'a', name: 'b', input: '{}' }] },
        ],
      },
      'messages[1].content[0].input',
    ],
    [
      'tool_use in a user turn',
      { messages: [{ role: 'user', content: [{ type: 'tool_use', id: 'a', name: 'b', input: {} }] }] },
      'messages[0].content[0]',
    ],
    [
      'citations on a text block',
      {
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'x', citations: [{ type: 'char_location' }] }] },
        ],
      },
      'messages[0].content[0].citations',
    ],
  ])('rejects %s', (_name, extra, param) => {
    expectTranslationError(() => fmt.decodeRequest(body(extra)), param);
  });

  it('says that max_tokens is required and that top_k cannot be carried', () => {
    expectTranslationError(
      () => fmt.decodeRequest(body({ max_tokens: undefined })),
      'max_tokens',
      /'max_tokens' is required/,
    );
    expectTranslationError(() => fmt.decodeRequest(body({ top_k: 5 })), 'top_k', /'top_k' is not supported/);
  });
});

describe('anthropic-messages encodeRequest', () => {
  it('encodes the smallest request, defaulting max_tokens to 4096', () => {
    expect(fmt.encodeRequest({ ...base, maxTokens: undefined })).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
      stream: false,
    });
  });

  it.each<[string, Partial<ChatRequest>, Record<string, unknown>]>([
    ['one system part as a string', { system: [{ type: 'text', text: 'S' }] }, { system: 'S' }],
    [
      'several system parts as blocks',
      {
        system: [
          { type: 'text', text: 'A' },
          { type: 'text', text: 'B' },
        ],
      },
      {
        system: [
          { type: 'text', text: 'A' },
          { type: 'text', text: 'B' },
        ],
      },
    ],
    ['toolChoice required', { toolChoice: { type: 'required' } }, { tool_choice: { type: 'any' } }],
    [
      'toolChoice none',
      { toolChoice: { type: 'none' }, parallelToolCalls: false },
      { tool_choice: { type: 'none' } },
    ],
    [
      'toolChoice tool',
      { toolChoice: { type: 'tool', name: 'f' } },
      { tool_choice: { type: 'tool', name: 'f' } },
    ],
    [
      'parallelToolCalls false alone',
      { parallelToolCalls: false },
      { tool_choice: { type: 'auto', disable_parallel_tool_use: true } },
    ],
    ['stop sequences', { stop: ['END'] }, { stop_sequences: ['END'] }],
    ['temperature and top_p', { temperature: 0, topP: 0.5 }, { temperature: 0, top_p: 0.5 }],
    ['user', { user: 'u-1' }, { metadata: { user_id: 'u-1' } }],
    ['response format text', { responseFormat: { type: 'text' } }, {}],
    [
      'a json_schema response format',
      { responseFormat: { type: 'json_schema', name: 'person', schema: { type: 'object' }, strict: false } },
      { output_config: { format: { type: 'json_schema', schema: { type: 'object' } } } },
    ],
    ['stream', { stream: true }, { stream: true }],
  ])('encodes %s', (_name, extra, expected) => {
    expect(fmt.encodeRequest({ ...base, ...extra })).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
      stream: false,
      ...expected,
    });
  });

  it('merges consecutive turns of one role and puts tool results first', () => {
    const out = fmt.encodeRequest({
      ...base,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
        {
          role: 'assistant',
          content: [{ type: 'tool_call', id: 'c1', name: 'w', arguments: '{"city":"Paris"}' }],
        },
        { role: 'assistant', content: [{ type: 'tool_call', id: 'c2', name: 'w', arguments: '' }] },
        { role: 'user', content: [{ type: 'text', text: 'Here:' }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', toolCallId: 'c1', name: 'w', content: [{ type: 'text', text: 'sunny' }] },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', toolCallId: 'c2', content: [], isError: true }] },
      ],
    });
    expect(out.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'c1', name: 'w', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'c2', name: 'w', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'c1', content: [{ type: 'text', text: 'sunny' }] },
          { type: 'tool_result', tool_use_id: 'c2', is_error: true },
          { type: 'text', text: 'Here:' },
        ],
      },
    ]);
  });

  it('encodes images: url, base64, and a data: URL as base64', () => {
    const out = fmt.encodeRequest({
      ...base,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { kind: 'url', url: 'https://example.com/a.jpg' } },
            { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: PNG } },
            { type: 'image', source: { kind: 'url', url: `data:image/png;base64,${PNG}` } },
          ],
        },
      ],
    });
    expect(out.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
        ],
      },
    ]);
  });

  it.each<[string, Partial<ChatRequest>, string | undefined]>([
    ['a json_object response format', { responseFormat: { type: 'json_object' } }, 'response_format'],
    [
      'a json_schema description',
      { responseFormat: { type: 'json_schema', name: 'n', schema: {}, description: 'd' } },
      'response_format.json_schema.description',
    ],
    ['a temperature above 1', { temperature: 1.5 }, 'temperature'],
    [
      'unparseable tool arguments',
      {
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'x' }] },
          { role: 'assistant', content: [{ type: 'tool_call', id: 'c', name: 'f', arguments: '{"city":' }] },
        ],
      },
      'messages[1].content[0]',
    ],
    [
      'tool arguments that are not an object',
      {
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'x' }] },
          { role: 'assistant', content: [{ type: 'tool_call', id: 'c', name: 'f', arguments: '[1,2]' }] },
        ],
      },
      'messages[1].content[0]',
    ],
    [
      'an assistant turn first',
      { messages: [{ role: 'assistant', content: [{ type: 'text', text: 'Hi' }] }] },
      'messages[0].role',
    ],
    [
      'an image in an assistant turn',
      {
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'x' }] },
          {
            role: 'assistant',
            content: [{ type: 'image', source: { kind: 'url', url: 'https://x/y.png' } }],
          },
        ],
      },
      'messages[1].content[0]',
    ],
    [
      'an unsupported image type',
      {
        messages: [
          {
            role: 'user',
            content: [{ type: 'image', source: { kind: 'base64', mediaType: 'image/tiff', data: 'AA==' } }],
          },
        ],
      },
      'messages[0].content[0]',
    ],
    [
      'an unsupported image type inside a tool result',
      {
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                toolCallId: 'c',
                content: [
                  { type: 'image', source: { kind: 'base64', mediaType: 'image/bmp', data: 'AA==' } },
                ],
              },
            ],
          },
        ],
      },
      'messages[0].content[0].content[0]',
    ],
  ])('refuses %s', (_name, extra, param) => {
    expectTranslationError(() => fmt.encodeRequest({ ...base, ...extra }), param);
  });
});

// A rich request's round trip: testdata/04-rich-error-result (golden.test.ts).
describe('anthropic-messages request round trip', () => {
  it('encodeRequest(decodeRequest(body)) keeps the rich fixture but for caching hints and string shorthands', () => {
    const again = fmt.encodeRequest(fmt.decodeRequest(rich));
    expect(fmt.decodeRequest(again)).toEqual(fmt.decodeRequest(rich));
    expect(again.system).toEqual([
      { type: 'text', text: 'You are a weather assistant.' },
      { type: 'text', text: 'Answer briefly.' },
    ]);
  });
});
