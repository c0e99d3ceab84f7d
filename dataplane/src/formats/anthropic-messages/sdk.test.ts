import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import type { ChatResponse, ErrorInfo, StreamEvent } from '../ir';
import { sseText } from '../wire';
import { anthropicMessagesFormat as fmt } from './index';

/**
 * The official SDK reads what the encoders write: a node:http server answers with encodeResponse,
 * the stream encoder's SSE text, or encodeError, and the SDK's own parsing is asserted.
 */

const reply: ChatResponse = {
  id: 'msg_sdk_1',
  model: 'claude-haiku-4-5',
  content: [
    { type: 'text', text: 'Checking both.' },
    { type: 'tool_call', id: 'toolu_p', name: 'get_weather', arguments: '{"city":"Paris"}' },
    { type: 'tool_call', id: 'toolu_r', name: 'get_weather', arguments: '{"city":"Rome"}' },
  ],
  stopReason: 'tool_calls',
  usage: { inputTokens: 120, outputTokens: 40, cachedInputTokens: 100, cacheWriteInputTokens: 0 },
};

/** As an OpenAI upstream streams it: usage only after the finish. */
const events: StreamEvent[] = [
  { type: 'start', id: 'msg_sdk_2', model: 'claude-haiku-4-5' },
  { type: 'text', text: 'Checking' },
  { type: 'text', text: ' both.' },
  { type: 'tool_call_start', index: 0, id: 'toolu_p', name: 'get_weather' },
  { type: 'tool_call_delta', index: 0, arguments: '{"city":' },
  { type: 'tool_call_delta', index: 0, arguments: '"Paris"}' },
  { type: 'tool_call_start', index: 1, id: 'toolu_r', name: 'get_weather' },
  { type: 'tool_call_delta', index: 1, arguments: '{"city":"Rome"}' },
  { type: 'finish', stopReason: 'tool_calls' },
  { type: 'usage', usage: { inputTokens: 120, outputTokens: 40, cachedInputTokens: 100 } },
];

let server: http.Server;
let client: Anthropic;
let failWith: ErrorInfo | undefined;
const bodies: Record<string, unknown>[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      bodies.push(body);
      if (failWith) {
        res.writeHead(failWith.status, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(fmt.encodeError(failWith)));
      }
      if (body.stream !== true) {
        res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_sdk' });
        return res.end(JSON.stringify(fmt.encodeResponse(reply)));
      }
      const enc = fmt.streamEncoder({ includeUsage: false });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(sseText([...events.flatMap((e) => enc.push(e)), ...enc.end()]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: `http://127.0.0.1:${port}`, maxRetries: 0 });
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  failWith = undefined;
});

const params = {
  model: 'claude-haiku-4-5',
  max_tokens: 256,
  messages: [{ role: 'user' as const, content: 'Weather in both Paris and Rome?' }],
  tools: [{ name: 'get_weather', input_schema: { type: 'object' as const, properties: {} } }],
};

const expectedContent = [
  { type: 'text', text: 'Checking both.' },
  { type: 'tool_use', id: 'toolu_p', name: 'get_weather', input: { city: 'Paris' } },
  { type: 'tool_use', id: 'toolu_r', name: 'get_weather', input: { city: 'Rome' } },
];

describe('anthropic-messages encoders read by @anthropic-ai/sdk', () => {
  it('messages.create: content, parallel tool_use, stop_reason and usage', async () => {
    const msg = await client.messages.create(params);
    expect(msg.id).toBe('msg_sdk_1');
    expect(msg.content).toMatchObject(expectedContent);
    expect(msg.stop_reason).toBe('tool_use');
    expect(msg.usage).toMatchObject({
      input_tokens: 20,
      cache_read_input_tokens: 100,
      cache_creation_input_tokens: 0,
      output_tokens: 40,
    });
    // and what the SDK sent decodes as the neutral request
    expect(fmt.decodeRequest(bodies[bodies.length - 1] ?? {}).tools?.[0]?.name).toBe('get_weather');
  });

  it('messages.create with stream: true yields the events in order', async () => {
    const stream = await client.messages.create({ ...params, stream: true });
    const seen: string[] = [];
    let text = '';
    let json = '';
    let finalUsage: unknown;
    let stopReason: string | null = null;
    for await (const ev of stream) {
      seen.push(ev.type);
      if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') text += ev.delta.text;
      if (ev.type === 'content_block_delta' && ev.delta.type === 'input_json_delta')
        json += ev.delta.partial_json;
      if (ev.type === 'message_delta') {
        finalUsage = ev.usage;
        stopReason = ev.delta.stop_reason;
      }
    }
    expect(seen[0]).toBe('message_start');
    expect(seen.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(seen.filter((t) => t === 'content_block_start')).toHaveLength(3);
    expect(text).toBe('Checking both.');
    expect(json).toBe('{"city":"Paris"}{"city":"Rome"}');
    expect(stopReason).toBe('tool_use');
    expect(finalUsage).toEqual({ input_tokens: 20, cache_read_input_tokens: 100, output_tokens: 40 });
  });

  it('messages.stream().finalMessage() accumulates tool inputs and the usage that arrives at the end', async () => {
    const msg = await client.messages.stream(params).finalMessage();
    expect(msg.id).toBe('msg_sdk_2');
    expect(msg.content).toMatchObject(expectedContent);
    expect(msg.stop_reason).toBe('tool_use');
    expect(msg.stop_sequence).toBeNull();
    expect(msg.usage).toMatchObject({ input_tokens: 20, cache_read_input_tokens: 100, output_tokens: 40 });
  });

  it('an encoded 529 error becomes the SDK error with its type and message', async () => {
    failWith = { status: 529, code: 'upstream_overloaded', message: 'Overloaded' };
    const err = await client.messages.create(params).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toEqual({
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
    });
  });
});
