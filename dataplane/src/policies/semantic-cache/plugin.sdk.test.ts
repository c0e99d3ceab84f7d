import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startCacheFixture, type CacheFixture } from '../../testing/semantic-cache';

/**
 * A cache hit for a streaming caller is a proper stream in the caller's own format, read by the
 * official SDKs over a real socket (the proxy's Node listener on 127.0.0.1).
 */
let f: CacheFixture;
let server: http.Server;
let base: string;

beforeEach(async () => {
  f = await startCacheFixture({ scope: 'Gateway' });
  server = http.createServer(f.proxy.listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await f.close();
});

const headers = { 'x-ag-gateway-slug': 'acme' };
const settle = () => new Promise((resolve) => setImmediate(resolve));
const FRANCE = 'What is the capital of France?';
const FRANCE_AGAIN = 'what is the capital of France';

describe('semanticCache with the official SDKs, streaming', () => {
  it('OpenAI Chat Completions: a streamed request is answered from the cache as a chunk stream', async () => {
    const openai = new OpenAI({
      baseURL: `${base}/app/v1`,
      apiKey: 'sk-app',
      defaultHeaders: headers,
      maxRetries: 0,
    });
    // The first answer is streamed from the upstream and stored once the stream completes.
    const first = await openai.chat.completions.create({
      model: 'gpt',
      messages: [{ role: 'user', content: FRANCE }],
      stream: true,
    });
    let firstText = '';
    for await (const chunk of first) firstText += chunk.choices[0]?.delta.content ?? '';
    expect(firstText).toBe(`Echo: ${FRANCE}`);
    await settle();

    const { data: stream, response } = await openai.chat.completions
      .create({
        model: 'gpt',
        messages: [{ role: 'user', content: FRANCE_AGAIN }],
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    expect(response.headers.get('x-tollgate-cache')).toBe('hit');
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(`Echo: ${FRANCE}`);
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: 0, completion_tokens: 0 });
    expect(f.chat.calls).toHaveLength(1);
  });

  it('Anthropic Messages: a streamed request is answered from the cache as a Messages event stream', async () => {
    const anthropic = new Anthropic({
      baseURL: `${base}/other`,
      apiKey: 'sk-other',
      defaultHeaders: headers,
      maxRetries: 0,
    });
    const first = await anthropic.messages.create({
      model: 'gpt',
      max_tokens: 64,
      messages: [{ role: 'user', content: FRANCE }],
    });
    expect(first.content[0]).toMatchObject({ type: 'text', text: `Echo: ${FRANCE}` });
    await settle();

    const { data: events, response } = await anthropic.messages
      .create({
        model: 'gpt',
        max_tokens: 64,
        messages: [{ role: 'user', content: FRANCE_AGAIN }],
        stream: true,
      })
      .withResponse();
    expect(response.headers.get('x-tollgate-cache')).toBe('hit');
    const types: string[] = [];
    let text = '';
    for await (const e of events) {
      types.push(e.type);
      if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') text += e.delta.text;
    }
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(types).toContain('content_block_delta');
    expect(text).toBe(`Echo: ${FRANCE}`);

    // The SDK's stream helper assembles the same message.
    const final = await anthropic.messages
      .stream({ model: 'gpt', max_tokens: 64, messages: [{ role: 'user', content: FRANCE }] })
      .finalMessage();
    expect(final.content[0]).toMatchObject({ type: 'text', text: `Echo: ${FRANCE}` });
    expect(final.stop_reason).toBe('end_turn');
    expect(f.chat.calls).toHaveLength(1);
    expect(await f.counted('hit')).toBe(2);
  });
});
