import {
  decodeAll as decodeFrames,
  encodeAll as encodeEvents,
  fixtureFrames,
  framesOf,
} from '../../testing/codec';
import type { Frame, StreamEvent } from '../ir';
import { UpstreamFormatError, sseText } from '../wire';
import { anthropicMessagesFormat as fmt } from './index';

/** A recorded SSE body split into frames, as the proxy's SSE splitter does. */
const fixture = (name: string): Frame[] => fixtureFrames(__dirname, name);
const decodeAll = (frames: Frame[]): StreamEvent[] => decodeFrames(fmt, frames);
const encodeAll = (events: StreamEvent[]): string => sseText(encodeEvents(fmt, events));

const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

describe('anthropic-messages stream decoder', () => {
  it('decodes a recorded text stream, ignoring ping, with usage totals', () => {
    expect(decodeAll(fixture('stream-text.txt'))).toEqual<StreamEvent[]>([
      { type: 'start', id: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY', model: 'claude-sonnet-4-5-20250929' },
      {
        type: 'usage',
        usage: { inputTokens: 25, outputTokens: 1, cachedInputTokens: 0, cacheWriteInputTokens: 0 },
      },
      { type: 'text', text: 'Hello' },
      { type: 'text', text: '!' },
      { type: 'finish', stopReason: 'end' },
      {
        type: 'usage',
        usage: { inputTokens: 25, outputTokens: 15, cachedInputTokens: 0, cacheWriteInputTokens: 0 },
      },
    ]);
  });

  it('decodes thinking (skipped), text and two parallel tool calls numbered by order', () => {
    expect(decodeAll(fixture('stream-tool-use.txt'))).toEqual<StreamEvent[]>([
      { type: 'start', id: 'msg_014p7gG3wDgGV9EUtLvnow3U', model: 'claude-sonnet-4-5-20250929' },
      {
        type: 'usage',
        usage: { inputTokens: 1496, outputTokens: 2, cachedInputTokens: 1024, cacheWriteInputTokens: 0 },
      },
      { type: 'text', text: "Okay, let's check" },
      { type: 'text', text: ' both cities:' },
      { type: 'tool_call_start', index: 0, id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather' },
      { type: 'tool_call_delta', index: 0, arguments: '{"city": ' },
      { type: 'tool_call_delta', index: 0, arguments: '"Paris"}' },
      { type: 'tool_call_start', index: 1, id: 'toolu_01Hq3p9Kf3oWmPq8VbP1rXkQ', name: 'get_weather' },
      { type: 'tool_call_delta', index: 1, arguments: '{"city": "Rome"}' },
      { type: 'finish', stopReason: 'tool_calls' },
      {
        type: 'usage',
        usage: { inputTokens: 1496, outputTokens: 89, cachedInputTokens: 1024, cacheWriteInputTokens: 0 },
      },
    ]);
  });

  it('throws the message of an error event mid-stream, after what came before', () => {
    const d = fmt.streamDecoder();
    const frames = fixture('stream-error.txt');
    const before = frames.slice(0, -1).flatMap((f) => d.push(f));
    expect(before.map((e) => e.type)).toEqual(['start', 'usage', 'text']);
    const last = frames[frames.length - 1] as Frame;
    expect(() => d.push(last)).toThrow(new UpstreamFormatError('Overloaded'));
  });

  it('reads the stop sequence and keeps earlier cache counts when message_delta omits them', () => {
    const frames = framesOf(
      sse('message_start', {
        type: 'message_start',
        message: {
          id: 'msg_s',
          model: 'claude-haiku-4-5',
          usage: { input_tokens: 4, cache_read_input_tokens: 6, output_tokens: 1 },
        },
      }) +
        sse('message_delta', {
          type: 'message_delta',
          delta: { stop_reason: 'stop_sequence', stop_sequence: 'END' },
          usage: { output_tokens: 9, cache_read_input_tokens: null },
        }),
    );
    expect(decodeAll(frames).slice(2)).toEqual<StreamEvent[]>([
      { type: 'finish', stopReason: 'stop_sequence', stopSequence: 'END' },
      { type: 'usage', usage: { inputTokens: 10, outputTokens: 9, cachedInputTokens: 6 } },
    ]);
  });

  it('passes a tool_use that starts with its whole input and ignores unknown events', () => {
    const frames = framesOf(
      sse('message_start', { type: 'message_start', message: { id: 'm', model: 'c' } }) +
        sse('content_block_start', {
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'tool_use', id: 'toolu_x', name: 'f', input: { a: 1 } },
        }) +
        sse('future_event', { type: 'future_event', anything: true }) +
        sse('content_block_stop', { type: 'content_block_stop', index: 0 }) +
        sse('message_stop', { type: 'message_stop' }),
    );
    expect(decodeAll(frames)).toEqual<StreamEvent[]>([
      { type: 'start', id: 'm', model: 'c' },
      { type: 'tool_call_start', index: 0, id: 'toolu_x', name: 'f' },
      { type: 'tool_call_delta', index: 0, arguments: '{"a":1}' },
    ]);
  });

  it.each<[string, Frame]>([
    ['malformed JSON', { event: 'content_block_delta', data: '{"type":"content_block_delta",' }],
    [
      'input_json_delta outside a tool block',
      {
        data: JSON.stringify({
          type: 'content_block_delta',
          index: 4,
          delta: { type: 'input_json_delta', partial_json: '{' },
        }),
      },
    ],
    [
      'an unknown delta type',
      { data: JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'audio_delta' } }) },
    ],
    [
      'a server tool block',
      {
        data: JSON.stringify({
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'server_tool_use', id: 's', name: 'web_search', input: {} },
        }),
      },
    ],
    [
      'a delta without index',
      { data: JSON.stringify({ type: 'content_block_delta', delta: { type: 'text_delta', text: 'x' } }) },
    ],
    [
      'message_start without id',
      { data: JSON.stringify({ type: 'message_start', message: { model: 'c' } }) },
    ],
  ])('rejects %s with UpstreamFormatError', (_name, frame) => {
    expect(() => fmt.streamDecoder().push(frame)).toThrow(UpstreamFormatError);
  });
});

