import fixture from './fixtures/request.json';
import { TranslationError, type ChatRequest } from '../ir';
import { geminiFormat, geminiFormatWithoutCallIds } from './index';

const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

const base = (over: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'gemini-2.5-flash',
  system: [],
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
  stream: false,
  ...over,
});

const weatherTool = {
  name: 'get_weather',
  description: 'Current weather for a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('gemini decodeRequest', () => {
  it('decodes the recorded request fixture', () => {
    expect(geminiFormat.decodeRequest(fixture)).toEqual({
      model: '',
      stream: false,
      system: [{ type: 'text', text: 'You are a terse weather assistant.' }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is the weather in Paris and Rome? Here is a map.' },
            {
              type: 'image',
              source: { kind: 'base64', mediaType: 'image/png', data: PNG },
            },
            { type: 'image', source: { kind: 'url', url: 'gs://tollgate-fixtures/maps/europe.jpg' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            // the thought part is skipped; ids are generated in order
            { type: 'tool_call', id: 'call_0', name: 'get_weather', arguments: '{"city":"Paris"}' },
            { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Rome"}' },
          ],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              toolCallId: 'call_0',
              name: 'get_weather',
              content: [{ type: 'text', text: '18°C, cloudy' }],
            },
            {
              type: 'tool_result',
              toolCallId: 'call_1',
              name: 'get_weather',
              content: [{ type: 'text', text: '{"temperature":24,"sky":"clear"}' }],
            },
          ],
        },
      ],
      tools: [
        {
          name: 'get_weather',
          description: 'Current weather for a city.',
          parameters: {
            type: 'object',
            properties: {
              city: { type: 'string', description: 'City name' },
              unit: { type: ['string', 'null'], enum: ['celsius', 'fahrenheit'] },
            },
            required: ['city'],
          },
        },
      ],
      toolChoice: { type: 'auto' },
      temperature: 0.4,
      topP: 0.9,
      maxTokens: 512,
      stop: ['\n\nUser:'],
    });
  });

  it.each([
    ['AUTO', {}, { type: 'auto' }],
    ['NONE', {}, { type: 'none' }],
    ['ANY', {}, { type: 'required' }],
    ['ANY', { allowedFunctionNames: ['get_weather'] }, { type: 'tool', name: 'get_weather' }],
  ])('decodes functionCallingConfig mode %s %j', (mode, extra, expected) => {
    const req = geminiFormat.decodeRequest({
      contents: [{ role: 'user', parts: [{ text: 'x' }] }],
      toolConfig: { functionCallingConfig: { mode, ...extra } },
    });
    expect(req.toolChoice).toEqual(expected);
  });

  it.each([
    [{ responseMimeType: 'application/json' }, { type: 'json_object' }],
    [{ responseMimeType: 'text/plain' }, { type: 'text' }],
    [
      {
        responseMimeType: 'application/json',
        responseJsonSchema: { type: 'object', properties: { a: { type: 'integer' } } },
      },
      {
        type: 'json_schema',
        name: 'response',
        schema: { type: 'object', properties: { a: { type: 'integer' } } },
      },
    ],
    [
      {
        responseMimeType: 'application/json',
        responseSchema: { type: 'ARRAY', items: { type: 'OBJECT', properties: { n: { type: 'NUMBER' } } } },
      },
      {
        type: 'json_schema',
        name: 'response',
        schema: { type: 'array', items: { type: 'object', properties: { n: { type: 'number' } } } },
      },
    ],
  ])('decodes structured output %j', (generationConfig, expected) => {
    const req = geminiFormat.decodeRequest({ contents: [{ parts: [{ text: 'x' }] }], generationConfig });
    expect(req.responseFormat).toEqual(expected);
  });

  it('decodes explicit ids, errors and the legacy function role', () => {
    const req = geminiFormat.decodeRequest({
      contents: [
        { role: 'model', parts: [{ functionCall: { id: 'fc_7', name: 'lookup', args: {} } }] },
        {
          role: 'function',
          parts: [{ functionResponse: { id: 'fc_7', name: 'lookup', response: { error: 'timeout' } } }],
        },
      ],
    });
    expect(req.messages).toEqual([
      { role: 'assistant', content: [{ type: 'tool_call', id: 'fc_7', name: 'lookup', arguments: '{}' }] },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            toolCallId: 'fc_7',
            name: 'lookup',
            content: [{ type: 'text', text: 'timeout' }],
            isError: true,
          },
        ],
      },
    ]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['contents not an array', { contents: {} }, 'contents'],
    ['text not a string', { contents: [{ parts: [{ text: 3 }] }] }, 'contents[0].parts[0].text'],
    ['bad role', { contents: [{ role: 'system', parts: [] }] }, 'contents[0].role'],
    ['empty part', { contents: [{ parts: [{}] }] }, 'contents[0].parts[0]'],
    [
      'temperature not a number',
      { contents: [], generationConfig: { temperature: 'hot' } },
      'generationConfig.temperature',
    ],
    [
      'audio inlineData',
      { contents: [{ parts: [{ inlineData: { mimeType: 'audio/wav', data: 'AA==' } }] }] },
      'contents[0].parts[0]',
    ],
    [
      'pdf fileData',
      { contents: [{ parts: [{ fileData: { mimeType: 'application/pdf', fileUri: 'gs://b/a.pdf' } }] }] },
      'contents[0].parts[0]',
    ],
    [
      'functionCall in a user turn',
      { contents: [{ role: 'user', parts: [{ functionCall: { name: 'f' } }] }] },
      'contents[0].parts[0]',
    ],
    [
      'unmatched functionResponse',
      { contents: [{ role: 'user', parts: [{ functionResponse: { name: 'f', response: {} } }] }] },
      'contents[0].parts[0].functionResponse',
    ],
    [
      'candidateCount 2',
      { contents: [], generationConfig: { candidateCount: 2 } },
      'generationConfig.candidateCount',
    ],
    [
      'responseLogprobs',
      { contents: [], generationConfig: { responseLogprobs: true } },
      'generationConfig.responseLogprobs',
    ],
    [
      'audio modality',
      { contents: [], generationConfig: { responseModalities: ['AUDIO'] } },
      'generationConfig.responseModalities[0]',
    ],
    [
      'enum mime',
      { contents: [], generationConfig: { responseMimeType: 'text/x.enum' } },
      'generationConfig.responseMimeType',
    ],
    ['googleSearch tool', { contents: [], tools: [{ googleSearch: {} }] }, 'tools[0].googleSearch'],
    [
      'several allowed names',
      {
        contents: [],
        toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['a', 'b'] } },
      },
      'toolConfig.functionCallingConfig.allowedFunctionNames',
    ],
    ['cachedContent', { contents: [], cachedContent: 'cachedContents/abc' }, 'cachedContent'],
    [
      'code execution part',
      { contents: [{ role: 'model', parts: [{ executableCode: { code: '1' } }] }] },
      'contents[0].parts[0]',
    ],
  ])('rejects %s', (_name, body, param) => {
    let err: unknown;
    try {
      geminiFormat.decodeRequest(body);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TranslationError);
    expect((err as TranslationError).param).toBe(param);
  });
});

