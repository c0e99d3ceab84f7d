import { FORMATS } from '../../formats';
import { MAX_QUESTION_CHARS, partitionKey, prefixOfPartition, promptKey, type PromptKey } from './key';

const decode = (body: Record<string, unknown>) => FORMATS['openai-chat'].decodeRequest(body);
const BASE = {
  model: 'gpt',
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'What is the capital of France?' },
  ],
};
function keyOf(body: Record<string, unknown>): PromptKey {
  const k = promptKey(decode(body), String(body.model), body);
  if ('skip' in k) throw new Error(`skipped: ${k.skip}`);
  return k;
}
const base = keyOf(BASE);

describe('promptKey', () => {
  it('embeds the last message’s text', () => {
    expect(base.text).toBe('What is the capital of France?');
    expect(base.tag).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['streaming', { stream: true, stream_options: { include_usage: true } }],
    ['the end-user id', { user: 'u-42' }],
    ['metadata and storage hints', { metadata: { run: '7' }, store: false, service_tier: 'auto' }],
  ])('ignores %s', (_name, extra) => {
    expect(keyOf({ ...BASE, ...extra }).tag).toBe(base.tag);
  });

  it.each([
    ['another model', { model: 'gpt-mini' }],
    [
      'tools',
      { tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }] },
    ],
    ['a temperature', { temperature: 0.2 }],
    ['a response format', { response_format: { type: 'json_object' } }],
    ['max tokens', { max_tokens: 10 }],
    ['stop sequences', { stop: ['\n'] }],
    ['a field the codecs ignore (a vendor’s top_k)', { top_k: 5 }],
    ['another system prompt', { messages: [{ role: 'system', content: 'Be verbose.' }, BASE.messages[1]] }],
    ['no system prompt', { messages: [BASE.messages[1]] }],
    [
      'another conversation before the same question',
      {
        messages: [
          BASE.messages[0],
          { role: 'user', content: 'Let us talk about Texas.' },
          { role: 'assistant', content: 'Sure.' },
          BASE.messages[1],
        ],
      },
    ],
  ])('tells apart %s (same question, another tag)', (_name, over) => {
    const k = keyOf({ ...BASE, ...over });
    expect(k.text).toBe(base.text);
    expect(k.tag).not.toBe(base.tag);
  });

  it('tells apart requests whose only difference is an image', () => {
    const withImage = (url: string) => ({
      ...BASE,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this picture?' },
            { type: 'image_url', image_url: { url } },
          ],
        },
      ],
    });
    const a = keyOf(withImage('https://example.com/cat.png'));
    const b = keyOf(withImage('https://example.com/dog.png'));
    expect(a.text).toBe(b.text);
    expect(a.tag).not.toBe(b.tag);
  });

  it('embeds tool results when the last turn carries them', () => {
    const k = keyOf({
      ...BASE,
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '18°C and sunny' },
      ],
    });
    expect(k.text).toBe('18°C and sunny');
  });

  it('skips a question too long to embed, and one without text', () => {
    const long = { ...BASE, messages: [{ role: 'user', content: 'x'.repeat(MAX_QUESTION_CHARS + 1) }] };
    expect(promptKey(decode(long), 'gpt', long)).toEqual({ skip: 'question too long to embed' });
    const blank = { ...BASE, messages: [{ role: 'user', content: '   ' }] };
    expect(promptKey(decode(blank), 'gpt', blank)).toEqual({ skip: 'no text to embed' });
  });
});

describe('partitionKey', () => {
  it('is per consumer or per gateway, under the policy’s prefix', () => {
    const who = { consumer: 'default/app', gateway: 'default/acme' };
    const consumer = partitionKey('p', 'Consumer', who);
    const gateway = partitionKey('p', 'Gateway', who);
    expect(consumer).not.toBe(gateway);
    expect(partitionKey('p', 'Gateway', { ...who, consumer: 'default/other' })).toBe(gateway);
    expect(partitionKey('p', 'Consumer', { ...who, consumer: 'default/other' })).not.toBe(consumer);
    expect(prefixOfPartition(consumer)).toBe('p');
    // a consumer and a gateway of the same name do not share
    expect(partitionKey('p', 'Consumer', { consumer: 'default/x', gateway: 'default/y' })).not.toBe(
      partitionKey('p', 'Gateway', { consumer: 'default/z', gateway: 'default/x' }),
    );
  });
});
