import { usageObject } from './translate';

describe('usageObject', () => {
  it.each([
    [
      'an OpenAI completion',
      '{"id":"x","choices":[{"message":{"content":"usage: {not this}"}}],"usage":{"prompt_tokens":3,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":1}}}',
      { prompt_tokens: 3, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 1 } },
    ],
    [
      'an Anthropic message with braces and quotes in strings',
      '{"content":[{"type":"text","text":"a \\"usage\\" {"}],"usage" : {"input_tokens":5,"output_tokens":1}}',
      { input_tokens: 5, output_tokens: 1 },
    ],
    ['a body without usage', '{"id":"x"}', undefined],
    ['a truncated body', '{"usage":{"input_tokens":5', undefined],
  ])('%s', (_name, body, expected) => {
    expect(usageObject(Buffer.from(body))).toEqual(expected);
  });
});
