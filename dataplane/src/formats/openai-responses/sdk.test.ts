import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { TranslationError, type ChatRequest, type StreamEvent } from '../ir';
import { scenarioEvents, scenarioReply } from '../../providers/scenario';
import { sseText } from '../wire';
import { openAIResponsesFormat as fmt, encodeResponse, streamEncoder } from './index';

/**
 * The official `openai` SDK reads what this codec writes: a server on 127.0.0.1 decodes the SDK's
 * request with decodeRequest, answers with the deterministic scenario reply through encodeResponse
 * or the stream encoder (framed with sseText), and the SDK's own parsing and accumulation must see
 * the text, the parallel function calls and the usage.
 */

const tools: OpenAI.Responses.Tool[] = [
  {
    type: 'function',
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
      additionalProperties: false,
    },
    strict: true,
  },
];

describe('openai-responses codec through the official openai SDK', () => {
  let server: http.Server;
  let client: OpenAI;
  const seen: ChatRequest[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        let ir: ChatRequest;
        try {
          ir = fmt.decodeRequest(body);
        } catch (e) {
          const err = e as TranslationError;
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify(
              fmt.encodeError({
                status: 400,
                code: 'invalid_request',
                message: err.message,
                param: err.param,
              }),
            ),
          );
          return;
        }
        seen.push(ir);
        const reply = scenarioReply(ir, 'resp_sdk_1');
        if (!ir.stream) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(encodeResponse(reply, ir)));
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const enc = streamEncoder({ includeUsage: false, request: ir });
        const events = scenarioEvents(reply);
        if (JSON.stringify(body.input).includes('fail')) {
          // Two events in, the upstream breaks.
          const frames = events.slice(0, 2).flatMap((e: StreamEvent) => enc.push(e));
          frames.push(
            ...enc.error({ status: 502, code: 'upstream_error', message: 'upstream reset the connection' }),
          );
          res.end(sseText(frames));
          return;
        }
        res.end(sseText([...events.flatMap((e) => enc.push(e)), ...enc.end()]));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = new OpenAI({ apiKey: 'sk-test', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('responses.create: output_text and usage', async () => {
    const res = await client.responses.create({
      model: 'gpt-4.1',
      instructions: 'Be brief.',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'hello there' }] }],
      temperature: 0.2,
    });
    expect(res.object).toBe('response');
    expect(res.id).toBe('resp_sdk_1');
    expect(res.status).toBe('completed');
    expect(res.output_text).toBe('Echo: hello there');
    expect(res.instructions).toBe('Be brief.');
    expect(res.temperature).toBe(0.2);
    // input: 4 + 1 system part + 1 message part; output: 3 words (scenario.ts)
    expect(res.usage).toStrictEqual({
      input_tokens: 6,
      input_tokens_details: { cached_tokens: 2, cache_write_tokens: 0 },
      output_tokens: 3,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 9,
    });
    expect(seen.at(-1)?.system).toStrictEqual([{ type: 'text', text: 'Be brief.' }]);
  });

  it('responses.create: parallel function calls come back as function_call items', async () => {
    const res = await client.responses.create({ model: 'gpt-4.1', input: 'weather in both cities', tools });
    const calls = res.output.filter(
      (o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === 'function_call',
    );
    expect(calls.map((c) => [c.call_id, c.name, JSON.parse(c.arguments) as unknown])).toStrictEqual([
      ['call_mock_1', 'get_weather', { city: 'Paris' }],
      ['call_mock_2', 'get_weather', { city: 'Rome' }],
    ]);
    expect(res.output_text).toBe('');
    expect(res.tools).toHaveLength(1);
    expect(res.usage?.output_tokens).toBe(2);

    // The next turn sends the calls and their outputs back; the scenario answers from the results.
    const next = await client.responses.create({
      model: 'gpt-4.1',
      input: [
        { role: 'user', content: 'weather in both cities' },
        ...calls.map((c) => ({
          type: 'function_call' as const,
          call_id: c.call_id,
          name: c.name,
          arguments: c.arguments,
        })),
        { type: 'function_call_output', call_id: 'call_mock_1', output: '18C' },
        { type: 'function_call_output', call_id: 'call_mock_2', output: '24C' },
      ],
      tools,
    });
    expect(next.output_text).toBe('Result: 18C; 24C');
  });

  it('responses.create({stream:true}): the events arrive in order with their deltas', async () => {
    const stream = await client.responses.create({
      model: 'gpt-4.1',
      input: 'hello big world',
      stream: true,
    });
    const events: ResponseStreamEvent[] = [];
    for await (const e of stream) events.push(e);
    expect(events.map((e) => e.type)).toStrictEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => e.sequence_number)).toStrictEqual(events.map((_, i) => i));
    const deltas = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : []));
    expect(deltas).toStrictEqual(['Echo:', ' hello', ' big', ' world']);
    const done = events.at(-1);
    expect(done?.type === 'response.completed' && done.response.usage?.total_tokens).toBe(9);
  });

  it('responses.stream(...).finalResponse(): parallel calls and usage', async () => {
    const stream = client.responses.stream({ model: 'gpt-4.1', input: 'weather in both cities', tools });
    const argDeltas: string[] = [];
    stream.on('response.function_call_arguments.delta', (e) => argDeltas.push(e.delta));
    const final = await stream.finalResponse();
    expect(final.status).toBe('completed');
    expect(
      final.output.map((o) => (o.type === 'function_call' ? [o.call_id, o.arguments, o.status] : o.type)),
    ).toStrictEqual([
      ['call_mock_1', '{"city":"Paris"}', 'completed'],
      ['call_mock_2', '{"city":"Rome"}', 'completed'],
    ]);
    expect(argDeltas.join('')).toBe('{"city":"Paris"}{"city":"Rome"}');
    expect(final.usage?.input_tokens).toBe(5);
  });

  it('responses.stream(...).finalResponse(): text', async () => {
    const stream = client.responses.stream({ model: 'gpt-4.1', input: 'hi again' });
    const snapshots: string[] = [];
    stream.on('response.output_text.delta', (e) => snapshots.push(e.snapshot));
    const final = await stream.finalResponse();
    expect(final.output_text).toBe('Echo: hi again');
    expect(snapshots).toStrictEqual(['Echo:', 'Echo: hi', 'Echo: hi again']);
  });

  it('a mid-stream failure reaches the SDK as an error event and a failed response', async () => {
    const stream = await client.responses.create({ model: 'gpt-4.1', input: 'please fail', stream: true });
    const events: ResponseStreamEvent[] = [];
    for await (const e of stream) events.push(e);
    expect(events.map((e) => e.type).slice(-2)).toStrictEqual(['error', 'response.failed']);
    const error = events.at(-2);
    expect(error?.type === 'error' && [error.code, error.message]).toStrictEqual([
      'upstream_error',
      'upstream reset the connection',
    ]);

    const failed = events.at(-1);
    expect(
      failed?.type === 'response.failed' && [failed.response.status, failed.response.error],
    ).toStrictEqual(['failed', { code: 'server_error', message: 'upstream reset the connection' }]);

    // The SDK's stream helper stops at the `error` event: finalResponse() rejects with it.
    const helper = client.responses.stream({ model: 'gpt-4.1', input: 'please fail' });
    await expect(helper.finalResponse()).rejects.toMatchObject({
      type: 'error',
      code: 'upstream_error',
      message: 'upstream reset the connection',
    });
  });

  it('a refused request reaches the SDK as a 400 APIError with the param', async () => {
    const call = client.responses.create({ model: 'gpt-4.1', input: 'x', previous_response_id: 'resp_old' });
    await expect(call).rejects.toMatchObject({
      status: 400,
      code: 'invalid_request',
      param: 'previous_response_id',
      type: 'invalid_request_error',
    });
    await expect(
      client.responses.create({ model: 'gpt-4.1', input: 'x', previous_response_id: 'resp_old' }),
    ).rejects.toThrow(/stateless/);
  });
});
