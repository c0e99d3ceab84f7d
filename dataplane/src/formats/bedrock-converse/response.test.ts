import { fixtureJson } from '../../testing/codec';
import type { ChatResponse, Usage } from '../ir';
import { UpstreamFormatError } from '../wire';
import { bedrockConverseFormat as f } from './index';

const fixture = (name: string) => fixtureJson(__dirname, name);
const PARIS = 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q';
const ROME = 'tooluse_Z4LqT1sBRm2x0Uo5mJ9dWg';

/** Bedrock sends no id: compare everything else. */
const withoutId = ({ id: _id, ...rest }: ChatResponse) => rest;

describe('bedrock-converse decodeResponse', () => {
  it.each<[string, string, Omit<ChatResponse, 'id'>]>([
    [
      'a text answer',
      'response-text.json',
      {
        model: '',
        content: [{ type: 'text', text: 'Paris is 18°C with light rain.' }],
        stopReason: 'end',
        usage: { inputTokens: 25, outputTokens: 11 },
      },
    ],
    [
      'parallel tool calls, with cache reads and writes added to the input',
      'response-tool-use.json',
      {
        model: '',
        content: [
          { type: 'text', text: "I'll look up both cities." },
          { type: 'tool_call', id: PARIS, name: 'get_weather', arguments: '{"city":"Paris"}' },
          { type: 'tool_call', id: ROME, name: 'get_weather', arguments: '{"city":"Rome"}' },
        ],
        stopReason: 'tool_calls',
        usage: { inputTokens: 1418, outputTokens: 94, cachedInputTokens: 1200, cacheWriteInputTokens: 200 },
      },
    ],
    [
      'reasoning skipped, the stop sequence from additionalModelResponseFields',
      'response-reasoning-stop-sequence.json',
      {
        model: '',
        content: [{ type: 'text', text: '1. Paris\n2. Rome\n' }],
        stopReason: 'stop_sequence',
        stopSequence: 'END',
        usage: { inputTokens: 40, outputTokens: 52 },
      },
    ],
  ])('%s', (_name, file, expected) => {
    const res = f.decodeResponse(fixture(file));
    expect(withoutId(res)).toEqual(expected);
    expect(res.id).toMatch(/^bedrock-/);
  });

  it.each<[string, ChatResponse['stopReason']]>([
    ['end_turn', 'end'],
    ['tool_use', 'tool_calls'],
    ['max_tokens', 'max_tokens'],
    ['model_context_window_exceeded', 'max_tokens'],
    ['stop_sequence', 'stop_sequence'],
    ['guardrail_intervened', 'content_filter'],
    ['content_filtered', 'content_filter'],
    ['malformed_model_output', 'end'],
    ['malformed_tool_use', 'end'],
  ])('stop reason %s → %s', (bedrock, neutral) => {
    const body = { output: { message: { role: 'assistant', content: [] } }, stopReason: bedrock };
    expect(f.decodeResponse(body).stopReason).toBe(neutral);
  });

  it.each<[string, unknown]>([
    ['not an object', 'Internal Server Error'],
    ['no output', { stopReason: 'end_turn' }],
    ['no content', { output: { message: { role: 'assistant' } }, stopReason: 'end_turn' }],
    ['no stop reason', { output: { message: { role: 'assistant', content: [] } } }],
    [
      'a toolUse without a name',
      {
        output: { message: { role: 'assistant', content: [{ toolUse: { toolUseId: 't' } }] } },
        stopReason: 'tool_use',
      },
    ],
  ])('rejects %s as an upstream format error', (_name, body) => {
    expect(() => f.decodeResponse(body)).toThrow(UpstreamFormatError);
  });
});

