import type { StreamEvent } from '../ir';
import { sseText, UpstreamFormatError } from '../wire';
import { openAIChatFormat as fmt } from './index';
import { fixtureFrames as framesFromFixture, framesOf } from '../../testing/codec';

const fixtureFrames = (name: string) => framesFromFixture(__dirname, name);

const NOW = 1745923902;
beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(NOW * 1000));
afterEach(() => jest.restoreAllMocks());

function decodeAll(file: string): StreamEvent[] {
  const d = fmt.streamDecoder();
  return fixtureFrames(file).flatMap((f) => d.push(f));
}

function encodeAll(events: StreamEvent[], includeUsage: boolean): string {
  const e = fmt.streamEncoder({ includeUsage });
  return sseText([...events.flatMap((ev) => e.push(ev)), ...e.end()]);
}

const textEvents: StreamEvent[] = [
  { type: 'start', id: 'chatcmpl-BRdlQ7mYtKz2xWq9vE4nLp8sUa3Hf', model: 'gpt-4o-mini-2024-07-18' },
  ...['Paris', ':', ' 18', '°C', ' and', ' cloudy', '.'].map((text): StreamEvent => ({ type: 'text', text })),
  { type: 'finish', stopReason: 'end' },
  {
    type: 'usage',
    usage: { inputTokens: 1117, outputTokens: 7, cachedInputTokens: 1024, reasoningTokens: 0 },
  },
];

const toolEvents: StreamEvent[] = [
  { type: 'start', id: 'chatcmpl-BRdm1xKc0Vb5nHq3Lr7TzYw2PdGe8', model: 'gpt-4o-mini-2024-07-18' },
  { type: 'tool_call_start', index: 0, id: 'call_pA3bR2x7Ue4lq1yTm8sK0vWc', name: 'get_weather' },
  { type: 'tool_call_delta', index: 0, arguments: '{"ci' },
  { type: 'tool_call_delta', index: 0, arguments: 'ty": ' },
  { type: 'tool_call_delta', index: 0, arguments: '"Paris"}' },
  { type: 'tool_call_start', index: 1, id: 'call_Z9hQ4nN1cB6dE2fG3jK5lM7o', name: 'get_weather' },
  { type: 'tool_call_delta', index: 1, arguments: '{"ci' },
  { type: 'tool_call_delta', index: 1, arguments: 'ty": ' },
  { type: 'tool_call_delta', index: 1, arguments: '"Rome"}' },
  { type: 'finish', stopReason: 'tool_calls' },
  { type: 'usage', usage: { inputTokens: 82, outputTokens: 36, cachedInputTokens: 0, reasoningTokens: 0 } },
];

