import http from 'node:http';
import { Writable } from 'node:stream';
import OpenAI from 'openai';
import type { Standalone } from '../cli/src/standalone';
import { createLogger } from '@tollgate/dataplane';
import {
  refusingPort,
  startMockOpenAIUpstream,
  type MockOpenAIUpstream,
} from '@tollgate/dataplane/testing/mock-openai-upstream';
import { openAIFor } from './clients';
import { standaloneOn, type InProcessTollgate } from './standalone';
import { acmeGatewayYaml, consumerHeadYaml, secretYaml } from './manifests';

/**
 * The OpenAI SDK → Tollgate (real sockets) → an OpenAI-wire mock upstream (real sockets), with the
 * upstream misbehaving in each way a real one does.
 */
const CALLER_KEY = 'sk-caller-key-123';
const UPSTREAM_KEY = 'sk-upstream-key-456';

function manifests(primary: string, secondary: string, deadPort: number): string {
  const registry = (name: string, url: string, extra = '') => `
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: ${name}}
spec:
  provider: openai-compatible
  baseUrl: ${url}
  credentials: {secretRef: {name: upstream, key: apiKey}}
  timeouts: {connect: 1s, request: 800ms, idle: 500ms}${extra}
---`;
  return `
${secretYaml('upstream', `apiKey: ${UPSTREAM_KEY}`)}---
${secretYaml('caller', `key: ${CALLER_KEY}`)}---
${acmeGatewayYaml('{slug: acme, defaults: {maxRequestBodyBytes: 65536, requestTimeout: 3s}}')}---
${registry('primary', primary)}
${registry('secondary', secondary)}
${registry('dead', `http://127.0.0.1:${deadPort}/v1`)}
${consumerHeadYaml('caller', 'key')}  routes:
    - model: gpt-4o-mini
      targets: [{registryRef: {name: primary}}]
    - model: renamed
      targets: [{registryRef: {name: primary}, model: upstream-model-v2}]
    - model: split
      strategy: Weighted
      targets:
        - {registryRef: {name: primary}, weight: 3}
        - {registryRef: {name: secondary}, weight: 1}
    - model: down
      targets: [{registryRef: {name: dead}}]
`;
}

describe('through Tollgate to a real OpenAI-wire upstream', () => {
  let primary: MockOpenAIUpstream;
  let secondary: MockOpenAIUpstream;
  let tg: InProcessTollgate;
  let tollgate: Standalone;
  let client: OpenAI;
  let base: string;
  const logs: string[] = [];

  beforeAll(async () => {
    primary = await startMockOpenAIUpstream({ apiKey: UPSTREAM_KEY });
    secondary = await startMockOpenAIUpstream({ apiKey: UPSTREAM_KEY });
    tg = await standaloneOn(
      manifests(primary.url, secondary.url, await refusingPort()),
      createLogger({
        destination: new Writable({
          write(c, _e, cb) {
            logs.push(String(c));
            cb();
          },
        }),
      }),
    );
    ({ tollgate, base } = tg);
    client = openAIFor(base, 'app', CALLER_KEY);
  });
  afterAll(async () => {
    await tg?.stop();
    await primary?.close();
    await secondary?.close();
  });
  beforeEach(() => {
    primary.behave({ kind: 'ok' });
    primary.requests.length = 0;
    secondary.requests.length = 0;
  });

  it('non-streaming: the SDK gets the upstream answer; the upstream gets the registry key, never the caller key', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello gateway' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Echo: Hello gateway');
    expect(data.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-selected-registry')).toBe('default/primary');
    const seen = primary.requests[0];
    expect(seen?.path).toBe('/v1/chat/completions');
    expect(seen?.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect(JSON.stringify(seen?.headers)).not.toContain(CALLER_KEY);
    expect(seen?.headers['x-ag-gateway-slug']).toBeUndefined();
  });

  it('streaming: chunks arrive through the SDK with the final usage', async () => {
    primary.behave({ kind: 'ok', reply: 'one two three four five', chunkDelayMs: 5 });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'count' }],
    });
    const deltas: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      const d = chunk.choices[0]?.delta?.content;
      if (d) deltas.push(d);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(deltas).toEqual(['one', ' two', ' three', ' four', ' five']);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('keeps unknown request fields byte for byte, and rewrites only the model when a target overrides it', async () => {
    const raw =
      '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"vendor_extension":{"a":[1,2]}}';
    const res = await fetch(`${base}/app/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-ag-gateway-slug': 'acme',
        'x-ag-api-key': CALLER_KEY,
      },
      body: raw,
    });
    expect(res.status).toBe(200);
    expect(primary.requests[0]?.body).toBe(raw);
    await client.chat.completions.create({ model: 'renamed', messages: [{ role: 'user', content: 'y' }] });
    expect(JSON.parse(primary.requests[1]?.body ?? '{}')).toMatchObject({ model: 'upstream-model-v2' });
  });

  it('splits traffic by weight (3:1) across registries', async () => {
    for (let i = 0; i < 200; i++) {
      await client.chat.completions.create({
        model: 'split',
        messages: [{ role: 'user', content: String(i) }],
      });
    }
    expect(primary.requests.length + secondary.requests.length).toBe(200);
    // expected 150 ± 6 (one σ); the bounds are five σ wide
    expect(primary.requests.length).toBeGreaterThan(120);
    expect(primary.requests.length).toBeLessThan(180);
  });

  it('relays an upstream 429 with its Retry-After as the SDK RateLimitError', async () => {
    primary.behave({ kind: 'status', status: 429, retryAfter: '7' });
    const err = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toContain('mock upstream answered 429');
    expect((err as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe('7');
  });

  it('answers 502 when the upstream refuses connections', async () => {
    const err = await client.chat.completions
      .create({ model: 'down', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('upstream_error');
  });

  it('answers 504 within the gateway budget when the upstream hangs, after retrying it', async () => {
    primary.behave({ kind: 'hang' });
    const before = primary.requests.length;
    const started = Date.now();
    const err = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(504);
    // The default retry policy retries timeouts: 800 ms per try (the registry's request timeout),
    // up to 3 tries, never past the gateway's 3 s budget.
    expect(Date.now() - started).toBeLessThan(3500);
    expect(primary.requests.length - before).toBeGreaterThanOrEqual(2);
  });

  it('turns an upstream that dies mid-stream into an error the SDK raises, after the chunks already sent', async () => {
    primary.behave({ kind: 'dieMidStream', afterChunks: 3 });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'a b c d e f' }],
    });
    const got: string[] = [];
    const err = await (async () => {
      for await (const chunk of stream) got.push(chunk.choices[0]?.delta?.content ?? '');
    })().catch((e: unknown) => e);
    expect(got.join('')).toBe('Echo: a');
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(String((err as Error).message)).toContain('upstream stream failed');
  });

  it('refuses an oversized body with 413 on a real socket, declared or chunked, without hanging', async () => {
    const big = JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'x'.repeat(100_000) }],
    });
    const declared = await rawPost(tollgate.dataplane.port, big, true);
    expect(declared.status).toBe(413);
    const chunked = await rawPost(tollgate.dataplane.port, big, false);
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toMatchObject({ error: { code: 'request_too_large' } });
    expect(primary.requests).toHaveLength(0);
  });

  it('logs neither key', () => {
    const all = logs.join('');
    expect(all).toContain('"msg":"request"');
    expect(all).not.toContain(CALLER_KEY);
    expect(all).not.toContain(UPSTREAM_KEY);
  });
});

