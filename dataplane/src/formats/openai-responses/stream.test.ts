import {
  decodeAll as decodeFrames,
  encodeAll as encodeEvents,
  fixtureFrames as framesFromFixture,
  framesOf,
} from '../../testing/codec';
import type { ChatRequest, Frame, StreamEvent } from '../ir';
import { scenarioEvents, scenarioReply } from '../../providers/scenario';
import { frameJson, sseText, UpstreamFormatError } from '../wire';
import { openAIResponsesFormat as fmt } from './index';

const NOW = 1756414434;
beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(NOW * 1000));
afterEach(() => jest.restoreAllMocks());

/** SSE text → frames, as the proxy's splitter hands them over. */
const frames = framesOf;
const fixtureFrames = (name: string): Frame[] => framesFromFixture(__dirname, name);
const decodeAll = (fs: Frame[]): StreamEvent[] => decodeFrames(fmt, fs);
const encodeAll = (events: StreamEvent[], request?: ChatRequest): Frame[] =>
  encodeEvents(fmt, events, { includeUsage: false, ...(request ? { request } : {}) });

/** Replaces the random item ids (base64url: they may end in - or _, hence no \b) with msg_1, fc_1, … in order. */
function normaliseIds(text: string): string {
  const seen = new Map<string, string>();
  const counts: Record<string, number> = {};
  return text.replace(/\b(msg|fc)_[A-Za-z0-9_-]{16}(?=")/g, (id, prefix: string) => {
    let name = seen.get(id);
    if (!name) {
      counts[prefix] = (counts[prefix] ?? 0) + 1;
      name = `${prefix}_${counts[prefix]}`;
      seen.set(id, name);
    }
    return name;
  });
}

