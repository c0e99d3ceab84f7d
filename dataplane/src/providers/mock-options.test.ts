import { UNTRANSLATED_FIELDS } from '../formats/openai-chat';
import { splitMockOptions, streamWithChoices, withOptions } from './mock-options';

const messages = [{ role: 'user', content: 'hi' }];
const response = {
  id: 'c1',
  object: 'chat.completion',
  choices: [
    { index: 0, message: { role: 'assistant', content: 'Echo: a b' }, logprobs: null, finish_reason: 'stop' },
  ],
};

describe('the mock provider and the options the neutral request lacks', () => {
  it('takes every field the strict decoder refuses out of the body it decodes', () => {
    const body: Record<string, unknown> = { model: 'm', messages };
    for (const f of UNTRANSLATED_FIELDS) body[f] = 'anything';
    const { body: rest } = splitMockOptions(body);
    expect(rest).toEqual({ model: 'm', messages });
    expect(body.seed).toBe('anything'); // the caller's body is left as it was
  });

  it.each([
    [{}, { n: 1, logprobs: false, topLogprobs: 0 }],
    [
      { n: 3, logprobs: true, top_logprobs: 2 },
      { n: 3, logprobs: true, topLogprobs: 2 },
    ],
    [
      { n: 1.5, top_logprobs: 99 },
      { n: 1, logprobs: false, topLogprobs: 20 },
    ],
    [{ n: 100_000 }, { n: 128, logprobs: false, topLogprobs: 0 }],
  ])('%j → %j', (options, expected) => {
    expect(splitMockOptions({ model: 'm', messages, ...options }).options).toEqual(expected);
  });

  it('answers n choices, each with per-word log-probabilities when asked', () => {
    interface Out {
      choices: {
        index: number;
        logprobs: { content: { token: string; logprob: number; top_logprobs: unknown[] }[] };
      }[];
    }
    const out = withOptions(response, { n: 2, logprobs: true, topLogprobs: 1 }) as unknown as Out;
    expect(out.choices.map((c) => c.index)).toEqual([0, 1]);
    const tokens = out.choices[1]?.logprobs.content ?? [];
    expect(tokens.map((t) => t.token)).toEqual(['Echo:', ' a', ' b']);
    expect(tokens.every((t) => t.logprob === 0 && t.top_logprobs.length === 1)).toBe(true);
    expect(withOptions(response, { n: 1, logprobs: false, topLogprobs: 0 })).toEqual(response);
  });

  it('repeats each choice chunk of a stream per choice, usage and [DONE] once', () => {
    const frames = [
      { data: JSON.stringify({ id: 'c1', choices: [{ index: 0, delta: { content: 'a' } }] }) },
      { data: JSON.stringify({ id: 'c1', choices: [], usage: { total_tokens: 3 } }) },
      { data: '[DONE]' },
    ];
    const out = streamWithChoices(frames, 3).map((f) => f.data);
    expect(out).toHaveLength(5);
    expect(
      out.slice(0, 3).map((d) => (JSON.parse(d) as { choices: { index: number }[] }).choices[0]?.index),
    ).toEqual([0, 1, 2]);
    expect(out.slice(3)).toEqual([frames[1]?.data, '[DONE]']);
    expect(streamWithChoices(frames, 1)).toBe(frames);
  });
});
