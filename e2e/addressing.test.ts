import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { anthropicFor, openAIFor } from './clients';
import { standaloneOn, type InProcessTollgate } from './standalone';
import {
  startMockAnthropicUpstream,
  type MockAnthropicUpstream,
} from '@tollgate/dataplane/testing/mock-anthropic-upstream';

/**
 * First contact, as a new user meets the gateway: the official SDKs with only a base URL and an API
 * key (key-only addressing: no X-AG-Gateway-Slug, no consumer in the path) beside today's
 * `/{consumer}/v1/...` contract; errors that say what to do; `models.retrieve` and
 * `messages.countTokens`; the built-in mock taking ordinary Chat Completions options.
 */
const APP_KEY = 'sk-app-addressing';
const SHARED_KEY = 'sk-shared-addressing';
const UPSTREAM_KEY = 'sk-upstream-addressing';
const CLAUDE = 'claude-upstream-model';

function manifests(anthropicUrl: string): string {
  const consumer = (name: string, gateway: string, key: string, routes: string) => `---
apiVersion: tollgate.dev/v1alpha1
kind: Consumer
metadata: {name: ${name}}
spec:
  gatewayRef: {name: ${gateway}}
  slug: ${name}
  credentials: {apiKeys: [{secretRef: {name: callers, key: ${key}}}]}
  routes:
${routes}`;
  const appRoutes = `    - model: gpt-4o-mini
      targets: [{registryRef: {name: mock}}]
    - model: claude-haiku
      targets: [{registryRef: {name: claude}, model: ${CLAUDE}}]`;
  const mockRoute = `    - model: gpt-4o-mini
      targets: [{registryRef: {name: mock}}]`;
  return `
apiVersion: v1
kind: Secret
metadata: {name: callers}
stringData: {app: ${APP_KEY}, shared: ${SHARED_KEY}}
---
apiVersion: v1
kind: Secret
metadata: {name: upstream}
stringData: {key: ${UPSTREAM_KEY}}
---
apiVersion: tollgate.dev/v1alpha1
kind: Gateway
metadata: {name: acme}
spec: {slug: acme}
---
apiVersion: tollgate.dev/v1alpha1
kind: Gateway
metadata: {name: beta}
spec: {slug: beta}
---
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: mock}
spec: {provider: mock}
---
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: claude}
spec:
  provider: anthropic
  baseUrl: ${anthropicUrl}/v1
  credentials: {secretRef: {name: upstream, key: key}}
${consumer('app', 'acme', 'app', appRoutes)}
${consumer('twin-a', 'acme', 'shared', mockRoute)}
${consumer('twin-b', 'beta', 'shared', mockRoute)}
`;
}

const hello = [{ role: 'user' as const, content: 'Hello there, count me' }];

