import type { Usage } from '../ir';
import { openAIChatFormat as fmt } from './index';
import { fixtureJson, fixtureFrames as framesFromFixture } from '../../testing/codec';

const fixture = (name: string) => fixtureJson(__dirname, name);
const fixtureFrames = (name: string) => framesFromFixture(__dirname, name);

describe('openai-chat usageOf', () => {
  it.each<[string, unknown, Usage | undefined]>([
    [
      'a completion with cached tokens',
      fixture('response-text.json'),
      { inputTokens: 1117, outputTokens: 46, cachedInputTokens: 1024, reasoningTokens: 0 },
    ],
    [
      'a completion with reasoning tokens',
      fixture('response-tool-calls.json'),
      { inputTokens: 82, outputTokens: 217, cachedInputTokens: 0, reasoningTokens: 128 },
    ],
    [
      'a bare usage block',
      { usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } },
      { inputTokens: 3, outputTokens: 4 },
    ],
    [
      'Groq x_groq.usage',
      { x_groq: { usage: { prompt_tokens: 40, completion_tokens: 8 } } },
      { inputTokens: 40, outputTokens: 8 },
    ],
    ['no usage', { id: 'x', usage: null }, undefined],
    ['not an object', [1, 2], undefined],
  ])('%s', (_name, body, expected) => {
    expect(fmt.usageOf(body)).toStrictEqual(expected);
  });
});

describe('openai-chat usageOfFrame', () => {
  it.each<[string, string, (Partial<Usage> | undefined)[]]>([
    [
      'an OpenAI stream: only the final usage chunk',
      'stream-text.txt',
      [
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        { inputTokens: 1117, outputTokens: 7, cachedInputTokens: 1024, reasoningTokens: 0 },
        undefined,
      ],
    ],
    [
      'a Groq stream: the finish chunk',
      'stream-groq.txt',
      [
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        { inputTokens: 40, outputTokens: 8 },
        undefined,
      ],
    ],
  ])('%s', (_name, file, expected) => {
    expect(fixtureFrames(file).map((f) => fmt.usageOfFrame(f))).toStrictEqual(expected);
  });

  it.each<[string, string, Partial<Usage> | undefined]>([
    ['a partial block', '{"usage":{"completion_tokens":5}}', { outputTokens: 5 }],
    ['null usage', '{"choices":[],"usage":null}', undefined],
    ['malformed JSON', '{"usage": ', undefined],
    ['[DONE]', '[DONE]', undefined],
  ])('%s', (_name, data, expected) => {
    expect(fmt.usageOfFrame({ data })).toStrictEqual(expected);
  });
});
