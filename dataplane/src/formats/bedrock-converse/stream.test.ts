import { decodeAll as decodeFrames, fixtureFrames } from '../../testing/codec';
import type { Frame, StreamEvent } from '../ir';
import { sseText, UpstreamFormatError } from '../wire';
import { bedrockConverseFormat as f } from './index';

/**
 * Stream fixtures are ConverseStream event-stream messages written out one per SSE-style event:
 * `event:` is the `:event-type` header and `data:` the JSON payload (with Bedrock's `p` padding).
 */
const framesOf = (name: string): Frame[] => fixtureFrames(__dirname, name);
const decodeAll = (frames: Frame[]): StreamEvent[] => decodeFrames(f, frames);

/** Stream ids are made up per response: compare the rest. */
const stripId = (events: StreamEvent[]) => events.map((e) => (e.type === 'start' ? { ...e, id: 'x' } : e));

const PARIS = 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q';
const ROME = 'tooluse_Z4LqT1sBRm2x0Uo5mJ9dWg';

describe('bedrock-converse stream decoder', () => {
  it.each<[string, string, StreamEvent[]]>([
    [
      'text',
      'stream-text.txt',
      [
        { type: 'start', id: 'x', model: '' },
        { type: 'text', text: 'Paris' },
        { type: 'text', text: ' is 18°C' },
        { type: 'text', text: ' with light rain.' },
        { type: 'finish', stopReason: 'end' },
        { type: 'usage', usage: { inputTokens: 25, outputTokens: 11 } },
      ],
    ],
    [
      'text then two tool calls, with cached input',
      'stream-tools.txt',
      [
        { type: 'start', id: 'x', model: '' },
        { type: 'text', text: "I'll look up" },
        { type: 'text', text: ' both cities.' },
        { type: 'tool_call_start', index: 0, id: PARIS, name: 'get_weather' },
        { type: 'tool_call_delta', index: 0, arguments: '{"city": "Pa' },
        { type: 'tool_call_delta', index: 0, arguments: 'ris"}' },
        { type: 'tool_call_start', index: 1, id: ROME, name: 'get_weather' },
        { type: 'tool_call_delta', index: 1, arguments: '{"city": "Rome"}' },
        { type: 'finish', stopReason: 'tool_calls' },
        {
          type: 'usage',
          usage: { inputTokens: 1418, outputTokens: 94, cachedInputTokens: 1200, cacheWriteInputTokens: 200 },
        },
      ],
    ],
  ])('decodes %s', (_name, file, expected) => {
    const events = decodeAll(framesOf(file));
    expect(stripId(events)).toEqual(expected);
    expect(events[0]).toMatchObject({ type: 'start', id: expect.stringMatching(/^bedrock-/) });
  });

  it('passes the stop sequence and skips reasoning deltas', () => {
    expect(
      decodeAll([
        { event: 'contentBlockStart', data: '{"contentBlockIndex":0,"start":{"reasoningContent":{}}}' },
        {
          event: 'contentBlockDelta',
          data: '{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"hmm"}}}',
        },
        {
          event: 'messageStop',
          data: '{"stopReason":"stop_sequence","additionalModelResponseFields":{"stop_sequence":"END"}}',
        },
      ]),
    ).toEqual([{ type: 'finish', stopReason: 'stop_sequence', stopSequence: 'END' }]);
  });

  it.each<[string, Frame[], RegExp]>([
    ['a frame without an event type', [{ data: '{}' }], /event-type/],
    ['a payload that is not JSON', [{ event: 'contentBlockDelta', data: 'oops' }], /malformed/],
    [
      'tool input for a block that started no tool use',
      [{ event: 'contentBlockDelta', data: '{"contentBlockIndex":3,"delta":{"toolUse":{"input":"{}"}}}' }],
      /block 3/,
    ],
    [
      'a delta without an index',
      [{ event: 'contentBlockDelta', data: '{"delta":{"text":"x"}}' }],
      /contentBlockIndex/,
    ],
    ['a messageStop without a reason', [{ event: 'messageStop', data: '{}' }], /stopReason/],
    [
      'an exception event',
      [
        {
          event: 'throttlingException',
          data: '{"message":"Too many tokens, please wait before trying again."}',
        },
      ],
      /throttlingException: Too many tokens/,
    ],
  ])('rejects %s', (_name, frames, message) => {
    expect(() => decodeAll(frames)).toThrow(UpstreamFormatError);
    expect(() => decodeAll(frames)).toThrow(message);
  });
});

