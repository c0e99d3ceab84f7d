import { TranslationError, type ChatRequest, type Message } from '../ir';
import { bedrockConverseFormat as f } from './index';

const userText = (text: string): Message => ({ role: 'user', content: [{ type: 'text', text }] });
const base = (over: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
  system: [],
  messages: [userText('Hi')],
  stream: false,
  ...over,
});
const withToolHistory: Message[] = [
  userText('Weather in Paris?'),
  { role: 'assistant', content: [{ type: 'tool_call', id: 't1', name: 'get_weather', arguments: '{}' }] },
  {
    role: 'user',
    content: [{ type: 'tool_result', toolCallId: 't1', content: [{ type: 'text', text: 'sunny' }] }],
  },
];
const weatherTool = { name: 'get_weather', parameters: { type: 'object' } };

// The recorded-style rich request (its body, decoding and round trip): testdata/07-rich-result-status (golden.test.ts).
describe('bedrock-converse decodeRequest', () => {
  it.each<[string, Record<string, unknown>, Partial<ChatRequest>]>([
    [
      'a minimal text turn (model and stream come from the path)',
      { messages: [{ role: 'user', content: [{ text: 'Hi' }] }] },
      { model: '', stream: false, system: [], messages: [userText('Hi')] },
    ],
    [
      'cache points are skipped in system, messages and tools',
      {
        system: [{ text: 'Be brief.' }, { cachePoint: { type: 'default' } }],
        messages: [{ role: 'user', content: [{ text: 'Hi' }, { cachePoint: { type: 'default' } }] }],
        toolConfig: {
          tools: [
            { toolSpec: { name: 'f', inputSchema: { json: { type: 'object' } } } },
            { cachePoint: { type: 'default' } },
          ],
        },
      },
      {
        system: [{ type: 'text', text: 'Be brief.' }],
        messages: [userText('Hi')],
        tools: [{ name: 'f', parameters: { type: 'object' } }],
      },
    ],
    [
      'a JSON tool result becomes its JSON text; no status leaves isError unset',
      {
        messages: [
          { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'lookup', input: {} } }] },
          {
            role: 'user',
            content: [{ toolResult: { toolUseId: 't1', content: [{ json: { temp: 18, unit: 'C' } }] } }],
          },
        ],
      },
      {
        messages: [
          { role: 'assistant', content: [{ type: 'tool_call', id: 't1', name: 'lookup', arguments: '{}' }] },
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                toolCallId: 't1',
                name: 'lookup',
                content: [{ type: 'text', text: '{"temp":18,"unit":"C"}' }],
              },
            ],
          },
        ],
      },
    ],
    [
      'toolChoice any → required',
      {
        messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
        toolConfig: { tools: [], toolChoice: { any: {} } },
      },
      { tools: [], toolChoice: { type: 'required' } },
    ],
    [
      'toolChoice auto',
      {
        messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
        toolConfig: { tools: [], toolChoice: { auto: {} } },
      },
      { toolChoice: { type: 'auto' } },
    ],
    [
      'a schema without a name is named "response"',
      {
        messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
        outputConfig: {
          textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: '{"type":"object"}' } } },
        },
      },
      { responseFormat: { type: 'json_schema', name: 'response', schema: { type: 'object' } } },
    ],
    [
      'webp and gif images',
      {
        messages: [
          {
            role: 'user',
            content: [
              { image: { format: 'webp', source: { bytes: 'UklGRg==' } } },
              { image: { format: 'gif', source: { bytes: 'R0lGODlh' } } },
            ],
          },
        ],
      },
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', source: { kind: 'base64', mediaType: 'image/webp', data: 'UklGRg==' } },
              { type: 'image', source: { kind: 'base64', mediaType: 'image/gif', data: 'R0lGODlh' } },
            ],
          },
        ],
      },
    ],
    [
      'unknown top-level fields are tolerated',
      {
        messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
        performanceConfig: { latency: 'optimized' },
      },
      { messages: [userText('Hi')] },
    ],
  ])('%s', (_name, body, expected) => {
    expect(f.decodeRequest(body)).toMatchObject(expected);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['messages missing', {}, 'messages'],
    ['a bad role', { messages: [{ role: 'system', content: [] }] }, 'messages[0].role'],
    [
      'a block with two members',
      { messages: [{ role: 'user', content: [{ text: 'a', image: {} }] }] },
      'messages[0].content[0]',
    ],
    [
      'a document block',
      {
        messages: [
          {
            role: 'user',
            content: [{ document: { format: 'pdf', name: 'doc', source: { bytes: 'JVBERi0=' } } }],
          },
        ],
      },
      'messages[0].content[0]',
    ],
    [
      'an S3 image',
      {
        messages: [
          {
            role: 'user',
            content: [{ image: { format: 'png', source: { s3Location: { uri: 's3://b/k.png' } } } }],
          },
        ],
      },
      'messages[0].content[0].image.source',
    ],
    [
      'an unknown image format',
      { messages: [{ role: 'user', content: [{ image: { format: 'bmp', source: { bytes: 'Qk0=' } } }] }] },
      'messages[0].content[0].image.format',
    ],
    [
      'a bad tool result status',
      {
        messages: [
          { role: 'user', content: [{ toolResult: { toolUseId: 't', content: [], status: 'ok' } }] },
        ],
      },
      'messages[0].content[0].toolResult.status',
    ],
    [
      'a string maxTokens',
      { messages: [], inferenceConfig: { maxTokens: '512' } },
      'inferenceConfig.maxTokens',
    ],
    [
      'a non-string stop sequence',
      { messages: [], inferenceConfig: { stopSequences: [1] } },
      'inferenceConfig.stopSequences[0]',
    ],
    [
      'a guardrail',
      { messages: [], guardrailConfig: { guardrailIdentifier: 'g', guardrailVersion: '1' } },
      'guardrailConfig',
    ],
    [
      'model-specific fields',
      { messages: [], additionalModelRequestFields: { top_k: 5 } },
      'additionalModelRequestFields',
    ],
    [
      'a schema that is not JSON text',
      {
        messages: [],
        outputConfig: { textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: '{' } } } },
      },
      'outputConfig.textFormat.structure.jsonSchema.schema',
    ],
    [
      'a tool without a JSON schema',
      { messages: [], toolConfig: { tools: [{ toolSpec: { name: 'f', inputSchema: {} } }] } },
      'toolConfig.tools[0].toolSpec.inputSchema.json',
    ],
    [
      'an unknown tool choice',
      { messages: [], toolConfig: { tools: [], toolChoice: { none: {} } } },
      'toolConfig.toolChoice',
    ],
  ])('rejects %s with a 400 naming the field', (_name, body, param) => {
    let err: unknown;
    try {
      f.decodeRequest(body);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TranslationError);
    expect((err as TranslationError).param).toBe(param);
  });
});