// Rich requests' encoding and round trip: testdata/05-rich-lookups, 06-rich-repeated-result (golden.test.ts).
describe('gemini encodeRequest', () => {
  it.each([
    [{ type: 'auto' } as const, { mode: 'AUTO' }],
    [{ type: 'none' } as const, { mode: 'NONE' }],
    [{ type: 'required' } as const, { mode: 'ANY' }],
  ])('encodes tool choice %j', (toolChoice, expected) => {
    const body = geminiFormat.encodeRequest(base({ tools: [weatherTool], toolChoice }));
    expect(body.toolConfig).toEqual({ functionCallingConfig: expected });
  });

  it.each([
    [{ type: 'json_object' } as const, { responseMimeType: 'application/json' }],
    [{ type: 'text' } as const, { responseMimeType: 'text/plain' }],
  ])('encodes response format %j', (responseFormat, expected) => {
    expect(geminiFormat.encodeRequest(base({ responseFormat })).generationConfig).toEqual(expected);
  });

  it('leaves ids out for Vertex and signatures out for older models', () => {
    const body = geminiFormatWithoutCallIds.encodeRequest(
      base({
        model: 'gemini-2.0-flash-001',
        messages: [
          { role: 'assistant', content: [{ type: 'tool_call', id: 'c1', name: 'f', arguments: '{}' }] },
          {
            role: 'user',
            content: [{ type: 'tool_result', toolCallId: 'c1', content: [{ type: 'text', text: 'ok' }] }],
          },
        ],
      }),
    );
    expect(body.contents).toEqual([
      { role: 'model', parts: [{ functionCall: { name: 'f', args: {} } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'f', response: { output: 'ok' } } }] },
    ]);
  });

  it.each<[string, Partial<ChatRequest>, string]>([
    [
      'an image in a tool result',
      {
        messages: [
          { role: 'assistant', content: [{ type: 'tool_call', id: 'c', name: 'f', arguments: '{}' }] },
          {
            role: 'user',
            content: [
              {
                type: 'tool_result',
                toolCallId: 'c',
                content: [
                  { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AA==' } },
                ],
              },
            ],
          },
        ],
      },
      'messages[1].content[0]',
    ],
    [
      'a tool result with no known name',
      { messages: [{ role: 'user', content: [{ type: 'tool_result', toolCallId: 'nope', content: [] }] }] },
      'messages[0].content[0]',
    ],
    [
      'an image URL of unknown type',
      {
        messages: [
          {
            role: 'user',
            content: [{ type: 'image', source: { kind: 'url', url: 'https://x.test/img?id=1' } }],
          },
        ],
      },
      'messages[0].content[0]',
    ],
    [
      'arguments that are not an object',
      {
        messages: [
          { role: 'assistant', content: [{ type: 'tool_call', id: 'c', name: 'f', arguments: '[1]' }] },
        ],
      },
      'messages[0].content[0].arguments',
    ],
    ['parallel_tool_calls false', { tools: [weatherTool], parallelToolCalls: false }, 'parallelToolCalls'],
    [
      'two different descriptions',
      { responseFormat: { type: 'json_schema', name: 'n', schema: { description: 'a' }, description: 'b' } },
      'responseFormat',
    ],
  ])('refuses %s', (_name, over, param) => {
    let err: unknown;
    try {
      geminiFormat.encodeRequest(base(over));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TranslationError);
    expect((err as TranslationError).param).toBe(param);
  });
});
