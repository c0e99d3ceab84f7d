import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { createLogger } from '@tollgate/dataplane';
import {
  startMockAnthropicUpstream,
  type MockAnthropicUpstream,
} from '@tollgate/dataplane/testing/mock-anthropic-upstream';
import {
  refusingPort,
  startMockOpenAIUpstream,
  type MockOpenAIUpstream,
} from '@tollgate/dataplane/testing/mock-openai-upstream';
import { anthropicFor, openAIFor } from './clients';
import { startTollgate } from './process';
import { standaloneOn, type InProcessTollgate } from './standalone';
import { acmeGatewayYaml, consumerHeadYaml, secretYaml } from './manifests';

/**
 * The official SDKs → Tollgate (real sockets) → real upstreams that misbehave: bodies and streams
 * that cannot be read, error messages that echo the registry's credential, connections that fail.
 * Whatever the path (native or translated), the caller gets a clear error in its own format, in
 * words, without the credential.
 */
const CALLER_KEY = 'sk-caller-faults-1';
const UPSTREAM_KEY = 'sk-upstream-faults-secret-42';
const ANTHROPIC_KEY = 'sk-ant-upstream-faults-secret-43';

function manifests(openaiUrl: string, anthropicUrl: string, deadPort: number): string {
  const registry = (name: string, spec: string) => `
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: ${name}}
spec:
  ${spec}
  timeouts: {connect: 1s, request: 2s, idle: 2s}
---`;
  return `
${secretYaml('upstream', `openai: ${UPSTREAM_KEY}, anthropic: ${ANTHROPIC_KEY}`)}---
${secretYaml('caller', `key: ${CALLER_KEY}`)}---
${acmeGatewayYaml('{slug: acme, defaults: {requestTimeout: 5s}}')}---
${registry('compat', `provider: openai-compatible\n  baseUrl: ${openaiUrl}\n  credentials: {secretRef: {name: upstream, key: openai}}`)}
${registry('openai', `provider: openai\n  baseUrl: ${openaiUrl}\n  credentials: {secretRef: {name: upstream, key: openai}}`)}
${registry('claude', `provider: anthropic\n  baseUrl: ${anthropicUrl}/v1\n  credentials: {secretRef: {name: upstream, key: anthropic}}`)}
${registry('dead', `provider: openai-compatible\n  baseUrl: http://127.0.0.1:${deadPort}/v1`)}
${registry('nodns', 'provider: openai-compatible\n  baseUrl: http://no-such-host.invalid/v1')}
${consumerHeadYaml('caller', 'key')}  retry: {attempts: 1}
  routes:
    - model: gpt
      targets: [{registryRef: {name: compat}}]
    - model: gpt-openai
      targets: [{registryRef: {name: openai}}]
    - model: claude
      targets: [{registryRef: {name: claude}}]
    - model: down
      targets: [{registryRef: {name: dead}}]
    - model: nodns
      targets: [{registryRef: {name: nodns}}]
`;
}

type OpenAIError = InstanceType<typeof OpenAI.APIError>;
type AnthropicError = InstanceType<typeof Anthropic.APIError>;

const hello = [{ role: 'user' as const, content: 'Hello' }];

/** `hello` to route `gpt` as raw fetch, to see the bytes the SDK would parse. */
const rawGptChat = (base: string) =>
  fetch(`${base}/app/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-ag-gateway-slug': 'acme',
      authorization: `Bearer ${CALLER_KEY}`,
    },
    body: JSON.stringify({ model: 'gpt', messages: hello }),
  });