describe('addressing, first-contact errors and the endpoints SDKs call (standalone, official SDKs)', () => {
  let upstream: MockAnthropicUpstream;
  let tg: InProcessTollgate;
  /** Base URL and key only, as the README promises. */
  let openai: OpenAI;
  let anthropic: Anthropic;

  beforeAll(async () => {
    upstream = await startMockAnthropicUpstream({ apiKey: UPSTREAM_KEY });
    tg = await standaloneOn(manifests(upstream.url));
    openai = new OpenAI({ baseURL: `${tg.base}/v1`, apiKey: APP_KEY, maxRetries: 0, timeout: 10_000 });
    anthropic = new Anthropic({ baseURL: tg.base, apiKey: APP_KEY, maxRetries: 0, timeout: 10_000 });
  });
  afterAll(async () => {
    await tg?.stop();
    await upstream?.close();
  });

  describe('key-only addressing', () => {
    it('serves the OpenAI SDK with a base URL of /v1 and the key alone', async () => {
      const { data, response } = await openai.chat.completions
        .create({ model: 'gpt-4o-mini', messages: hello })
        .withResponse();
      expect(data.choices[0]?.message.content).toContain('Hello there, count me');
      expect(response.headers.get('x-selected-provider')).toBe('mock');
      const listed = [];
      for await (const m of openai.models.list()) listed.push(m.id);
      expect(listed).toEqual(['claude-haiku', 'gpt-4o-mini']);
      const emb = await openai.embeddings.create({ model: 'gpt-4o-mini', input: 'abc' });
      expect(emb.data[0]?.embedding.length).toBeGreaterThan(0);
    });

    it('serves the Anthropic SDK with the bare origin and the key alone', async () => {
      const msg = await anthropic.messages.create({ model: 'claude-haiku', max_tokens: 64, messages: hello });
      expect(msg.content[0]).toMatchObject({ type: 'text' });
      const last = upstream.requests[upstream.requests.length - 1];
      expect(last?.path).toBe('/v1/messages');
      expect(last?.headers['x-api-key']).toBe(UPSTREAM_KEY);
    });

    it('serves the Responses API too', async () => {
      const res = await openai.responses.create({ model: 'gpt-4o-mini', input: 'one two' });
      expect(res.output_text).toContain('one two');
    });

    it('refuses a key two consumers hold, naming them, while their /{consumer} paths still work', async () => {
      const shared = new OpenAI({ baseURL: `${tg.base}/v1`, apiKey: SHARED_KEY, maxRetries: 0 });
      const err = await shared.chat.completions
        .create({ model: 'gpt-4o-mini', messages: hello })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      const e = err as InstanceType<typeof OpenAI.BadRequestError>;
      expect(e.code).toBe('ambiguous_api_key');
      expect(e.message).toContain('belongs to 2 consumers (acme/twin-a, beta/twin-b)');
      expect(e.message).toContain('/{consumer}/v1/');
      const viaPath = openAIFor(tg.base, 'twin-b', SHARED_KEY, { gateway: 'beta' });
      const ok = await viaPath.chat.completions.create({ model: 'gpt-4o-mini', messages: hello });
      expect(ok.choices).toHaveLength(1);
    });

    it('refuses a gateway header that is not the key gateway, and one that names no gateway', async () => {
      const withHeader = (slug: string) =>
        new OpenAI({
          baseURL: `${tg.base}/v1`,
          apiKey: APP_KEY,
          defaultHeaders: { 'X-AG-Gateway-Slug': slug },
          maxRetries: 0,
        });
      await expect(
        withHeader('beta').chat.completions.create({ model: 'gpt-4o-mini', messages: hello }),
      ).rejects.toMatchObject({ status: 403, code: 'api_key_not_allowed' });
      await expect(
        withHeader('acme').chat.completions.create({ model: 'gpt-4o-mini', messages: hello }),
      ).resolves.toMatchObject({ object: 'chat.completion' });
      await expect(
        withHeader('acmee').chat.completions.create({ model: 'gpt-4o-mini', messages: hello }),
      ).rejects.toMatchObject({
        status: 404,
        code: 'gateway_not_found',
        message: expect.stringContaining("'acmee'"),
      });
    });

    it('keeps the /{consumer}/v1 contract as it was', async () => {
      const client = openAIFor(tg.base, 'app', APP_KEY);
      const res = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: hello });
      expect(res.choices[0]?.message.content).toContain('Hello there');
      const msg = await anthropicFor(tg.base, 'app', APP_KEY).messages.create({
        model: 'claude-haiku',
        max_tokens: 16,
        messages: hello,
      });
      expect(msg.type).toBe('message');
    });
  });

  describe('errors that teach', () => {
    it('explains the URL shapes on an unknown URL', async () => {
      const res = await fetch(`${tg.base}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${APP_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: hello }),
      });
      expect(res.status).toBe(404);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('unknown_url');
      expect(error.message).toContain('POST /chat/completions');
      expect(error.message).toContain('/{consumer}/v1/chat/completions');
      expect(error.message).toContain(
        "without '/{consumer}' (/v1/chat/completions, ...) when the API key belongs to one consumer",
      );
    });

    it('echoes a wrong gateway slug', async () => {
      const client = openAIFor(tg.base, 'app', APP_KEY, { gateway: 'acmee' });
      await expect(
        client.chat.completions.create({ model: 'gpt-4o-mini', messages: hello }),
      ).rejects.toMatchObject({
        status: 404,
        code: 'gateway_not_found',
        message: expect.stringContaining("No gateway has the slug 'acmee'"),
      });
    });

    it('lists the valid models on a wrong model, in both formats', async () => {
      await expect(
        openai.chat.completions.create({ model: 'gpt-4o', messages: hello }),
      ).rejects.toMatchObject({
        status: 404,
        code: 'model_not_found',
        message: expect.stringContaining("Models you can use: 'claude-haiku', 'gpt-4o-mini'."),
      });
      const err = await anthropic.messages
        .create({ model: 'claude-3', max_tokens: 8, messages: hello })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Anthropic.NotFoundError);
      expect((err as Error).message).toContain("Models you can use: 'claude-haiku', 'gpt-4o-mini'.");
    });
  });

  describe('models.retrieve', () => {
    it('answers OpenAI model objects, and 404 model_not_found for an unknown id', async () => {
      await expect(openai.models.retrieve('gpt-4o-mini')).resolves.toMatchObject({
        id: 'gpt-4o-mini',
        object: 'model',
        owned_by: 'tollgate',
      });
      await expect(openAIFor(tg.base, 'app', APP_KEY).models.retrieve('claude-haiku')).resolves.toMatchObject(
        {
          id: 'claude-haiku',
          object: 'model',
        },
      );
      const err = await openai.models.retrieve('nope').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
      expect(err).toMatchObject({ code: 'model_not_found', param: 'model' });
    });

    it('answers Anthropic model objects, and a 404 in Anthropic format for an unknown id', async () => {
      await expect(anthropic.models.retrieve('claude-haiku')).resolves.toMatchObject({
        type: 'model',
        id: 'claude-haiku',
        display_name: 'claude-haiku',
      });
      await expect(
        anthropicFor(tg.base, 'app', APP_KEY).models.retrieve('gpt-4o-mini'),
      ).resolves.toMatchObject({
        type: 'model',
        id: 'gpt-4o-mini',
      });
      const err = await anthropic.models.retrieve('nope').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Anthropic.NotFoundError);
      expect((err as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({
        type: 'error',
        error: { type: 'not_found_error' },
      });
    });
  });

  describe('messages.countTokens', () => {
    it('is exact from an anthropic registry: the upstream own count, marked exact', async () => {
      const { data, response } = await anthropic.messages
        .countTokens({ model: 'claude-haiku', system: 'Be brief.', messages: hello })
        .withResponse();
      expect(response.headers.get('x-tollgate-token-count')).toBe('exact');
      expect(response.headers.get('x-selected-model')).toBe(CLAUDE);
      const direct = new Anthropic({
        baseURL: upstream.url,
        apiKey: UPSTREAM_KEY,
        defaultHeaders: { 'x-api-key': UPSTREAM_KEY },
        maxRetries: 0,
      });
      const own = await direct.messages.countTokens({ model: CLAUDE, system: 'Be brief.', messages: hello });
      expect(data.input_tokens).toBe(own.input_tokens);
      const last = upstream.requests[upstream.requests.length - 2];
      expect(last?.path).toBe('/v1/messages/count_tokens');
      expect(last?.headers['x-api-key']).toBe(UPSTREAM_KEY);
    });

    it('is an estimate, marked so, where the upstream cannot count (the mock), by either path', async () => {
      const viaPath = anthropicFor(tg.base, 'app', APP_KEY);
      const short = await viaPath.messages
        .countTokens({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
        .withResponse();
      expect(short.response.headers.get('x-tollgate-token-count')).toBe('estimate');
      const long = await anthropic.messages.countTokens({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'a much longer prompt '.repeat(40) }],
      });
      expect(short.data.input_tokens).toBeGreaterThan(0);
      expect(long.input_tokens).toBeGreaterThan(short.data.input_tokens * 20);
    });

    it('answers bad requests in Anthropic format', async () => {
      const err = await anthropic.messages
        .countTokens({ model: 'claude-haiku', messages: [] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Anthropic.BadRequestError);
      expect((err as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
        type: 'error',
        error: { type: 'invalid_request_error' },
      });
    });
  });

  describe('the mock takes ordinary Chat Completions options', () => {
    const options = { seed: 7, n: 2, logprobs: true, top_logprobs: 1, presence_penalty: 0.5 };

    it('answers n choices with log-probabilities, seed and penalties accepted', async () => {
      const res = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: hello, ...options });
      expect(res.choices.map((c) => c.index)).toEqual([0, 1]);
      const [a, b] = res.choices;
      expect(a?.message.content).toContain('Hello there, count me');
      expect(b?.message.content).toBe(a?.message.content);
      const tokens = a?.logprobs?.content ?? [];
      expect(tokens.map((t) => t.token).join('')).toBe(a?.message.content);
      expect(tokens[0]?.top_logprobs).toHaveLength(1);
      const again = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: hello,
        ...options,
      });
      expect(again.choices[0]?.message.content).toBe(a?.message.content);
    });

    it('streams n choices', async () => {
      const stream = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: hello,
        stream: true,
        ...options,
      });
      const text = ['', ''];
      for await (const chunk of stream) {
        for (const c of chunk.choices) text[c.index] += c.delta.content ?? '';
      }
      expect(text[0]).toContain('Hello there, count me');
      expect(text[1]).toBe(text[0]);
    });
  });
});
