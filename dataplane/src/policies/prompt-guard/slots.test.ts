import { formatPath, replaceTexts, requestSlots } from './slots';

const paths = (op: Parameters<typeof requestSlots>[0], body: Record<string, unknown>) =>
  requestSlots(op, body).map((s) => [formatPath(s.path), s.text]);

/** Every slot's text upper-cased, and the copy checked to differ from the body only there. */
function roundTrip(op: Parameters<typeof requestSlots>[0], body: Record<string, unknown>) {
  const before = JSON.stringify(body);
  const slots = requestSlots(op, body);
  const copy = replaceTexts(
    body,
    slots,
    slots.map((s) => `<${s.text.toUpperCase()}>`),
  );
  expect(JSON.stringify(body)).toBe(before); // the original is never touched
  return copy;
}

const CHAT = {
  model: 'gpt',
  temperature: 0.2,
  messages: [
    { role: 'system', content: 'be nice' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'hi' },
        { type: 'image_url', image_url: { url: 'u' } },
      ],
    },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":"x@y.com"}' } }],
    },
    { role: 'tool', tool_call_id: 'c1', content: 'tool says' },
    { role: 'user', content: '' },
  ],
  tools: [{ type: 'function', function: { name: 'f', description: 'd', parameters: {} } }],
  metadata: { note: 'keep me' },
};

const MESSAGES = {
  model: 'claude',
  max_tokens: 10,
  system: [{ type: 'text', text: 'sys', cache_control: { type: 'ephemeral' } }],
  messages: [
    { role: 'user', content: 'plain' },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'ok' },
        { type: 'tool_use', id: 't', name: 'f', input: { q: 'x' } },
      ],
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 't', content: 'result text' },
        {
          type: 'tool_result',
          tool_use_id: 't',
          content: [
            { type: 'text', text: 'block' },
            { type: 'image', source: {} },
          ],
        },
        { type: 'text', text: 'after' },
      ],
    },
  ],
  metadata: { user_id: 'u' },
};

const RESPONSES = {
  model: 'gpt',
  instructions: 'inst',
  input: [
    { role: 'developer', content: 'dev' },
    {
      type: 'message',
      role: 'user',
      content: [
        { type: 'input_text', text: 'q' },
        { type: 'input_image', image_url: 'i' },
      ],
    },
    { role: 'assistant', content: [{ type: 'output_text', text: 'a' }] },
    { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' },
    { type: 'function_call_output', call_id: 'c', output: 'out' },
    { type: 'function_call_output', call_id: 'c', output: [{ type: 'input_text', text: 'out2' }] },
  ],
  store: false,
};

describe('requestSlots: where each format keeps the prompt', () => {
  it('openai-chat: string and text-part content of every role, tool messages included', () => {
    expect(paths('chat.completions', CHAT)).toEqual([
      ['messages[0].content', 'be nice'],
      ['messages[1].content[0].text', 'hi'],
      ['messages[3].content', 'tool says'],
    ]);
  });

  it('anthropic-messages: system blocks, string and text blocks, tool_result strings and blocks', () => {
    expect(paths('messages', MESSAGES)).toEqual([
      ['system[0].text', 'sys'],
      ['messages[0].content', 'plain'],
      ['messages[1].content[0].text', 'ok'],
      ['messages[2].content[0].content', 'result text'],
      ['messages[2].content[1].content[0].text', 'block'],
      ['messages[2].content[2].text', 'after'],
    ]);
    expect(paths('messages', { ...MESSAGES, system: 'string system' })[0]).toEqual([
      'system',
      'string system',
    ]);
  });

  it('openai-responses: instructions, message items (input_text, output_text), function call outputs', () => {
    expect(paths('responses', RESPONSES)).toEqual([
      ['instructions', 'inst'],
      ['input[0].content', 'dev'],
      ['input[1].content[0].text', 'q'],
      ['input[2].content[0].text', 'a'],
      ['input[4].output', 'out'],
      ['input[5].output[0].text', 'out2'],
    ]);
    expect(paths('responses', { model: 'gpt', input: 'just text' })).toEqual([['input', 'just text']]);
  });

  it('embeddings: a string or a list of strings (token arrays are not text)', () => {
    expect(paths('embeddings', { model: 'e', input: 'one' })).toEqual([['input', 'one']]);
    expect(paths('embeddings', { model: 'e', input: ['a', 'b'] })).toEqual([
      ['input[0]', 'a'],
      ['input[1]', 'b'],
    ]);
    expect(paths('embeddings', { model: 'e', input: [1, 2, 3] })).toEqual([]);
  });

  it('ignores what is not where it expects it (malformed bodies are the codec’s business)', () => {
    expect(paths('chat.completions', { messages: 'nope' })).toEqual([]);
    expect(paths('chat.completions', { messages: [null, 3, { content: 7 }] })).toEqual([]);
    expect(paths('models', {})).toEqual([]);
  });
});

describe('replaceTexts: a lossless copy', () => {
  it.each([
    ['chat.completions', CHAT],
    ['messages', MESSAGES],
    ['responses', RESPONSES],
    ['embeddings', { model: 'e', input: ['a', 'b'], dimensions: 3 }],
  ] as const)('%s: only the texts change, every other field is the same, in the same order', (op, body) => {
    const copy = roundTrip(op, body);
    // The expectation, built independently: a deep clone mutated in place at each slot's path.
    const expected = JSON.parse(JSON.stringify(body)) as Record<string | number, unknown>;
    for (const slot of requestSlots(op, body)) {
      let node = expected;
      for (const key of slot.path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
      node[slot.path[slot.path.length - 1] as string | number] = `<${slot.text.toUpperCase()}>`;
    }
    expect(JSON.stringify(copy)).toBe(JSON.stringify(expected));
    expect(JSON.stringify(copy)).not.toBe(JSON.stringify(body));
  });

  it('keeps key order and shares untouched subtrees with the original', () => {
    const copy = roundTrip('chat.completions', CHAT) as typeof CHAT;
    expect(Object.keys(copy)).toEqual(Object.keys(CHAT));
    expect(copy.tools).toBe(CHAT.tools);
    expect(copy.metadata).toBe(CHAT.metadata);
    expect(copy.messages[2]).toBe(CHAT.messages[2]);
    expect(copy.messages[1]).not.toBe(CHAT.messages[1]);
    expect(JSON.stringify(copy)).toBe(
      JSON.stringify(CHAT)
        .replace('"be nice"', '"<BE NICE>"')
        .replace('"hi"', '"<HI>"')
        .replace('"tool says"', '"<TOOL SAYS>"'),
    );
  });

  it('writes nothing when the texts are unchanged', () => {
    const slots = requestSlots('messages', MESSAGES);
    const copy = replaceTexts(
      MESSAGES,
      slots,
      slots.map((s) => s.text),
    );
    expect(copy).toEqual(MESSAGES);
    expect(copy.messages).toBe(MESSAGES.messages);
  });
});