const chunk = (content: string) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-f',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt',
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
  })}\n\n`;
const SSE = 'text/event-stream';

/** Runs `f` and returns what it threw (undefined when it did not). */
async function thrown(f: () => Promise<unknown>): Promise<unknown> {
  try {
    await f();
    return undefined;
  } catch (err) {
    return err;
  }
}

describe('upstream faults through Tollgate', () => {
  let oai: MockOpenAIUpstream;
  let anth: MockAnthropicUpstream;
  let tg: InProcessTollgate;
  let openai: OpenAI;
  let anthropic: Anthropic;
  let deadPort: number;
  const logs: string[] = [];

  beforeAll(async () => {
    oai = await startMockOpenAIUpstream({ apiKey: UPSTREAM_KEY });
    anth = await startMockAnthropicUpstream({ apiKey: ANTHROPIC_KEY });
    deadPort = await refusingPort();
    tg = await standaloneOn(
      manifests(oai.url, anth.url, deadPort),
      createLogger({
        destination: new Writable({
          write(c, _e, cb) {
            logs.push(String(c));
            cb();
          },
        }),
      }),
    );
    openai = openAIFor(tg.base, 'app', CALLER_KEY);
    anthropic = anthropicFor(tg.base, 'app', CALLER_KEY);
  });
  afterAll(async () => {
    await tg?.stop();
    await oai?.close();
    await anth?.close();
  });
  beforeEach(() => {
    oai.behave({ kind: 'ok' });
    anth.behave({ kind: 'ok' });
  });

  describe('an upstream 200 that cannot be read (native path as translated)', () => {
    it.each([
      ['a body that is not JSON', 'upstream says hello'],
      ['{"choices":"nope"}', '{"choices":"nope"}'],
      ['a body cut short', '{"id":"chatcmpl-broken","choices":['],
    ])('native chat: %s → 502 upstream_error the SDK raises', async (_what, body) => {
      oai.behave({ kind: 'raw', contentType: 'application/json', body });
      const err = await thrown(() => openai.chat.completions.create({ model: 'gpt', messages: hello }));
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect((err as OpenAIError).status).toBe(502);
      expect((err as OpenAIError).code).toBe('upstream_error');
      expect((err as OpenAIError).message).toContain('not a readable');
    });

    it('native chat: a 200 that is an error after all → 502 with the upstream’s message', async () => {
      oai.behave({
        kind: 'raw',
        contentType: 'application/json',
        body: '{"error":{"message":"provider overloaded, try later","code":502}}',
      });
      const err = await thrown(() => openai.chat.completions.create({ model: 'gpt', messages: hello }));
      expect((err as OpenAIError).status).toBe(502);
      expect((err as OpenAIError).message).toBe(
        '502 The upstream provider failed: the upstream answered 200 with an error: provider overloaded, try later',
      );
    });

    it('native messages: a body that is not JSON → 502 in Anthropic’s format', async () => {
      anth.behave({ kind: 'raw', contentType: 'application/json', body: '<html>oops</html>' });
      const err = await thrown(() =>
        anthropic.messages.create({ model: 'claude', max_tokens: 16, messages: hello }),
      );
      expect(err).toBeInstanceOf(Anthropic.APIError);
      expect((err as AnthropicError).status).toBe(502);
      expect((err as AnthropicError).error).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    });

    it('native responses: {"output":"nope"} → 502', async () => {
      oai.behave({
        kind: 'raw',
        contentType: 'application/json',
        body: '{"object":"response","output":"nope"}',
      });
      const err = await thrown(() => openai.responses.create({ model: 'gpt-openai', input: 'Hello' }));
      expect((err as OpenAIError).status).toBe(502);
    });

    it('a readable native body still goes through byte for byte', async () => {
      const body =
        '{"id":"chatcmpl-x",  "object":"chat.completion","created":1,"model":"gpt",' +
        '"choices":[{"index":0,"message":{"role":"assistant","content":"hi \\"there\\""},"finish_reason":"stop"}] ,' +
        ' "vendor_extension":{"k":[1,2]},"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}';
      oai.behave({ kind: 'raw', contentType: 'application/json', body });
      const res = await rawGptChat(tg.base);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(body);
    });

    it('native chat stream: an unreadable event ends the stream with an error the SDK raises, after the good chunks', async () => {
      oai.behave({
        kind: 'raw',
        contentType: SSE,
        body: `${chunk('Hel')}${chunk('lo')}data: this is not json\n\n${chunk('!')}data: [DONE]\n\n`,
      });
      const stream = await openai.chat.completions.create({ model: 'gpt', messages: hello, stream: true });
      const got: string[] = [];
      const err = await thrown(async () => {
        for await (const c of stream) got.push(c.choices[0]?.delta?.content ?? '');
      });
      expect(got.join('')).toBe('Hello');
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect((err as OpenAIError).message).toContain('The upstream stream failed: malformed stream event');
    });

    it('native messages stream: an unreadable event → an Anthropic error event the SDK raises', async () => {
      const start = {
        type: 'message_start',
        message: {
          id: 'msg_f',
          type: 'message',
          role: 'assistant',
          model: 'claude',
          content: [],
          stop_reason: null,
          usage: { input_tokens: 1, output_tokens: 0 },
        },
      };
      anth.behave({
        kind: 'raw',
        contentType: SSE,
        body: `event: message_start\ndata: ${JSON.stringify(start)}\n\nevent: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\nevent: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_del\n\n`,
      });
      const stream = anthropic.messages.stream({ model: 'claude', max_tokens: 16, messages: hello });
      const err = await thrown(() => stream.finalMessage());
      expect(err).toBeInstanceOf(Anthropic.APIError);
      expect(String((err as Error).message)).toContain('The upstream stream failed: malformed stream event');
    });

    it('translated stream (Messages → an OpenAI-wire upstream): an unreadable event → an Anthropic error event', async () => {
      oai.behave({ kind: 'raw', contentType: SSE, body: `${chunk('Hel')}data: {{{{\n\n` });
      const stream = anthropic.messages.stream({ model: 'gpt', max_tokens: 16, messages: hello });
      const err = await thrown(() => stream.finalMessage());
      expect(err).toBeInstanceOf(Anthropic.APIError);
      expect(String((err as Error).message)).toContain('The upstream stream failed');
    });
  });

  describe("the registry's credential echoed by the upstream never reaches the caller", () => {
    const clean = (text: string) => {
      expect(text).not.toContain(UPSTREAM_KEY);
      expect(text).not.toContain(ANTHROPIC_KEY);
      expect(text).toContain('[redacted]');
    };

    it('Chat Completions (native): the relayed error body', async () => {
      oai.behave({ kind: 'status', status: 400, echoCredential: true });
      const err = await thrown(() => openai.chat.completions.create({ model: 'gpt', messages: hello }));
      expect((err as OpenAIError).status).toBe(400);
      clean((err as OpenAIError).message);
    });

    it('Messages (translated to an OpenAI-wire upstream): the re-encoded error message', async () => {
      oai.behave({ kind: 'status', status: 400, echoCredential: true });
      const err = await thrown(() =>
        anthropic.messages.create({ model: 'gpt', max_tokens: 16, messages: hello }),
      );
      expect((err as AnthropicError).status).toBe(400);
      clean(JSON.stringify((err as AnthropicError).error));
    });

    it('Messages (native to Anthropic): the relayed error body', async () => {
      anth.behave({ kind: 'status', status: 400, echoCredential: true });
      const err = await thrown(() =>
        anthropic.messages.create({ model: 'claude', max_tokens: 16, messages: hello }),
      );
      expect((err as AnthropicError).status).toBe(400);
      clean(JSON.stringify((err as AnthropicError).error));
    });

    it.each([
      ['translated', 'gpt'],
      ['native', 'gpt-openai'],
    ])('Responses (%s): the error message', async (_path, model) => {
      oai.behave({ kind: 'status', status: 400, echoCredential: true });
      const err = await thrown(() => openai.responses.create({ model, input: 'Hello' }));
      expect((err as OpenAIError).status).toBe(400);
      clean((err as OpenAIError).message);
    });

    it('an error body that is not JSON, relayed as it is', async () => {
      oai.behave({
        kind: 'raw',
        status: 400,
        contentType: 'text/plain',
        body: `bad request for key ${UPSTREAM_KEY}`,
      });
      const res = await rawGptChat(tg.base);
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(text).toBe('bad request for key [redacted]');
    });

    it('a credential where an error message cuts the upstream text: no half of it either', async () => {
      const keyStart = UPSTREAM_KEY.slice(0, 10);
      // the translated error quotes the first 200 characters of a body that is not JSON
      oai.behave({
        kind: 'raw',
        status: 400,
        contentType: 'text/plain',
        body: `${'x'.repeat(185)}${UPSTREAM_KEY}`,
      });
      const body = await thrown(() =>
        anthropic.messages.create({ model: 'gpt', max_tokens: 16, messages: hello }),
      );
      expect((body as AnthropicError).status).toBe(400);
      expect(JSON.stringify((body as AnthropicError).error)).not.toContain(keyStart);
      // a stream error quotes the first 80 characters of the event it could not read
      oai.behave({
        kind: 'raw',
        contentType: SSE,
        body: `${chunk('Hi')}data: ${'y'.repeat(60)}${UPSTREAM_KEY}\n\n`,
      });
      const stream = await openai.chat.completions.create({ model: 'gpt', messages: hello, stream: true });
      const event = await thrown(async () => {
        for await (const _ of stream) void _;
      });
      expect((event as OpenAIError).message).toContain('malformed stream event');
      expect((event as OpenAIError).message).not.toContain(keyStart);
    });

    it('a stream error event (native and translated)', async () => {
      const body = `${chunk('Hi')}data: {"error":{"message":"the key ${UPSTREAM_KEY} was revoked","type":"invalid_request_error"}}\n\n`;
      oai.behave({ kind: 'raw', contentType: SSE, body });
      const stream = await openai.chat.completions.create({ model: 'gpt', messages: hello, stream: true });
      const native = await thrown(async () => {
        for await (const _ of stream) void _;
      });
      expect(native).toBeInstanceOf(OpenAI.APIError);
      clean((native as OpenAIError).message);

      oai.behave({ kind: 'raw', contentType: SSE, body: `${chunk('Hi')}data: not json ${UPSTREAM_KEY}\n\n` });
      const translated = await thrown(() =>
        anthropic.messages.stream({ model: 'gpt', max_tokens: 16, messages: hello }).finalMessage(),
      );
      expect(translated).toBeInstanceOf(Anthropic.APIError);
      clean((translated as Error).message);
    });
  });

  describe('connection failures in words, the raw code in the log only', () => {
    const internalCode = /\b(E[A-Z]{4,}|UND_ERR_\w+|ERR_\w+|HPE_\w+)\b/;

    it('a refused port', async () => {
      const err = await thrown(() => openai.chat.completions.create({ model: 'down', messages: hello }));
      expect((err as OpenAIError).status).toBe(502);
      expect((err as OpenAIError).message).toBe(
        `502 The upstream provider failed: connection refused by 127.0.0.1:${deadPort}`,
      );
      const line = logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.model === 'down');
      expect(line).toMatchObject({ error: 'upstream_error', upstreamError: 'ECONNREFUSED' });
    });

    it('a host that does not resolve', async () => {
      const err = await thrown(() =>
        anthropic.messages.create({ model: 'nodns', max_tokens: 8, messages: hello }),
      );
      expect((err as AnthropicError).status).toBe(502);
      const message = String((err as Error).message);
      expect(message).toMatch(/DNS lookup (failed )?for host no-such-host\.invalid/);
      expect(message).not.toMatch(internalCode);
    });

    it('a connection reset by the upstream', async () => {
      oai.behave({ kind: 'reset' });
      const err = await thrown(() => openai.chat.completions.create({ model: 'gpt', messages: hello }));
      expect((err as OpenAIError).message).toBe(
        `502 The upstream provider failed: connection reset by the upstream 127.0.0.1:${oai.port}`,
      );
    });

    it('an upstream that closes the connection mid-stream', async () => {
      oai.behave({ kind: 'dieMidStream', afterChunks: 2 });
      const stream = await openai.chat.completions.create({ model: 'gpt', messages: hello, stream: true });
      const err = await thrown(async () => {
        for await (const _ of stream) void _;
      });
      expect((err as Error).message).toContain('closed the connection before the response was complete');
      expect((err as Error).message).not.toMatch(internalCode);
    });
  });
});

describe('a shutdown whose grace period ends while streams are open', () => {
  it('ends each open stream with an error event in its caller’s format (a request not answered yet: 503), then closes', async () => {
    const oai = await startMockOpenAIUpstream({ apiKey: UPSTREAM_KEY });
    const anth = await startMockAnthropicUpstream({ apiKey: ANTHROPIC_KEY });
    const hanging = await startMockOpenAIUpstream();
    // a long reply, slowly: both streams are still open when the grace period ends
    const slow = { kind: 'ok' as const, reply: 'word '.repeat(50).trim(), chunkDelayMs: 200 };
    oai.behave(slow);
    anth.behave(slow);
    hanging.behave({ kind: 'hang' });
    // the `down` route goes to the hanging upstream here
    const tg = await standaloneOn(manifests(oai.url, anth.url, hanging.port));
    try {
      const openai = openAIFor(tg.base, 'app', CALLER_KEY);
      const anthropic = anthropicFor(tg.base, 'app', CALLER_KEY);
      const chat = await openai.chat.completions.create({ model: 'gpt', messages: hello, stream: true });
      const chatIt = chat[Symbol.asyncIterator]();
      await chatIt.next(); // the stream is open
      const messages = anthropic.messages.stream({ model: 'claude', max_tokens: 64, messages: hello });
      const firstText = new Promise<void>((resolve) => messages.once('text', () => resolve()));
      await firstText;
      const unanswered = thrown(() => openai.chat.completions.create({ model: 'down', messages: hello }));
      while (hanging.requests.length === 0) await new Promise((r) => setTimeout(r, 10));

      const started = Date.now();
      const stopping = tg.tollgate.close(100);
      const chatErr = await thrown(async () => {
        for (let r = await chatIt.next(); !r.done; r = await chatIt.next()) void r;
      });
      const messagesErr = await thrown(() => messages.finalMessage());
      const unansweredErr = await unanswered;
      await stopping;

      expect(chatErr).toBeInstanceOf(OpenAI.APIError);
      expect((chatErr as OpenAIError).message).toContain('The gateway is shutting down');
      expect((chatErr as OpenAIError).code).toBe('gateway_shutting_down');
      expect(messagesErr).toBeInstanceOf(Anthropic.APIError);
      expect(String((messagesErr as Error).message)).toContain('The gateway is shutting down');
      expect(String((messagesErr as Error).message)).toContain('overloaded_error');
      expect(unansweredErr).toBeInstanceOf(OpenAI.APIError);
      expect((unansweredErr as OpenAIError).status).toBe(503);
      expect((unansweredErr as OpenAIError).code).toBe('gateway_shutting_down');
      // the grace period, then the error events: not the whole 10 s reply
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await tg.stop();
      await oai.close();
      await anth.close();
      await hanging.close();
    }
  });

  it('the CLI on SIGTERM (--grace-period 0.2): an open stream ends with an error event, the process exits 0', async () => {
    const oai = await startMockOpenAIUpstream({ apiKey: UPSTREAM_KEY });
    oai.behave({ kind: 'ok', reply: 'word '.repeat(50).trim(), chunkDelayMs: 200 });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tollgate-sigterm-'));
    await writeFile(path.join(dir, 'all.yaml'), manifests(oai.url, oai.url, await refusingPort()));
    const tg = await startTollgate(['-f', dir, '--no-watch', '--grace-period', '0.2']);
    try {
      const openai = openAIFor(`http://127.0.0.1:${tg.port}`, 'app', CALLER_KEY);
      const stream = await openai.chat.completions.create({ model: 'gpt', messages: hello, stream: true });
      const it = stream[Symbol.asyncIterator]();
      await it.next(); // the stream is open
      const exited = tg.stop('SIGTERM');
      const err = await thrown(async () => {
        for (let r = await it.next(); !r.done; r = await it.next()) void r;
      });
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect((err as OpenAIError).code).toBe('gateway_shutting_down');
      expect(await exited).toBe(0);
      expect(tg.logs).toContainEqual(
        expect.objectContaining({ msg: 'request', error: 'gateway_shutting_down' }),
      );
    } finally {
      await tg.stop('SIGKILL');
      await oai.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