describe('openai-responses stream decoder', () => {
  it('decodes a recorded text stream (with obfuscation fields)', () => {
    expect(decodeAll(fixtureFrames('stream-text.txt'))).toStrictEqual<StreamEvent[]>([
      {
        type: 'start',
        id: 'resp_68b0c7a9e1f48195a3b2c1d0e9f8a7b60c1d2e3f4a5b6c7d',
        model: 'gpt-4.1-2025-04-14',
      },
      ...['Hi', '!', ' How', ' can', ' I', ' help', ' you', ' today', '?'].map((text) => ({
        type: 'text' as const,
        text,
      })),
      { type: 'finish', stopReason: 'end' },
      {
        type: 'usage',
        usage: { inputTokens: 9, outputTokens: 10, cachedInputTokens: 0, reasoningTokens: 0 },
      },
    ]);
  });

  it('decodes recorded parallel function calls', () => {
    const args = (city: string) =>
      ['{"', 'city', '":"', city, '"}'].map((a) => ({ type: 'tool_call_delta' as const, arguments: a }));
    expect(decodeAll(fixtureFrames('stream-tools.txt'))).toStrictEqual<StreamEvent[]>([
      {
        type: 'start',
        id: 'resp_68b0c8f1a2b38196c4d5e6f7a8b9c0d10e1f2a3b4c5d6e7f',
        model: 'gpt-4.1-2025-04-14',
      },
      { type: 'tool_call_start', index: 0, id: 'call_Fp3yBHmcUv2mM8pMn4HxZk7a', name: 'get_weather' },
      ...args('Paris').map((e) => ({ ...e, index: 0 })),
      { type: 'tool_call_start', index: 1, id: 'call_Qn7tKdWsZx1cR5vLp9JbYe2h', name: 'get_weather' },
      ...args('Rome').map((e) => ({ ...e, index: 1 })),
      { type: 'finish', stopReason: 'tool_calls' },
      {
        type: 'usage',
        usage: { inputTokens: 1288, outputTokens: 46, cachedInputTokens: 1152, reasoningTokens: 0 },
      },
    ]);
  });

  it('decodes a recorded incomplete stream, skipping the reasoning item', () => {
    expect(decodeAll(fixtureFrames('stream-incomplete.txt'))).toStrictEqual<StreamEvent[]>([
      {
        type: 'start',
        id: 'resp_6813a9f1b2c48191a8e5d1f0c3b7a6d50e4f2a1b3c5d7e9f',
        model: 'o4-mini-2025-04-16',
      },
      { type: 'text', text: 'The' },
      { type: 'text', text: ' three' },
      { type: 'text', text: ' laws' },
      { type: 'finish', stopReason: 'max_tokens' },
      {
        type: 'usage',
        usage: { inputTokens: 22, outputTokens: 16, cachedInputTokens: 0, reasoningTokens: 12 },
      },
    ]);
  });

  it('throws UpstreamFormatError at a recorded error event', () => {
    const [created, inProgress, error] = fixtureFrames('stream-error.txt');
    const d = fmt.streamDecoder();
    expect(d.push(created as Frame)).toStrictEqual([
      {
        type: 'start',
        id: 'resp_6867f1cae59481a0a6d8b23d1b93e4aa02dfa4dca8f6376f',
        model: 'gpt-4.1-2025-04-14',
      },
    ]);
    expect(d.push(inProgress as Frame)).toStrictEqual([]);
    expect(() => d.push(error as Frame)).toThrow(UpstreamFormatError);
    expect(() => d.push(error as Frame)).toThrow(/The server had an error/);
  });

  it.each<[string, Frame, RegExp]>([
    [
      'response.failed',
      {
        event: 'response.failed',
        data: JSON.stringify({
          type: 'response.failed',
          sequence_number: 3,
          response: {
            id: 'resp_1',
            object: 'response',
            status: 'failed',
            output: [],
            error: { code: 'server_error', message: 'overloaded' },
          },
        }),
      },
      /overloaded/,
    ],
    [
      'a nested error event',
      {
        event: 'error',
        data: JSON.stringify({
          type: 'error',
          sequence_number: 2,
          error: { code: 'x', message: 'Foobar', param: null },
        }),
      },
      /Foobar/,
    ],
    ['malformed JSON', { event: 'response.output_text.delta', data: '{"type":' }, /malformed stream event/],
    [
      'a delta for an unknown function call',
      {
        data: JSON.stringify({
          type: 'response.function_call_arguments.delta',
          item_id: 'fc_x',
          output_index: 4,
          delta: '{',
        }),
      },
      /unknown function call/,
    ],
    [
      'a text delta without delta',
      { data: JSON.stringify({ type: 'response.output_text.delta' }) },
      /without delta/,
    ],
  ])('throws UpstreamFormatError for %s', (_name, f, message) => {
    const d = fmt.streamDecoder();
    expect(() => d.push(f)).toThrow(UpstreamFormatError);
    expect(() => fmt.streamDecoder().push(f)).toThrow(message);
  });

  it('recovers arguments sent only in .done events and ignores unknown events', () => {
    const ev = (data: Record<string, unknown>): Frame => ({ data: JSON.stringify(data) });
    const d = fmt.streamDecoder();
    const out = [
      ev({ type: 'response.created', response: { id: 'resp_1', model: 'm', output: [] } }),
      ev({ type: 'response.output_text.annotation.added', annotation: {} }),
      ev({
        type: 'response.output_item.added',
        output_index: 0,
        item: { type: 'function_call', id: 'fc_1', call_id: 'c1', name: 'f', arguments: '' },
      }),
      ev({ type: 'response.function_call_arguments.delta', item_id: 'fc_1', output_index: 0, delta: '{"a"' }),
      ev({
        type: 'response.function_call_arguments.done',
        item_id: 'fc_1',
        output_index: 0,
        arguments: '{"a":1}',
      }),
      ev({
        type: 'response.output_item.done',
        output_index: 0,
        item: { type: 'function_call', id: 'fc_1', call_id: 'c1', name: 'f', arguments: '{"a":1}' },
      }),
      ev({ type: 'keepalive' }),
      ev({
        type: 'response.completed',
        response: { id: 'resp_1', model: 'm', status: 'completed', output: [] },
      }),
    ].flatMap((f) => d.push(f));
    expect(out).toStrictEqual<StreamEvent[]>([
      { type: 'start', id: 'resp_1', model: 'm' },
      { type: 'tool_call_start', index: 0, id: 'c1', name: 'f' },
      { type: 'tool_call_delta', index: 0, arguments: '{"a"' },
      { type: 'tool_call_delta', index: 0, arguments: ':1}' },
      { type: 'finish', stopReason: 'tool_calls' },
    ]);
  });
});

