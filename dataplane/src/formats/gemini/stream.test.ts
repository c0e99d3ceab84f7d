import { decodeAll as decodeFrames, fixtureFrames, framesOf } from '../../testing/codec';
import type { Frame, StreamEvent } from '../ir';
import { UpstreamFormatError, sseText } from '../wire';
import { geminiFormat } from './index';

const frames = (name: string): Frame[] => fixtureFrames(__dirname, name);
const decodeAll = (fs: Frame[]): StreamEvent[] => decodeFrames(geminiFormat, fs);

describe('gemini stream decoder', () => {
  it('decodes a text stream with the final usage', () => {
    expect(decodeAll(frames('stream-text.txt'))).toEqual([
      { type: 'start', id: '2pEjaMG0Eo-knvgPlI3OkQ8', model: 'gemini-2.0-flash' },
      { type: 'text', text: 'The' },
      { type: 'text', text: ' capital of France is' },
      { type: 'text', text: ' Paris.' },
      { type: 'finish', stopReason: 'end' },
      { type: 'usage', usage: { inputTokens: 9, outputTokens: 7 } },
    ]);
  });

  it('decodes whole parallel function calls, skipping thoughts', () => {
    expect(decodeAll(frames('stream-tools.txt'))).toEqual([
      { type: 'start', id: 'HpMjaJ3JKoWYnvgPrryvyQ8', model: 'gemini-2.5-flash' },
      { type: 'tool_call_start', index: 0, id: 'call_0', name: 'get_weather' },
      { type: 'tool_call_delta', index: 0, arguments: '{"city":"Paris"}' },
      { type: 'tool_call_start', index: 1, id: 'call_1', name: 'get_weather' },
      { type: 'tool_call_delta', index: 1, arguments: '{"city":"Rome"}' },
      { type: 'finish', stopReason: 'tool_calls' },
      { type: 'usage', usage: { inputTokens: 58, outputTokens: 70, reasoningTokens: 40 } },
    ]);
  });

  it('throws the message of an error chunk', () => {
    const d = geminiFormat.streamDecoder();
    const [first, second] = frames('stream-error.txt');
    expect(d.push(first as Frame)).toEqual([
      { type: 'start', id: 'QZQjaLXyM5a0nvgP2J6f-Q4', model: 'gemini-2.5-flash' },
      { type: 'text', text: 'Once upon' },
    ]);
    expect(() => d.push(second as Frame)).toThrow(
      new UpstreamFormatError('The model is overloaded. Please try again later.'),
    );
  });

  it('emits usage that trails the finish', () => {
    const events = decodeAll([
      {
        data: '{"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"},"finishReason":"MAX_TOKENS"}]}',
      },
      { data: '{"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":1}}' },
    ]);
    expect(events.slice(2)).toEqual([
      { type: 'finish', stopReason: 'max_tokens' },
      { type: 'usage', usage: { inputTokens: 3, outputTokens: 1 } },
    ]);
  });

  it.each([
    ['malformed JSON', '{"candidates": ['],
    ['a malformed function call', '{"candidates":[{"finishReason":"MALFORMED_FUNCTION_CALL"}]}'],
  ])('throws UpstreamFormatError for %s', (_name, data) => {
    expect(() => geminiFormat.streamDecoder().push({ data })).toThrow(UpstreamFormatError);
  });
});

describe('gemini stream encoder', () => {
  it('encodes text, parallel tool calls, finish and usage as exact SSE', () => {
    const enc = geminiFormat.streamEncoder({ includeUsage: false });
    const events: StreamEvent[] = [
      { type: 'start', id: 'r1', model: 'gemini-2.5-flash' },
      { type: 'text', text: 'Hi' },
      { type: 'tool_call_start', index: 0, id: 'call_a', name: 'f' },
      { type: 'tool_call_delta', index: 0, arguments: '{"ci' },
      { type: 'tool_call_delta', index: 0, arguments: 'ty":"Paris"}' },
      { type: 'tool_call_start', index: 1, id: 'call_b', name: 'f' },
      { type: 'tool_call_delta', index: 1, arguments: '{"city":"Rome"}' },
      { type: 'finish', stopReason: 'tool_calls' },
      { type: 'usage', usage: { inputTokens: 5, outputTokens: 2 } },
    ];
    const out = [...events.flatMap((e) => enc.push(e)), ...enc.end()];
    const tail = ',"modelVersion":"gemini-2.5-flash","responseId":"r1"}';
    expect(sseText(out)).toBe(
      'data: {"candidates":[{"content":{"role":"model","parts":[{"text":"Hi"}]},"index":0}]' +
        tail +
        '\n\n' +
        'data: {"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"id":"call_a","name":"f","args":{"city":"Paris"}}}]},"index":0}]' +
        tail +
        '\n\n' +
        'data: {"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"id":"call_b","name":"f","args":{"city":"Rome"}}}]},"index":0}]' +
        tail +
        '\n\n' +
        'data: {"candidates":[{"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":2,"totalTokenCount":7}' +
        tail +
        '\n\n',
    );
  });

  it('encodes an error chunk', () => {
    const enc = geminiFormat.streamEncoder({ includeUsage: true });
    expect(sseText(enc.error({ status: 503, code: 'overloaded', message: 'busy' }))).toBe(
      'data: {"error":{"code":503,"message":"busy","status":"UNAVAILABLE"}}\n\n',
    );
  });

  it('round-trips events through encoder and decoder', () => {
    const events: StreamEvent[] = [
      { type: 'start', id: 'r2', model: 'gemini-2.5-pro' },
      { type: 'text', text: 'Hello' },
      { type: 'text', text: ' world' },
      { type: 'tool_call_start', index: 0, id: 'call_z', name: 'g' },
      { type: 'tool_call_delta', index: 0, arguments: '{"a":[1,2]}' },
      { type: 'finish', stopReason: 'tool_calls' },
      { type: 'usage', usage: { inputTokens: 7, outputTokens: 4, cachedInputTokens: 2, reasoningTokens: 1 } },
    ];
    const enc = geminiFormat.streamEncoder({ includeUsage: true });
    const text = sseText([...events.flatMap((e) => enc.push(e)), ...enc.end()]);
    expect(decodeAll(framesOf(text))).toEqual(events);
  });
});
