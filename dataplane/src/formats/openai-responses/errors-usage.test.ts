import { fixtureText } from '../../testing/codec';
import type { ErrorInfo, Frame, Usage } from '../ir';
import { parseSseEvent } from '../wire';
import { openAIResponsesFormat as fmt } from './index';

const read = (name: string) => fixtureText(__dirname, name);

describe('openai-responses errors', () => {
  it.each<[string, ErrorInfo, Record<string, unknown>]>([
    [
      '400 with param',
      { status: 400, code: 'invalid_request', message: "'input' is required.", param: 'input' },
      {
        error: {
          message: "'input' is required.",
          type: 'invalid_request_error',
          param: 'input',
          code: 'invalid_request',
        },
      },
    ],
    [
      '401',
      { status: 401, code: 'invalid_api_key', message: 'Incorrect API key provided.' },
      {
        error: {
          message: 'Incorrect API key provided.',
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      },
    ],
    [
      '429',
      { status: 429, code: 'rate_limit_exceeded', message: 'Rate limit reached.' },
      {
        error: { message: 'Rate limit reached.', type: 'requests', param: null, code: 'rate_limit_exceeded' },
      },
    ],
    [
      '502',
      { status: 502, code: 'upstream_error', message: 'Bad gateway.' },
      { error: { message: 'Bad gateway.', type: 'server_error', param: null, code: 'upstream_error' } },
    ],
  ])('encodes %s in the Chat Completions error shape', (_name, e, expected) => {
    expect(fmt.encodeError(e)).toStrictEqual(expected);
  });

  it.each<[string, unknown, string | undefined]>([
    [
      'the recorded error body',
      JSON.parse(read('error.json')),
      "Invalid type for 'input[0].content': expected one of an array of input items or a string, but got an object instead.",
    ],
    [
      'a failed response object',
      {
        id: 'resp_1',
        object: 'response',
        status: 'failed',
        error: { code: 'server_error', message: 'boom' },
      },
      'boom',
    ],
    ['an encoded error', fmt.encodeError({ status: 500, code: 'x', message: 'internal' }), 'internal'],
    ['a body without error', { id: 'resp_1', object: 'response', error: null }, undefined],
    ['an Anthropic-style string error', { error: 'nope' }, undefined],
    ['not an object', 'Bad Gateway', undefined],
  ])('decodeErrorMessage of %s', (_name, body, expected) => {
    expect(fmt.decodeErrorMessage(body)).toBe(expected);
  });
});

describe('openai-responses usage', () => {
  it.each<[string, unknown, Usage | undefined]>([
    [
      'a recorded response',
      JSON.parse(read('response-tools.json')),
      { inputTokens: 1288, outputTokens: 46, cachedInputTokens: 1152, reasoningTokens: 0 },
    ],
    [
      'reasoning and cache writes',
      {
        usage: {
          input_tokens: 50,
          input_tokens_details: { cached_tokens: 10, cache_write_tokens: 40 },
          output_tokens: 30,
          output_tokens_details: { reasoning_tokens: 20 },
          total_tokens: 80,
        },
      },
      {
        inputTokens: 50,
        outputTokens: 30,
        cachedInputTokens: 10,
        cacheWriteInputTokens: 40,
        reasoningTokens: 20,
      },
    ],
    ['no details', { usage: { input_tokens: 3, output_tokens: 4 } }, { inputTokens: 3, outputTokens: 4 }],
    ['no usage', { id: 'resp_1', usage: null }, undefined],
    ['not an object', [1, 2], undefined],
  ])('usageOf %s', (_name, body, expected) => {
    expect(fmt.usageOf(body)).toStrictEqual(expected);
  });

  const lastFrame = (name: string) => {
    const chunks = read(name)
      .split('\n\n')
      .filter((c) => c.trim() !== '');
    return parseSseEvent(chunks[chunks.length - 1] as string) as Frame;
  };

  it.each<[string, Frame, Partial<Usage> | undefined]>([
    [
      'response.completed',
      lastFrame('stream-tools.txt'),
      { inputTokens: 1288, outputTokens: 46, cachedInputTokens: 1152, reasoningTokens: 0 },
    ],
    [
      'response.incomplete',
      lastFrame('stream-incomplete.txt'),
      { inputTokens: 22, outputTokens: 16, cachedInputTokens: 0, reasoningTokens: 12 },
    ],
    [
      'an unnamed response.completed',
      {
        data: JSON.stringify({
          type: 'response.completed',
          response: { usage: { input_tokens: 1, output_tokens: 2 } },
        }),
      },
      { inputTokens: 1, outputTokens: 2 },
    ],
    [
      'response.created (usage null)',
      parseSseEvent(read('stream-text.txt').split('\n\n')[0] as string) as Frame,
      undefined,
    ],
    [
      'a delta that mentions "usage" in its text',
      {
        event: 'response.output_text.delta',
        data: JSON.stringify({ type: 'response.output_text.delta', delta: '"usage"' }),
      },
      undefined,
    ],
    ['malformed data', { event: 'response.completed', data: '{"usage": ' }, undefined],
  ])('usageOfFrame of %s', (_name, f, expected) => {
    expect(fmt.usageOfFrame(f)).toStrictEqual(expected);
  });
});
