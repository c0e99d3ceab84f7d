import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import type { ChatRequest, ChatResponse, StreamEvent } from '../ir';
import { sseText } from '../wire';
import { openAIChatFormat as fmt } from './index';

/**
 * The official `openai` SDK reads what this codec writes: a server on 127.0.0.1 answers with
 * encodeResponse / the stream encoder's frames, and the SDK's own parsing and accumulation must
 * see the text, the parallel tool calls, the finish reason and the usage.
 */

const reply: ChatResponse = {
  id: 'chatcmpl-sdk-1',
  model: 'gpt-4o-mini',
  content: [
    { type: 'text', text: 'Checking both cities.' },
    { type: 'tool_call', id: 'call_paris', name: 'get_weather', arguments: '{"city":"Paris"}' },
    { type: 'tool_call', id: 'call_rome', name: 'get_time', arguments: '{"city":"Rome","tz":true}' },
  ],
  stopReason: 'tool_calls',
  usage: { inputTokens: 120, outputTokens: 30, cachedInputTokens: 64, reasoningTokens: 8 },
};

function events(res: ChatResponse): StreamEvent[] {
  const out: StreamEvent[] = [{ type: 'start', id: res.id, model: res.model }];
  // usage first: the encoder must still put the finish chunk before the usage chunk
  if (res.usage) out.push({ type: 'usage', usage: res.usage });
  let index = 0;
  for (const p of res.content) {
    if (p.type === 'text') for (const w of p.text.match(/\s*\S+/g) ?? []) out.push({ type: 'text', text: w });
    else {
      out.push({ type: 'tool_call_start', index, id: p.id, name: p.name });
      out.push({ type: 'tool_call_delta', index, arguments: p.arguments.slice(0, 5) });
      out.push({ type: 'tool_call_delta', index, arguments: p.arguments.slice(5) });
      index++;
    }
  }
  out.push({ type: 'finish', stopReason: res.stopReason });
  return out;
}

describe('openai-chat codec through the official openai SDK', () => {
  let server: http.Server;
  let client: OpenAI;
  const seen: ChatRequest[] = [];
  let failMidStream = false;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        const ir = fmt.decodeRequest(body);
        seen.push(ir);
        if (!ir.stream) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(fmt.encodeResponse(reply)));
          return;
        }
        const includeUsage =
          (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
        const enc = fmt.streamEncoder({ includeUsage });
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const evs = events(reply);
        if (failMidStream) {
          res.end(
            sseText([
              ...evs.slice(0, 3).flatMap((e) => enc.push(e)),
              ...enc.error({ status: 502, code: 'upstream_error', message: 'upstream stream failed' }),
            ]),
          );
          return;
        }
        res.end(sseText([...evs.flatMap((e) => enc.push(e)), ...enc.end()]));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'sk-test', maxRetries: 0 });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    failMidStream = false;
    seen.length = 0;
  });

  const params = {
    model: 'gpt-4o-mini',
    messages: [{ role: 'user' as const, content: 'Weather in Paris and time in Rome?' }],
    tools: [
      { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object' } } },
      { type: 'function' as const, function: { name: 'get_time', parameters: { type: 'object' } } },
    ],
  };
  const expectedCalls = [
    { id: 'call_paris', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    {
      id: 'call_rome',
      type: 'function',
      function: { name: 'get_time', arguments: '{"city":"Rome","tz":true}' },
    },
  ];
  const expectedUsage = {
    prompt_tokens: 120,
    completion_tokens: 30,
    total_tokens: 150,
    prompt_tokens_details: { cached_tokens: 64 },
    completion_tokens_details: { reasoning_tokens: 8 },
  };

  it('chat.completions.create (non-streaming)', async () => {
    const res = await client.chat.completions.create(params);
    expect(seen[0]?.tools?.map((t) => t.name)).toEqual(['get_weather', 'get_time']);
    const choice = res.choices[0];
    expect(choice?.message.content).toBe('Checking both cities.');
    expect(choice?.message.tool_calls).toEqual(expectedCalls);
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(res.usage).toEqual(expectedUsage);
  });

  it('chat.completions.create with stream: true and include_usage', async () => {
    const stream = await client.chat.completions.create({
      ...params,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const args = new Map<number, { id?: string; name?: string; arguments: string }>();
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      text += choice.delta.content ?? '';
      for (const tc of choice.delta.tool_calls ?? []) {
        const cur = args.get(tc.index) ?? { arguments: '' };
        if (tc.id) cur.id = tc.id;
        if (tc.function?.name) cur.name = tc.function.name;
        cur.arguments += tc.function?.arguments ?? '';
        args.set(tc.index, cur);
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    }
    expect(text).toBe('Checking both cities.');
    expect([...args.values()]).toEqual(
      expectedCalls.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments })),
    );
    expect(finish).toBe('tool_calls');
    expect(usage).toEqual(expectedUsage);
  });

  it('chat.completions.stream(...).finalChatCompletion()', async () => {
    const runner = client.chat.completions.stream({ ...params, stream_options: { include_usage: true } });
    const final = await runner.finalChatCompletion();
    const choice = final.choices[0];
    expect(choice?.message.content).toBe('Checking both cities.');
    expect(choice?.message.tool_calls?.map((c) => c.type === 'function' && c.function)).toEqual(
      expectedCalls.map((c) => c.function),
    );
    expect(choice?.message.tool_calls?.map((c) => c.id)).toEqual(['call_paris', 'call_rome']);
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(final.usage).toEqual(expectedUsage);
  });

  it('an error frame mid-stream surfaces as the SDK APIError with its message', async () => {
    failMidStream = true;
    const stream = await client.chat.completions.create({ ...params, stream: true });
    let text = '';
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(text).toBe('Checking');
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toContain('upstream stream failed');
  });
});