describe('openai-chat streamDecoder', () => {
  it.each<[string, string, StreamEvent[]]>([
    ['a text stream with a usage chunk', 'stream-text.txt', textEvents],
    ['parallel tool calls', 'stream-tool-calls.txt', toolEvents],
    [
      "Groq's x_groq.usage on the finish chunk",
      'stream-groq.txt',
      [
        { type: 'start', id: 'chatcmpl-5f0b3c2e-8d41-4a8e-9b1a-2c7e4f6d9a10', model: 'llama-3.1-8b-instant' },
        ...['Hello', '!', ' How', ' can', ' I', ' help', '?'].map((text): StreamEvent => ({
          type: 'text',
          text,
        })),
        { type: 'finish', stopReason: 'end' },
        { type: 'usage', usage: { inputTokens: 40, outputTokens: 8 } },
      ],
    ],
  ])('decodes %s', (_name, file, expected) => {
    expect(decodeAll(file)).toStrictEqual(expected);
  });

  it('throws UpstreamFormatError with the message of an error frame, after the text before it', () => {
    const d = fmt.streamDecoder();
    const [role, text, error] = fixtureFrames('stream-error.txt');
    expect(d.push(role!)).toHaveLength(1);
    expect(d.push(text!)).toEqual([{ type: 'text', text: 'Par' }]);
    expect(() => d.push(error!)).toThrow(
      new UpstreamFormatError('The server had an error while processing your request. Sorry about that!'),
    );
  });

  it.each<[string, string]>([
    ['malformed JSON', '{"choices": ['],
    [
      'a tool call start without a name',
      '{"id":"a","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c"}]}}]}',
    ],
    ['non-string content', '{"id":"a","model":"m","choices":[{"index":0,"delta":{"content":3}}]}'],
  ])('throws UpstreamFormatError for %s', (_name, data) => {
    expect(() => fmt.streamDecoder().push({ data })).toThrow(UpstreamFormatError);
  });

  it('keeps a streamed refusal as text, ignores other choices, and renumbers a reused index with a new id', () => {
    const d = fmt.streamDecoder();
    const chunk = (choices: unknown[]) => ({ data: JSON.stringify({ id: 'x', model: 'm', choices }) });
    const events = [
      chunk([
        { index: 0, delta: { refusal: 'No.' } },
        { index: 1, delta: { content: 'other choice' } },
      ]),
      chunk([
        {
          index: 0,
          delta: { tool_calls: [{ index: 0, id: 'a', function: { name: 'f', arguments: '{}' } }] },
        },
      ]),
      chunk([
        {
          index: 0,
          delta: { tool_calls: [{ index: 0, id: 'b', function: { name: 'g', arguments: '{}' } }] },
        },
      ]),
      chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
    ].flatMap((f) => d.push(f));
    expect(events).toStrictEqual([
      { type: 'start', id: 'x', model: 'm' },
      { type: 'text', text: 'No.' },
      { type: 'tool_call_start', index: 0, id: 'a', name: 'f' },
      { type: 'tool_call_delta', index: 0, arguments: '{}' },
      { type: 'tool_call_start', index: 1, id: 'b', name: 'g' },
      { type: 'tool_call_delta', index: 1, arguments: '{}' },
      { type: 'finish', stopReason: 'end' },
    ]);
  });
});

