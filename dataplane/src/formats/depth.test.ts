import { FORMATS } from '.';
import { geminiFormat } from './gemini';
import { TranslationError } from './ir';
import { openAIChatFormat } from './openai-chat';
import { MAX_JSON_DEPTH, jsonDepthExceeds, refuseDeepJson } from './depth';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('jsonDepthExceeds', () => {
  it.each([
    ['a scalar', '42', 0, false],
    ['an empty object at limit 1', '{}', 1, false],
    ['an object in an array at limit 1', '[{}]', 1, true],
    ['exactly the default limit', nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH, false],
    ['one past the default limit', nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH, true],
    ['siblings do not add up', `[${Array(500).fill('[1]').join(',')}]`, 2, false],
    ['brackets inside strings do not count', `{"a":"${'[{'.repeat(500)}"}`, 1, false],
    ['escaped quotes keep the string open', `{"a":"\\"[[[[","b":[1]}`, 2, false],
    ['an escaped backslash closes the string', `{"a":"x\\\\","b":[[1]]}`, 2, true],
    ['10,000 levels', nested(10_000), MAX_JSON_DEPTH, true],
  ])('%s', (_name, text, limit, expected) => {
    JSON.parse(text); // every case is valid JSON
    expect(jsonDepthExceeds(text, limit)).toBe(expected);
  });

  it('scans a large flat body quickly and without recursion', () => {
    const big = JSON.stringify({
      messages: Array.from({ length: 20_000 }, (_, i) => ({ role: 'user', content: `m${i} [x]` })),
    });
    const t0 = performance.now();
    expect(jsonDepthExceeds(big)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(200);
  });
});

describe('refuseDeepJson', () => {
  it('refuses JSON text nested too deep with a TranslationError naming the field', () => {
    let err: unknown;
    try {
      refuseDeepJson(`{"a":${nested(1000)}}`, 'tool call arguments', 'messages[1].tool_calls[0]');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TranslationError);
    expect((err as TranslationError).param).toBe('messages[1].tool_calls[0]');
    expect((err as TranslationError).message).toBe(
      `Arrays and objects in tool call arguments are nested more than ${MAX_JSON_DEPTH} levels deep.`,
    );
  });

  it('lets JSON text within the limit through', () => {
    expect(() => refuseDeepJson(`{"a":${nested(MAX_JSON_DEPTH - 1)}}`, 'x', 'p')).not.toThrow();
  });
});

describe('codecs refuse JSON text in a request nested too deep (no recursive walk past the stack)', () => {
  const deep = `{"a":${nested(10_000)}}`;
  const history = (args: string, result: string) =>
    openAIChatFormat.decodeRequest({
      model: 'm',
      messages: [
        { role: 'user', content: 'hi' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: args } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: result },
      ],
    });

  it.each(['anthropic-messages', 'bedrock-converse', 'gemini'] as const)(
    'tool-call arguments, encoded for %s',
    (format) => {
      expect(() => FORMATS[format].encodeRequest(history(deep, 'ok'))).toThrow(TranslationError);
      expect(() => FORMATS[format].encodeRequest(history('{"a":1}', 'ok'))).not.toThrow();
    },
  );

  it('a tool result that is a JSON object, encoded for gemini', () => {
    expect(() => geminiFormat.encodeRequest(history('{}', deep))).toThrow(TranslationError);
  });
});