describe('bedrock-converse stream encoder', () => {
  function encodeAll(events: StreamEvent[]): Frame[] {
    const e = f.streamEncoder({ includeUsage: false });
    return [...events.flatMap((ev) => e.push(ev)), ...e.end()];
  }

  it('encodes a text reply as exact frames', () => {
    const text = sseText(
      encodeAll([
        { type: 'start', id: 'resp_1', model: 'm' },
        { type: 'text', text: 'Echo:' },
        { type: 'text', text: ' hi' },
        { type: 'finish', stopReason: 'end' },
        {
          type: 'usage',
          usage: { inputTokens: 7, outputTokens: 2, cachedInputTokens: 2, reasoningTokens: 0 },
        },
      ]),
    );
    expect(text).toBe(
      'event: messageStart\ndata: {"role":"assistant"}\n\n' +
        'event: contentBlockDelta\ndata: {"contentBlockIndex":0,"delta":{"text":"Echo:"}}\n\n' +
        'event: contentBlockDelta\ndata: {"contentBlockIndex":0,"delta":{"text":" hi"}}\n\n' +
        'event: contentBlockStop\ndata: {"contentBlockIndex":0}\n\n' +
        'event: messageStop\ndata: {"stopReason":"end_turn"}\n\n' +
        'event: metadata\ndata: {"usage":{"inputTokens":5,"outputTokens":2,"totalTokens":9,"cacheReadInputTokens":2},"metrics":{"latencyMs":0}}\n\n',
    );
  });

  it('encodes text then parallel tool calls, one block each', () => {
    const text = sseText(
      encodeAll([
        { type: 'start', id: 'resp_1', model: 'm' },
        { type: 'text', text: 'Both.' },
        { type: 'tool_call_start', index: 0, id: 'call_1', name: 'get_weather' },
        { type: 'tool_call_delta', index: 0, arguments: '{"city":' },
        { type: 'tool_call_delta', index: 0, arguments: '"Paris"}' },
        { type: 'tool_call_start', index: 1, id: 'call_2', name: 'get_weather' },
        { type: 'tool_call_delta', index: 1, arguments: '{"city":"Rome"}' },
        { type: 'finish', stopReason: 'tool_calls' },
      ]),
    );
    expect(text).toBe(
      'event: messageStart\ndata: {"role":"assistant"}\n\n' +
        'event: contentBlockDelta\ndata: {"contentBlockIndex":0,"delta":{"text":"Both."}}\n\n' +
        'event: contentBlockStop\ndata: {"contentBlockIndex":0}\n\n' +
        'event: contentBlockStart\ndata: {"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"call_1","name":"get_weather"}}}\n\n' +
        'event: contentBlockDelta\ndata: {"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\\"city\\":"}}}\n\n' +
        'event: contentBlockDelta\ndata: {"contentBlockIndex":1,"delta":{"toolUse":{"input":"\\"Paris\\"}"}}}\n\n' +
        'event: contentBlockStop\ndata: {"contentBlockIndex":1}\n\n' +
        'event: contentBlockStart\ndata: {"contentBlockIndex":2,"start":{"toolUse":{"toolUseId":"call_2","name":"get_weather"}}}\n\n' +
        'event: contentBlockDelta\ndata: {"contentBlockIndex":2,"delta":{"toolUse":{"input":"{\\"city\\":\\"Rome\\"}"}}}\n\n' +
        'event: contentBlockStop\ndata: {"contentBlockIndex":2}\n\n' +
        'event: messageStop\ndata: {"stopReason":"tool_use"}\n\n',
    );
  });

  it('carries a stop sequence and starts the message even without a start event', () => {
    expect(encodeAll([{ type: 'finish', stopReason: 'stop_sequence', stopSequence: 'END' }])).toEqual([
      { event: 'messageStart', data: '{"role":"assistant"}' },
      {
        event: 'messageStop',
        data: '{"stopReason":"stop_sequence","additionalModelResponseFields":{"stop_sequence":"END"}}',
      },
    ]);
  });

  it('sends one metadata event with the last usage', () => {
    const frames = encodeAll([
      { type: 'start', id: 'r', model: 'm' },
      { type: 'usage', usage: { inputTokens: 1, outputTokens: 1 } },
      { type: 'finish', stopReason: 'max_tokens' },
      { type: 'usage', usage: { inputTokens: 3, outputTokens: 4 } },
    ]);
    expect(frames.filter((fr) => fr.event === 'metadata')).toEqual([
      {
        event: 'metadata',
        data: '{"usage":{"inputTokens":3,"outputTokens":4,"totalTokens":7},"metrics":{"latencyMs":0}}',
      },
    ]);
  });

  it('renders a failure as the matching stream exception', () => {
    const e = f.streamEncoder({ includeUsage: true });
    expect(e.error({ status: 429, code: 'rate_limited', message: 'Too many tokens.' })).toEqual([
      { event: 'throttlingException', data: '{"message":"Too many tokens."}' },
    ]);
    expect(e.error({ status: 500, code: 'upstream_error', message: 'boom' })).toEqual([
      { event: 'internalServerException', data: '{"message":"boom"}' },
    ]);
  });

  it('round-trips events through the encoder and decoder', () => {
    const events: StreamEvent[] = [
      { type: 'start', id: 'x', model: '' },
      { type: 'text', text: 'Checking.' },
      { type: 'tool_call_start', index: 0, id: 'call_1', name: 'a' },
      { type: 'tool_call_delta', index: 0, arguments: '{"q":1}' },
      { type: 'tool_call_start', index: 1, id: 'call_2', name: 'b' },
      { type: 'tool_call_delta', index: 1, arguments: '{}' },
      { type: 'finish', stopReason: 'tool_calls' },
      {
        type: 'usage',
        usage: { inputTokens: 9, outputTokens: 3, cachedInputTokens: 4, cacheWriteInputTokens: 1 },
      },
    ];
    expect(stripId(decodeAll(encodeAll(events)))).toEqual(events);
  });
});