describe('openai-chat streamEncoder', () => {
  const head = `"object":"chat.completion.chunk","created":${NOW},"model":"m"`;

  it('encodes text: role chunk, deltas, finish, usage chunk, [DONE] (include_usage)', () => {
    const events: StreamEvent[] = [
      { type: 'start', id: 'c1', model: 'm' },
      { type: 'text', text: 'Hi' },
      { type: 'text', text: ' there' },
      { type: 'finish', stopReason: 'end' },
      { type: 'usage', usage: { inputTokens: 5, outputTokens: 2, cachedInputTokens: 2, reasoningTokens: 0 } },
    ];
    expect(encodeAll(events, true)).toBe(
      `data: {"id":"c1",${head},"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}\n\n` +
        `data: {"id":"c1",${head},"choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}],"usage":null}\n\n` +
        `data: {"id":"c1",${head},"choices":[{"index":0,"delta":{"content":" there"},"logprobs":null,"finish_reason":null}],"usage":null}\n\n` +
        `data: {"id":"c1",${head},"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}\n\n` +
        `data: {"id":"c1",${head},"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7,"prompt_tokens_details":{"cached_tokens":2},"completion_tokens_details":{"reasoning_tokens":0}}}\n\n` +
        'data: [DONE]\n\n',
    );
  });

  it('encodes parallel tool calls without usage when the client did not ask for it', () => {
    const events: StreamEvent[] = [
      { type: 'start', id: 'c2', model: 'm' },
      { type: 'tool_call_start', index: 0, id: 'call_1', name: 'get_weather' },
      { type: 'tool_call_start', index: 1, id: 'call_2', name: 'get_time' },
      { type: 'tool_call_delta', index: 0, arguments: '{"city":"Paris"}' },
      { type: 'tool_call_delta', index: 1, arguments: '{}' },
      { type: 'usage', usage: { inputTokens: 5, outputTokens: 2 } },
      { type: 'finish', stopReason: 'tool_calls' },
    ];
    expect(encodeAll(events, false)).toBe(
      `data: {"id":"c2",${head},"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]}\n\n` +
        `data: {"id":"c2",${head},"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]},"logprobs":null,"finish_reason":null}]}\n\n` +
        `data: {"id":"c2",${head},"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_2","type":"function","function":{"name":"get_time","arguments":""}}]},"logprobs":null,"finish_reason":null}]}\n\n` +
        `data: {"id":"c2",${head},"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"city\\":\\"Paris\\"}"}}]},"logprobs":null,"finish_reason":null}]}\n\n` +
        `data: {"id":"c2",${head},"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]},"logprobs":null,"finish_reason":null}]}\n\n` +
        `data: {"id":"c2",${head},"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}]}\n\n` +
        'data: [DONE]\n\n',
    );
  });

  it('puts the finish chunk before the usage chunk when usage arrives first, and the last usage wins', () => {
    const events: StreamEvent[] = [
      { type: 'start', id: 'c3', model: 'm' },
      { type: 'usage', usage: { inputTokens: 1, outputTokens: 1 } },
      { type: 'text', text: 'x' },
      { type: 'usage', usage: { inputTokens: 9, outputTokens: 3 } },
      { type: 'finish', stopReason: 'max_tokens' },
    ];
    const chunks = framesOf(encodeAll(events, true)).map((f) => f.data);
    expect(chunks.slice(-3).map((d) => (d === '[DONE]' ? d : JSON.parse(d)))).toEqual([
      expect.objectContaining({
        choices: [expect.objectContaining({ finish_reason: 'length' })],
        usage: null,
      }),
      expect.objectContaining({
        choices: [],
        usage: expect.objectContaining({ prompt_tokens: 9, completion_tokens: 3 }),
      }),
      '[DONE]',
    ]);
  });

  it('encodes stop_sequence and content_filter finishes as OpenAI does', () => {
    for (const [stopReason, finish] of [
      ['stop_sequence', 'stop'],
      ['content_filter', 'content_filter'],
    ] as const) {
      const e = fmt.streamEncoder({ includeUsage: false });
      e.push({ type: 'start', id: 'c', model: 'm' });
      const [f] = e.push({
        type: 'finish',
        stopReason,
        stopSequence: stopReason === 'stop_sequence' ? 'END' : undefined,
      });
      expect(JSON.parse(f!.data)).toMatchObject({ choices: [{ delta: {}, finish_reason: finish }] });
    }
  });

  it('renders an error mid-stream as an OpenAI error frame', () => {
    const e = fmt.streamEncoder({ includeUsage: true });
    e.push({ type: 'start', id: 'c', model: 'm' });
    expect(e.error({ status: 502, code: 'upstream_error', message: 'upstream stream failed' })).toStrictEqual(
      [
        {
          data: '{"error":{"message":"upstream stream failed","type":"server_error","param":null,"code":"upstream_error"}}',
        },
      ],
    );
  });

  it.each<[string, StreamEvent[]]>([
    ['text', textEvents],
    ['parallel tool calls', toolEvents],
  ])('round-trips %s: decoder(encoder(events)) equals the events', (_name, events) => {
    const d = fmt.streamDecoder();
    expect(framesOf(encodeAll(events, true)).flatMap((f) => d.push(f))).toStrictEqual(events);
  });

  it('re-encodes a recorded text stream chunk for chunk, less the fields the neutral model lacks', () => {
    const parse = (d: string): unknown => {
      if (d === '[DONE]') return d;
      const {
        system_fingerprint: _fp,
        service_tier: _tier,
        ...rest
      } = JSON.parse(d) as Record<string, unknown>;
      return rest;
    };
    const recorded = fixtureFrames('stream-text.txt').map((f) => parse(f.data));
    const encoded = framesOf(encodeAll(decodeAll('stream-text.txt'), true)).map((f) => parse(f.data));
    // every field we write is what OpenAI wrote (it adds audio/prediction counters we have no data for)
    expect(recorded).toMatchObject(encoded);
    expect(encoded).toHaveLength(recorded.length);
  });
});