describe('openai-responses stream encoder', () => {
  const events: StreamEvent[] = [
    { type: 'start', id: 'resp_1', model: 'gpt-4.1' },
    { type: 'text', text: 'Hi' },
    { type: 'text', text: ' there' },
    { type: 'tool_call_start', index: 0, id: 'call_1', name: 'get_weather' },
    { type: 'tool_call_delta', index: 0, arguments: '{"city":' },
    { type: 'tool_call_delta', index: 0, arguments: '"Paris"}' },
    { type: 'finish', stopReason: 'tool_calls' },
    { type: 'usage', usage: { inputTokens: 12, outputTokens: 5, cachedInputTokens: 2, reasoningTokens: 0 } },
  ];

  it('writes the documented event sequence, exactly', () => {
    const response = (status: string, output: unknown[], usage: unknown) => ({
      id: 'resp_1',
      object: 'response',
      created_at: NOW,
      status,
      ...(status === 'completed' ? { completed_at: NOW } : {}),
      background: false,
      error: null,
      incomplete_details: null,
      instructions: null,
      max_output_tokens: null,
      model: 'gpt-4.1',
      output,
      parallel_tool_calls: true,
      previous_response_id: null,
      store: false,
      temperature: null,
      text: { format: { type: 'text' } },
      tool_choice: 'auto',
      tools: [],
      top_p: null,
      truncation: 'disabled',
      usage,
      metadata: {},
    });
    const part = (text: string) => ({ type: 'output_text', text, annotations: [], logprobs: [] });
    const message = (status: string, text: string) => ({
      type: 'message',
      id: 'msg_1',
      status,
      role: 'assistant',
      content: [part(text)],
    });
    const call = (status: string, args: string) => ({
      type: 'function_call',
      id: 'fc_1',
      call_id: 'call_1',
      name: 'get_weather',
      arguments: args,
      status,
    });
    const msg = { item_id: 'msg_1', output_index: 0 };
    const fc = { item_id: 'fc_1', output_index: 1 };
    const expected: [string, Record<string, unknown>][] = [
      ['response.created', { response: response('in_progress', [], null) }],
      ['response.in_progress', { response: response('in_progress', [], null) }],
      [
        'response.output_item.added',
        {
          output_index: 0,
          item: { type: 'message', id: 'msg_1', status: 'in_progress', role: 'assistant', content: [] },
        },
      ],
      ['response.content_part.added', { ...msg, content_index: 0, part: part('') }],
      ['response.output_text.delta', { ...msg, content_index: 0, delta: 'Hi', logprobs: [] }],
      ['response.output_text.delta', { ...msg, content_index: 0, delta: ' there', logprobs: [] }],
      ['response.output_text.done', { ...msg, content_index: 0, text: 'Hi there', logprobs: [] }],
      ['response.content_part.done', { ...msg, content_index: 0, part: part('Hi there') }],
      ['response.output_item.done', { output_index: 0, item: message('completed', 'Hi there') }],
      ['response.output_item.added', { output_index: 1, item: call('in_progress', '') }],
      ['response.function_call_arguments.delta', { ...fc, delta: '{"city":' }],
      ['response.function_call_arguments.delta', { ...fc, delta: '"Paris"}' }],
      [
        'response.function_call_arguments.done',
        { ...fc, name: 'get_weather', arguments: '{"city":"Paris"}' },
      ],
      ['response.output_item.done', { output_index: 1, item: call('completed', '{"city":"Paris"}') }],
      [
        'response.completed',
        {
          response: response(
            'completed',
            [message('completed', 'Hi there'), call('completed', '{"city":"Paris"}')],
            {
              input_tokens: 12,
              input_tokens_details: { cached_tokens: 2, cache_write_tokens: 0 },
              output_tokens: 5,
              output_tokens_details: { reasoning_tokens: 0 },
              total_tokens: 17,
            },
          ),
        },
      ],
    ];
    const text = expected
      .map(
        ([type, fields], i) =>
          `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: i, ...fields })}\n\n`,
      )
      .join('');
    expect(normaliseIds(sseText(encodeAll(events)))).toBe(text);
  });

  it('names every frame by its type and numbers them 0, 1, 2, …', () => {
    const out = encodeAll(scenarioEvents(scenarioReply(bothCities())));
    out.forEach((f, i) => {
      const data = frameJson(f);
      expect(f.event).toBe(data.type);
      expect(data.sequence_number).toBe(i);
    });
  });

  it('ends a cut-off stream with response.incomplete and an incomplete last item', () => {
    const out = encodeAll([
      { type: 'start', id: 'resp_2', model: 'm' },
      { type: 'text', text: 'The three' },
      { type: 'finish', stopReason: 'max_tokens' },
    ]);
    const last = frameJson(out[out.length - 1] as Frame);
    expect(last).toMatchObject({
      type: 'response.incomplete',
      response: {
        status: 'incomplete',
        incomplete_details: { reason: 'max_output_tokens' },
        output: [{ type: 'message', status: 'incomplete', content: [{ text: 'The three' }] }],
      },
    });
    expect(out.map((f) => f.event)).toContain('response.output_item.done');
  });

  it('keeps parallel calls apart when their argument deltas interleave', () => {
    const interleaved: StreamEvent[] = [
      { type: 'start', id: 'resp_3', model: 'm' },
      { type: 'tool_call_start', index: 0, id: 'a', name: 'f' },
      { type: 'tool_call_start', index: 1, id: 'b', name: 'f' },
      { type: 'tool_call_delta', index: 0, arguments: '{"x":' },
      { type: 'tool_call_delta', index: 1, arguments: '{"y":' },
      { type: 'tool_call_delta', index: 1, arguments: '2}' },
      { type: 'tool_call_delta', index: 0, arguments: '1}' },
      { type: 'finish', stopReason: 'tool_calls' },
    ];
    const out = encodeAll(interleaved);
    const completed = frameJson(out[out.length - 1] as Frame);
    expect(completed).toMatchObject({
      response: {
        output: [
          { type: 'function_call', call_id: 'a', arguments: '{"x":1}' },
          { type: 'function_call', call_id: 'b', arguments: '{"y":2}' },
        ],
      },
    });
    expect(fmt.decodeResponse(completed.response)).toMatchObject({
      content: [
        { type: 'tool_call', id: 'a', arguments: '{"x":1}' },
        { type: 'tool_call', id: 'b', arguments: '{"y":2}' },
      ],
      stopReason: 'tool_calls',
    });
  });

  it('echoes the request in the lifecycle events when given it', () => {
    const req: ChatRequest = {
      model: 'gpt-4.1',
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [],
      temperature: 0.1,
      stream: true,
    };
    const [created] = encodeAll([{ type: 'start', id: 'resp_4', model: 'gpt-4.1' }], req);
    expect(frameJson(created as Frame)).toMatchObject({
      response: { instructions: 'Be brief.', temperature: 0.1 },
    });
  });

  it('fails mid-stream with an error event followed by response.failed', () => {
    const e = fmt.streamEncoder({ includeUsage: true });
    e.push({ type: 'start', id: 'resp_5', model: 'm' });
    e.push({ type: 'text', text: 'Par' });
    const out = e.error({ status: 502, code: 'upstream_error', message: 'upstream reset the connection' });
    expect(out.map((f) => frameJson(f))).toStrictEqual([
      {
        type: 'error',
        sequence_number: 5,
        code: 'upstream_error',
        message: 'upstream reset the connection',
        param: null,
      },
      {
        type: 'response.failed',
        sequence_number: 6,
        response: expect.objectContaining({
          id: 'resp_5',
          status: 'failed',
          error: { code: 'server_error', message: 'upstream reset the connection' },
          output: [
            expect.objectContaining({
              type: 'message',
              status: 'incomplete',
              content: [expect.objectContaining({ text: 'Par' })],
            }),
          ],
        }),
      },
    ]);
    expect(out.map((f) => f.event)).toStrictEqual(['error', 'response.failed']);
  });

  it('opens the response before an error that comes first', () => {
    const out = fmt
      .streamEncoder({ includeUsage: false })
      .error({ status: 429, code: 'rate_limited', message: 'slow down' });
    expect(out.map((f) => f.event)).toStrictEqual([
      'response.created',
      'response.in_progress',
      'error',
      'response.failed',
    ]);
    expect(frameJson(out[3] as Frame)).toMatchObject({
      response: { error: { code: 'rate_limit_exceeded' } },
    });
  });

  it('throws for a delta of a tool call that never started', () => {
    const e = fmt.streamEncoder({ includeUsage: false });
    expect(() => e.push({ type: 'tool_call_delta', index: 3, arguments: '{}' })).toThrow(
      /unknown or finished tool call/,
    );
  });
});

function bothCities(): ChatRequest {
  return {
    model: 'gpt-4.1',
    system: [],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'weather in both cities' }] }],
    tools: [{ name: 'get_weather', parameters: { type: 'object' } }],
    stream: true,
  };
}

describe('openai-responses stream round trip', () => {
  it.each<[string, ChatRequest]>([
    [
      'text',
      {
        model: 'm',
        system: [],
        messages: [{ role: 'user', content: [{ type: 'text', text: 'hello there' }] }],
        stream: true,
      },
    ],
    ['parallel tool calls', bothCities()],
  ])('decoder(encoder(events)) gives back the %s events', (_name, req) => {
    const events = scenarioEvents(scenarioReply(req, 'resp_rt'));
    const wire = frames(sseText(encodeAll(events)));
    expect(decodeAll(wire)).toStrictEqual(
      events.map((e) => (e.type === 'usage' ? { ...e, usage: { ...e.usage, cacheWriteInputTokens: 0 } } : e)),
    );
  });
});