describe('bedrock-converse encodeRequest', () => {
  const hi = [{ role: 'user', content: [{ text: 'Hi' }] }];
  const weatherSpec = { toolSpec: { name: 'get_weather', inputSchema: { json: { type: 'object' } } } };
  it.each<[string, Partial<ChatRequest>, Record<string, unknown>]>([
    ['a plain turn', {}, { messages: hi }],
    [
      'tool_choice none without tool history drops the tools (same meaning)',
      { tools: [weatherTool], toolChoice: { type: 'none' } },
      { messages: hi },
    ],
    [
      'tool_choice required → any',
      { tools: [weatherTool], toolChoice: { type: 'required' } },
      { messages: hi, toolConfig: { tools: [weatherSpec], toolChoice: { any: {} } } },
    ],
    [
      'tool_choice auto → auto',
      { tools: [weatherTool], toolChoice: { type: 'auto' } },
      { messages: hi, toolConfig: { tools: [weatherSpec], toolChoice: { auto: {} } } },
    ],
    [
      'no tool_choice leaves it to the model',
      { tools: [weatherTool] },
      { messages: hi, toolConfig: { tools: [weatherSpec] } },
    ],
    ['tool_choice auto without tools is left out', { toolChoice: { type: 'auto' } }, { messages: hi }],
    ['parallel tool calls allowed is the default', { parallelToolCalls: true }, { messages: hi }],
    [
      'stop sequences, temperature, top_p and max tokens',
      { stop: ['END', 'STOP'], temperature: 0, topP: 1, maxTokens: 100 },
      {
        messages: hi,
        inferenceConfig: { maxTokens: 100, temperature: 0, topP: 1, stopSequences: ['END', 'STOP'] },
      },
    ],
    ['response_format text needs nothing', { responseFormat: { type: 'text' } }, { messages: hi }],
    [
      'a json_schema response format → outputConfig with the schema as JSON text',
      { responseFormat: { type: 'json_schema', name: 'r', schema: { type: 'object' }, strict: true } },
      {
        messages: hi,
        outputConfig: {
          textFormat: {
            type: 'json_schema',
            structure: { jsonSchema: { schema: '{"type":"object"}', name: 'r' } },
          },
        },
      },
    ],
    [
      'empty tool arguments become an empty input object',
      {
        messages: [
          { role: 'assistant', content: [{ type: 'tool_call', id: 't', name: 'now', arguments: '' }] },
        ],
      },
      {
        messages: [{ role: 'assistant', content: [{ toolUse: { toolUseId: 't', name: 'now', input: {} } }] }],
      },
    ],
    [
      'the end user goes to requestMetadata',
      { user: 'u-1' },
      { messages: hi, requestMetadata: { user: 'u-1' } },
    ],
  ])('%s', (_name, over, expected) => {
    expect(f.encodeRequest(base(over))).toEqual(expected);
  });

  it.each<[string, Partial<ChatRequest>, string]>([
    [
      'an image by URL',
      {
        messages: [
          {
            role: 'user',
            content: [{ type: 'image', source: { kind: 'url', url: 'https://example.com/a.png' } }],
          },
        ],
      },
      'messages[0].content[0]',
    ],
    [
      'an image type Converse lacks',
      {
        messages: [
          {
            role: 'user',
            content: [{ type: 'image', source: { kind: 'base64', mediaType: 'image/bmp', data: 'Qk0=' } }],
          },
        ],
      },
      'messages[0].content[0]',
    ],
    [
      'a URL image inside a tool result',
      {
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                toolCallId: 't',
                content: [{ type: 'image', source: { kind: 'url', url: 'https://example.com/a.png' } }],
              },
            ],
          },
        ],
      },
      'messages[0].content[0].content[0]',
    ],
    [
      'tool_choice none with tool calls in the history',
      { messages: withToolHistory, tools: [weatherTool], toolChoice: { type: 'none' } },
      'toolChoice',
    ],
    ['parallel_tool_calls=false', { tools: [weatherTool], parallelToolCalls: false }, 'parallelToolCalls'],
    ['response_format json_object', { responseFormat: { type: 'json_object' } }, 'responseFormat'],
    ['a required tool choice without tools', { toolChoice: { type: 'required' } }, 'toolChoice'],
    [
      'tool arguments that are not JSON',
      {
        messages: [
          { role: 'assistant', content: [{ type: 'tool_call', id: 't', name: 'f', arguments: '{"a":' }] },
        ],
      },
      'messages[0].content[0]',
    ],
  ])('refuses %s', (_name, over, param) => {
    let err: unknown;
    try {
      f.encodeRequest(base(over));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TranslationError);
    expect((err as TranslationError).param).toBe(param);
  });

  it('keeps the tool history when tool_choice none has no tools to drop', () => {
    const body = f.encodeRequest(base({ messages: withToolHistory, toolChoice: { type: 'none' } }));
    expect(body.toolConfig).toBeUndefined();
    expect(body.messages).toHaveLength(3);
  });
});
