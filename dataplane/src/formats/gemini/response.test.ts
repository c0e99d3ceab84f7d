import textFixture from './fixtures/response-text.json';
import toolsFixture from './fixtures/response-tools.json';
import blockedFixture from './fixtures/response-blocked.json';
import errorFixture from './fixtures/error.json';
import vertexErrorFixture from './fixtures/error-vertex-array.json';
import type { ChatResponse } from '../ir';
import { UpstreamFormatError } from '../wire';
import { geminiFormat, statusName } from './index';

describe('gemini decodeResponse', () => {
  it('decodes text, skipping thoughts, with cached and thinking usage', () => {
    expect(geminiFormat.decodeResponse(textFixture)).toEqual({
      id: 'Yo8jaNnGFdKLnvgP9IS1yAs',
      model: 'gemini-2.5-flash',
      content: [
        {
          type: 'text',
          text: 'Crisp leaves drift and fall,\ngolden light on quiet paths,\nthe year exhales slow.',
        },
      ],
      stopReason: 'end',
      usage: { inputTokens: 1033, outputTokens: 103, cachedInputTokens: 1024, reasoningTokens: 84 },
    });
  });

  it('decodes parallel function calls without ids as tool_calls', () => {
    expect(geminiFormat.decodeResponse(toolsFixture)).toEqual({
      id: 'fZAjaOTPKeq7nvgPq8rc-Q0',
      model: 'gemini-2.5-pro',
      content: [
        { type: 'tool_call', id: 'call_0', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Rome"}' },
      ],
      stopReason: 'tool_calls',
      usage: { inputTokens: 71, outputTokens: 30 },
    });
  });

  it('decodes a blocked prompt as content_filter', () => {
    const res = geminiFormat.decodeResponse(blockedFixture);
    expect(res.content).toEqual([]);
    expect(res.stopReason).toBe('content_filter');
    expect(res.usage).toEqual({ inputTokens: 12, outputTokens: 0 });
  });

  it.each([
    ['STOP', 'end'],
    ['MAX_TOKENS', 'max_tokens'],
    ['SAFETY', 'content_filter'],
    ['RECITATION', 'content_filter'],
    ['BLOCKLIST', 'content_filter'],
    ['PROHIBITED_CONTENT', 'content_filter'],
    ['SPII', 'content_filter'],
    ['OTHER', 'end'],
  ])('maps finishReason %s to %s', (finishReason, stopReason) => {
    const body = { candidates: [{ content: { role: 'model', parts: [{ text: 'x' }] }, finishReason }] };
    expect(geminiFormat.decodeResponse(body).stopReason).toBe(stopReason);
  });

  it.each<[string, unknown]>([
    ['not an object', []],
    ['no candidates', { usageMetadata: {} }],
    [
      'a malformed function call',
      { candidates: [{ finishReason: 'MALFORMED_FUNCTION_CALL', finishMessage: 'bad' }] },
    ],
    [
      'an image part',
      { candidates: [{ content: { parts: [{ inlineData: { mimeType: 'image/png', data: 'AA==' } }] } }] },
    ],
    ['parts not an array', { candidates: [{ content: { parts: {} } }] }],
  ])('throws UpstreamFormatError for %s', (_name, body) => {
    expect(() => geminiFormat.decodeResponse(body)).toThrow(UpstreamFormatError);
  });
});

describe('gemini encodeResponse', () => {
  it('encodes text and tool calls with usage', () => {
    const res: ChatResponse = {
      id: 'resp_1',
      model: 'gemini-2.5-flash',
      content: [
        { type: 'text', text: 'Checking.' },
        { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      ],
      stopReason: 'tool_calls',
      usage: { inputTokens: 10, outputTokens: 8, cachedInputTokens: 4, reasoningTokens: 3 },
    };
    expect(geminiFormat.encodeResponse(res)).toEqual({
      candidates: [
        {
          content: {
            role: 'model',
            parts: [
              { text: 'Checking.' },
              { functionCall: { id: 'call_1', name: 'get_weather', args: { city: 'Paris' } } },
            ],
          },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      usageMetadata: {
        promptTokenCount: 10,
        candidatesTokenCount: 5,
        totalTokenCount: 18,
        cachedContentTokenCount: 4,
        thoughtsTokenCount: 3,
      },
      modelVersion: 'gemini-2.5-flash',
      responseId: 'resp_1',
    });
  });

  it.each([
    ['end', 'STOP'],
    ['stop_sequence', 'STOP'],
    ['tool_calls', 'STOP'],
    ['max_tokens', 'MAX_TOKENS'],
    ['content_filter', 'SAFETY'],
  ] as const)('maps stop reason %s to %s', (stopReason, finishReason) => {
    const body = geminiFormat.encodeResponse({ id: 'r', model: 'm', content: [], stopReason });
    expect((body.candidates as { finishReason: string }[])[0]?.finishReason).toBe(finishReason);
  });

  it('round-trips a response', () => {
    const res: ChatResponse = {
      id: 'resp_rt',
      model: 'gemini-2.5-pro',
      content: [
        { type: 'text', text: 'Two calls:' },
        { type: 'tool_call', id: 'call_a', name: 'a', arguments: '{"x":1}' },
        { type: 'tool_call', id: 'call_b', name: 'b', arguments: '{}' },
      ],
      stopReason: 'tool_calls',
      usage: { inputTokens: 20, outputTokens: 9, cachedInputTokens: 0, reasoningTokens: 2 },
    };
    expect(geminiFormat.decodeResponse(geminiFormat.encodeResponse(res))).toEqual(res);
  });
});

describe('gemini errors', () => {
  it.each([
    [400, 'INVALID_ARGUMENT'],
    [401, 'UNAUTHENTICATED'],
    [403, 'PERMISSION_DENIED'],
    [404, 'NOT_FOUND'],
    [429, 'RESOURCE_EXHAUSTED'],
    [500, 'INTERNAL'],
    [503, 'UNAVAILABLE'],
    [504, 'DEADLINE_EXCEEDED'],
    [418, 'INVALID_ARGUMENT'],
    [502, 'INTERNAL'],
  ])('encodes status %d as %s', (status, name) => {
    expect(statusName(status)).toBe(name);
    expect(geminiFormat.encodeError({ status, code: 'x', message: 'went wrong' })).toEqual({
      error: { code: status, message: 'went wrong', status: name },
    });
  });

  it.each<[string, unknown, string | undefined]>([
    ['the Gemini API body', errorFixture, 'API key not valid. Please pass a valid API key.'],
    ['a Vertex array body', vertexErrorFixture, vertexErrorFixture[0]?.error.message],
    ['an OpenAI-shaped body without message', { error: { code: 1 } }, undefined],
    ['a non-error body', { candidates: [] }, undefined],
    ['text', 'oops', undefined],
  ])('decodes the message of %s', (_name, body, message) => {
    expect(geminiFormat.decodeErrorMessage(body)).toBe(message);
  });
});

describe('gemini usage', () => {
  it('reads usageOf from a response body', () => {
    expect(geminiFormat.usageOf(textFixture)).toEqual({
      inputTokens: 1033,
      outputTokens: 103,
      cachedInputTokens: 1024,
      reasoningTokens: 84,
    });
    expect(geminiFormat.usageOf({ candidates: [] })).toBeUndefined();
  });

  it.each<[string, string, unknown]>([
    ['a partial chunk', '{"usageMetadata":{"promptTokenCount":9,"totalTokenCount":9}}', { inputTokens: 9 }],
    [
      'a final chunk',
      '{"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":7,"thoughtsTokenCount":2,"cachedContentTokenCount":4}}',
      { inputTokens: 9, outputTokens: 9, reasoningTokens: 2, cachedInputTokens: 4 },
    ],
    ['a chunk without usage', '{"candidates":[]}', undefined],
    ['an empty usage block', '{"usageMetadata":{"trafficType":"ON_DEMAND"}}', undefined],
    ['not JSON', 'nope', undefined],
  ])('reads usageOfFrame from %s', (_name, data, expected) => {
    expect(geminiFormat.usageOfFrame({ data })).toEqual(expected);
  });
});