describe('anthropic-messages stream encoder', () => {
  it('encodes text and parallel tool calls, holding the finish until usage arrives at end()', () => {
    const text = encodeAll([
      { type: 'start', id: 'msg_1', model: 'claude-sonnet-4-5' },
      { type: 'text', text: 'Checking' },
      { type: 'text', text: ' both.' },
      { type: 'tool_call_start', index: 0, id: 'call_1', name: 'get_weather' },
      { type: 'tool_call_delta', index: 0, arguments: '{"city":' },
      { type: 'tool_call_delta', index: 0, arguments: '"Paris"}' },
      { type: 'tool_call_start', index: 1, id: 'call_2', name: 'get_weather' },
      { type: 'tool_call_delta', index: 1, arguments: '{"city":"Rome"}' },
      { type: 'finish', stopReason: 'tool_calls' },
      { type: 'usage', usage: { inputTokens: 30, outputTokens: 12, cachedInputTokens: 10 } },
    ]);
    expect(text).toBe(
      'event: message_start\n' +
        'data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"cache_creation_input_tokens":null,"cache_read_input_tokens":null,"output_tokens":0}}}\n\n' +
        'event: content_block_start\n' +
        'data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n' +
        'event: content_block_delta\n' +
        'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Checking"}}\n\n' +
        'event: content_block_delta\n' +
        'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" both."}}\n\n' +
        'event: content_block_stop\n' +
        'data: {"type":"content_block_stop","index":0}\n\n' +
        'event: content_block_start\n' +
        'data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"call_1","name":"get_weather","input":{}}}\n\n' +
        'event: content_block_delta\n' +
        'data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"city\\":"}}\n\n' +
        'event: content_block_delta\n' +
        'data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\\"Paris\\"}"}}\n\n' +
        'event: content_block_stop\n' +
        'data: {"type":"content_block_stop","index":1}\n\n' +
        'event: content_block_start\n' +
        'data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"call_2","name":"get_weather","input":{}}}\n\n' +
        'event: content_block_delta\n' +
        'data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\\"city\\":\\"Rome\\"}"}}\n\n' +
        'event: content_block_stop\n' +
        'data: {"type":"content_block_stop","index":2}\n\n' +
        'event: message_delta\n' +
        'data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":20,"cache_read_input_tokens":10,"output_tokens":12}}\n\n' +
        'event: message_stop\n' +
        'data: {"type":"message_stop"}\n\n',
    );
  });

  it('puts usage known before the first content into message_start, and the stop sequence into message_delta', () => {
    const text = encodeAll([
      { type: 'start', id: 'msg_2', model: 'c' },
      {
        type: 'usage',
        usage: { inputTokens: 8, outputTokens: 1, cachedInputTokens: 3, cacheWriteInputTokens: 0 },
      },
      { type: 'text', text: 'One' },
      { type: 'finish', stopReason: 'stop_sequence', stopSequence: ', two' },
      {
        type: 'usage',
        usage: { inputTokens: 8, outputTokens: 2, cachedInputTokens: 3, cacheWriteInputTokens: 0 },
      },
    ]);
    const frames = framesOf(text);
    expect(JSON.parse(frames[0]?.data ?? '')).toMatchObject({
      message: {
        usage: {
          input_tokens: 5,
          cache_read_input_tokens: 3,
          cache_creation_input_tokens: 0,
          output_tokens: 1,
        },
      },
    });
    expect(frames[frames.length - 2]).toEqual({
      event: 'message_delta',
      data: JSON.stringify({
        type: 'message_delta',
        delta: { stop_reason: 'stop_sequence', stop_sequence: ', two' },
        usage: {
          input_tokens: 5,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 3,
          output_tokens: 2,
        },
      }),
    });
  });

  it('closes an empty stream with end_turn and zero output', () => {
    const e = fmt.streamEncoder({ includeUsage: true });
    const frames = [...e.push({ type: 'start', id: 'msg_e', model: 'c' }), ...e.end()];
    expect(frames.map((f) => f.event)).toEqual(['message_start', 'message_delta', 'message_stop']);
    expect(JSON.parse(frames[1]?.data ?? '')).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: 0 },
    });
  });

  it('encodes a mid-stream error as an error event', () => {
    const e = fmt.streamEncoder({ includeUsage: false });
    expect(sseText(e.error({ status: 529, code: 'overloaded', message: 'Overloaded' }))).toBe(
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
    );
  });

  it('refuses arguments for a tool call that never started', () => {
    const e = fmt.streamEncoder({ includeUsage: false });
    e.push({ type: 'start', id: 'm', model: 'c' });
    expect(() => e.push({ type: 'tool_call_delta', index: 3, arguments: '{}' })).toThrow(UpstreamFormatError);
  });

  it('decodes its own output back to the same events', () => {
    const events: StreamEvent[] = [
      { type: 'start', id: 'msg_rt', model: 'claude-opus-4-1' },
      { type: 'text', text: 'Hi' },
      { type: 'tool_call_start', index: 0, id: 'toolu_a', name: 'f' },
      { type: 'tool_call_delta', index: 0, arguments: '{"x":1}' },
      { type: 'text', text: 'after' },
      { type: 'tool_call_start', index: 1, id: 'toolu_b', name: 'g' },
      { type: 'tool_call_delta', index: 1, arguments: '{}' },
      { type: 'finish', stopReason: 'tool_calls' },
      {
        type: 'usage',
        usage: {
          inputTokens: 50,
          outputTokens: 7,
          cachedInputTokens: 20,
          cacheWriteInputTokens: 5,
          reasoningTokens: 2,
        },
      },
    ];
    const decoded = decodeAll(framesOf(encodeAll(events)));
    expect(decoded.filter((e) => e.type !== 'usage')).toEqual(events.filter((e) => e.type !== 'usage'));
    expect(decoded[decoded.length - 1]).toEqual(events[events.length - 1]);
  });
});