describe('bedrock-converse encodeResponse', () => {
  it('encodes text and parallel tool calls, subtracting cache tokens from the input', () => {
    const res: ChatResponse = {
      id: 'resp_1',
      model: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
      content: [
        { type: 'text', text: "I'll look up both cities." },
        { type: 'tool_call', id: PARIS, name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'tool_call', id: ROME, name: 'get_weather', arguments: '{"city":"Rome"}' },
      ],
      stopReason: 'tool_calls',
      usage: { inputTokens: 1418, outputTokens: 94, cachedInputTokens: 1200, cacheWriteInputTokens: 200 },
    };
    expect(f.encodeResponse(res)).toEqual({
      ...(fixture('response-tool-use.json') as object),
      metrics: { latencyMs: 0 },
    });
  });

  it.each<[string, Partial<ChatResponse>, Record<string, unknown>]>([
    [
      'no usage still sends the required usage block',
      { content: [{ type: 'text', text: 'Hi' }], stopReason: 'end' },
      {
        output: { message: { role: 'assistant', content: [{ text: 'Hi' }] } },
        stopReason: 'end_turn',
        usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
        metrics: { latencyMs: 0 },
      },
    ],
    [
      'a stop sequence, reasoning tokens folded into the output',
      {
        content: [{ type: 'text', text: 'a' }],
        stopReason: 'stop_sequence',
        stopSequence: 'END',
        usage: { inputTokens: 10, outputTokens: 30, reasoningTokens: 20, cachedInputTokens: 4 },
      },
      {
        output: { message: { role: 'assistant', content: [{ text: 'a' }] } },
        stopReason: 'stop_sequence',
        usage: { inputTokens: 6, outputTokens: 30, totalTokens: 40, cacheReadInputTokens: 4 },
        metrics: { latencyMs: 0 },
        additionalModelResponseFields: { stop_sequence: 'END' },
      },
    ],
    [
      'content filtering and truncated (non-JSON) tool arguments kept as a string',
      {
        content: [{ type: 'tool_call', id: 't', name: 'f', arguments: '{"a":' }],
        stopReason: 'content_filter',
      },
      {
        output: {
          message: {
            role: 'assistant',
            content: [{ toolUse: { toolUseId: 't', name: 'f', input: '{"a":' } }],
          },
        },
        stopReason: 'content_filtered',
        usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
        metrics: { latencyMs: 0 },
      },
    ],
    [
      'max tokens',
      { content: [], stopReason: 'max_tokens' },
      {
        output: { message: { role: 'assistant', content: [] } },
        stopReason: 'max_tokens',
        usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
        metrics: { latencyMs: 0 },
      },
    ],
  ])('%s', (_name, over, expected) => {
    expect(f.encodeResponse({ id: 'r', model: 'm', content: [], stopReason: 'end', ...over })).toEqual(
      expected,
    );
  });

  it('round-trips: decodeResponse(encodeResponse(res)) equals res but for id and model', () => {
    const res: ChatResponse = {
      id: 'resp_1',
      model: '',
      content: [
        { type: 'text', text: 'Both:' },
        { type: 'tool_call', id: PARIS, name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'tool_call', id: ROME, name: 'get_weather', arguments: '{"city":"Rome","units":["C"]}' },
      ],
      stopReason: 'stop_sequence',
      stopSequence: '###',
      usage: { inputTokens: 1500, outputTokens: 42, cachedInputTokens: 1000, cacheWriteInputTokens: 300 },
    };
    expect(withoutId(f.decodeResponse(f.encodeResponse(res)))).toEqual(withoutId(res));
  });
});

describe('bedrock-converse usage', () => {
  it.each<[string, unknown, Usage | undefined]>([
    ['plain', fixture('response-text.json'), { inputTokens: 25, outputTokens: 11 }],
    [
      'with cache',
      fixture('response-tool-use.json'),
      { inputTokens: 1418, outputTokens: 94, cachedInputTokens: 1200, cacheWriteInputTokens: 200 },
    ],
    ['no usage', { output: {} }, undefined],
    ['not an object', null, undefined],
  ])('usageOf %s', (_name, body, expected) => {
    expect(f.usageOf(body)).toEqual(expected);
  });

  it.each<[string, { event?: string; data: string }, Partial<Usage> | undefined]>([
    [
      'metadata',
      {
        event: 'metadata',
        data: '{"metrics":{"latencyMs":1},"usage":{"inputTokens":3,"outputTokens":5,"totalTokens":10,"cacheReadInputTokens":2}}',
      },
      { inputTokens: 5, outputTokens: 5, cachedInputTokens: 2 },
    ],
    [
      'a delta',
      { event: 'contentBlockDelta', data: '{"contentBlockIndex":0,"delta":{"text":"x"}}' },
      undefined,
    ],
    ['malformed metadata', { event: 'metadata', data: '{' }, undefined],
    ['an unnamed frame', { data: '{"usage":{"inputTokens":1}}' }, undefined],
  ])('usageOfFrame %s', (_name, frame, expected) => {
    expect(f.usageOfFrame(frame)).toEqual(expected);
  });
});