function rawPost(
  port: number,
  body: string,
  declareLength: boolean,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-ag-gateway-slug': 'acme',
      authorization: `Bearer ${CALLER_KEY}`,
    };
    if (declareLength) headers['content-length'] = String(Buffer.byteLength(body));
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/app/v1/chat/completions', headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    // write in pieces so the chunked case really streams
    for (let i = 0; i < body.length; i += 16_384) req.write(body.slice(i, i + 16_384));
    req.end();
  });
}

describe('the Node front door routes every endpoint', () => {
  let tg: InProcessTollgate;
  let tollgate: Standalone;
  beforeAll(async () => {
    tg = await standaloneOn(
      'apiVersion: tollgate.dev/v1alpha1\nkind: Gateway\nmetadata: {name: g}\nspec: {slug: g}\n',
    );
    tollgate = tg.tollgate;
  });
  afterAll(() => tg.stop());

  it.each([
    ['GET', '/app/v1/chat/completions', 405, 'method_not_allowed'],
    ['POST', '/app/v1/images/generations', 404, 'unknown_url'],
    ['POST', '/v1/chat/completions', 401, 'missing_api_key'], // key-only addressing: the key decides
    ['GET', '/v1/chat/completions', 405, 'method_not_allowed'],
    ['GET', '/app/v1/models/a/b', 404, 'unknown_url'],
    ['POST', '/v1/v2/chat/completions', 404, 'unknown_url'],
    ['POST', '//v1/chat/completions', 404, 'unknown_url'],
    ['POST', '/app/v1/chat/completions/', 404, 'unknown_url'],
    ['POST', '/nobody/v1/chat/completions?x=1', 404, 'consumer_not_found'],
  ])('%s %s → %i %s', async (method, url, status, code) => {
    const res = await fetch(`http://127.0.0.1:${tollgate.dataplane.port}${url}`, {
      method,
      headers: { 'x-ag-gateway-slug': 'g' },
    });
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
  });
});
