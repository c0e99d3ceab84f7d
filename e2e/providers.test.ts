import { generateKeyPairSync } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { anthropicFor, openAIFor } from './clients';
import { standaloneOn, type InProcessTollgate } from './standalone';
import { startMockAnthropicUpstream } from '@tollgate/dataplane/testing/mock-anthropic-upstream';
import { startMockBedrockUpstream } from '@tollgate/dataplane/testing/mock-bedrock-upstream';
import {
  startMockGeminiUpstream,
  startMockTokenEndpoint,
} from '@tollgate/dataplane/testing/mock-gemini-upstream';
import { startMockOpenAIUpstream } from '@tollgate/dataplane/testing/mock-openai-upstream';
import { consumerHeadYaml } from './manifests';

/**
 * The matrix: every inbound format (OpenAI Chat Completions, Anthropic Messages, OpenAI Responses),
 * through the official SDKs, × every provider, each served by a mock that speaks that provider's
 * documented wire format and checks its auth (API keys, Azure's api-key, SigV4, Google OAuth tokens
 * obtained with a service-account key). Text, streams, parallel tool calls, tool results and images.
 * Every mock answers with the same scenario (dataplane/src/testing/scenario.ts), so the expected
 * reply is the same whichever pair is tested.
 */
const CALLER = 'sk-caller-matrix';
const KEY = 'sk-upstream-matrix';
const TOKEN = 'ya29.matrix-access-token';
const AWS = { accessKeyId: 'AKIDMATRIX', secretAccessKey: 'matrix/secret/key' };

const PROVIDERS = [
  'openai',
  'azure-openai',
  'anthropic',
  'bedrock',
  'gemini',
  'vertex-gemini',
  'vertex-claude',
  'groq',
  'mistral',
  'deepseek',
  'openai-compatible',
] as const;
type Provider = (typeof PROVIDERS)[number];
/** The model each provider's route sends upstream. */
const UPSTREAM_MODEL: Record<Provider, string> = {
  openai: 'gpt-4o-mini',
  'azure-openai': 'gpt4o-deployment',
  anthropic: 'claude-sonnet-4-5',
  bedrock: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
  gemini: 'gemini-2.5-flash',
  'vertex-gemini': 'gemini-2.5-pro',
  'vertex-claude': 'claude-sonnet-4-5@20250929',
  groq: 'llama-3.3-70b-versatile',
  mistral: 'mistral-large-latest',
  deepseek: 'deepseek-chat',
  'openai-compatible': 'meta-llama/Llama-3.1-8B-Instruct',
};

const PNG_1PX =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

interface Upstreams {
  openai: Awaited<ReturnType<typeof startMockOpenAIUpstream>>;
  mistral: Awaited<ReturnType<typeof startMockOpenAIUpstream>>;
  azure: Awaited<ReturnType<typeof startMockOpenAIUpstream>>;
  anthropic: Awaited<ReturnType<typeof startMockAnthropicUpstream>>;
  bedrock: Awaited<ReturnType<typeof startMockBedrockUpstream>>;
  gemini: Awaited<ReturnType<typeof startMockGeminiUpstream>>;
  vertexGemini: Awaited<ReturnType<typeof startMockGeminiUpstream>>;
  vertexClaude: Awaited<ReturnType<typeof startMockAnthropicUpstream>>;
  token: Awaited<ReturnType<typeof startMockTokenEndpoint>>;
}

function manifests(u: Upstreams, serviceAccount: string): string {
  const registry = (name: string, spec: string) => `
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: ${name}}
spec:
${spec
  .trim()
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}
  timeouts: {connect: 1s, request: 5s, idle: 5s}
---`;
  const creds = (key: string) => `credentials: {secretRef: {name: upstream, key: ${key}}}`;
  const routes = PROVIDERS.map(
    (p) => `    - model: m-${p}
      targets: [{registryRef: {name: ${p}}, model: "${UPSTREAM_MODEL[p]}"}]`,
  ).join('\n');
  return `
apiVersion: v1
kind: Secret
metadata: {name: upstream}
stringData:
  key: ${KEY}
  serviceAccount: '${serviceAccount}'
  awsId: ${AWS.accessKeyId}
  awsSecret: ${AWS.secretAccessKey}
---
apiVersion: v1
kind: Secret
metadata: {name: caller}
stringData: {key: ${CALLER}}
---
apiVersion: tollgate.dev/v1alpha1
kind: Gateway
metadata: {name: acme}
spec: {slug: acme, defaults: {requestTimeout: 10s}}
---
${registry('openai', `provider: openai\nbaseUrl: ${u.openai.url}\n${creds('key')}`)}
${registry('azure-openai', `provider: azure-openai\nbaseUrl: ${u.azure.url.replace(/\/v1$/, '')}\nazure: {apiVersion: '2024-10-21'}\n${creds('key')}`)}
${registry('anthropic', `provider: anthropic\nbaseUrl: ${u.anthropic.url}/v1\n${creds('key')}`)}
${registry(
  'bedrock',
  `provider: bedrock\nbaseUrl: ${u.bedrock.url}\nbedrock:\n  region: us-east-1\n  accessKeys:\n    accessKeyIdSecretRef: {name: upstream, key: awsId}\n    secretAccessKeySecretRef: {name: upstream, key: awsSecret}`,
)}
${registry('gemini', `provider: gemini\nbaseUrl: ${u.gemini.url}/v1beta\n${creds('key')}`)}
${registry('vertex-gemini', `provider: vertex\nbaseUrl: ${u.vertexGemini.url}/v1\nvertex: {project: proj, location: us-central1}\n${creds('serviceAccount')}`)}
${registry('vertex-claude', `provider: vertex\nbaseUrl: ${u.vertexClaude.url}/v1\nvertex: {project: proj, location: us-east5}\n${creds('serviceAccount')}`)}
${registry('groq', `provider: groq\nbaseUrl: ${u.openai.url}\n${creds('key')}`)}
${registry('mistral', `provider: mistral\nbaseUrl: ${u.mistral.url}\n${creds('key')}`)}
${registry('deepseek', `provider: deepseek\nbaseUrl: ${u.openai.url}\n${creds('key')}`)}
${registry('openai-compatible', `provider: openai-compatible\nbaseUrl: ${u.openai.url}\n${creds('key')}`)}
${consumerHeadYaml('caller', 'key')}  routes:
${routes}
`;
}

const weather = {
  name: 'get_weather',
  description: 'Weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('every inbound format × every provider, through the official SDKs', () => {
  let u: Upstreams;
  let tg: InProcessTollgate;
  let openai: OpenAI;
  let anthropic: Anthropic;

  beforeAll(async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = await startMockTokenEndpoint(publicKey.export({ type: 'spki', format: 'pem' }).toString(), {
      accessToken: TOKEN,
    });
    const serviceAccount = JSON.stringify({
      type: 'service_account',
      project_id: 'proj',
      private_key_id: 'kid-1',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: 'gateway@proj.iam.gserviceaccount.com',
      token_uri: token.url,
    });
    u = {
      openai: await startMockOpenAIUpstream({ apiKey: KEY }),
      mistral: await startMockOpenAIUpstream({ apiKey: KEY, alwaysStreamUsage: true }),
      azure: await startMockOpenAIUpstream({ apiKey: KEY, azure: { apiVersion: '2024-10-21' } }),
      anthropic: await startMockAnthropicUpstream({ apiKey: KEY }),
      bedrock: await startMockBedrockUpstream({ region: 'us-east-1', credentials: AWS }),
      gemini: await startMockGeminiUpstream({ mode: 'gemini', apiKey: KEY }),
      vertexGemini: await startMockGeminiUpstream({
        mode: 'vertex',
        accessToken: TOKEN,
        project: 'proj',
        location: 'us-central1',
      }),
      vertexClaude: await startMockAnthropicUpstream({ vertex: true, accessToken: TOKEN }),
      token,
    };
    tg = await standaloneOn(manifests(u, serviceAccount.replace(/'/g, "''")));
    openai = openAIFor(tg.base, 'app', CALLER);
    anthropic = anthropicFor(tg.base, 'app', CALLER);
  });

  afterAll(async () => {
    await tg?.stop();
    await Promise.all(Object.values(u ?? {}).map((s) => s.close()));
  });

  describe.each(PROVIDERS)('provider %s', (provider) => {
    const model = `m-${provider}`;

    it('OpenAI Chat Completions: text, stream with usage, parallel tool calls, tool results, image', async () => {
      const res = await openai.chat.completions.create({
        model,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'hello' },
        ],
      });
      expect(res.choices[0]?.message.content).toBe('Echo: hello');
      expect(res.choices[0]?.finish_reason).toBe('stop');
      expect(res.usage?.prompt_tokens).toBeGreaterThan(0);
      expect(res.usage?.completion_tokens).toBe(2);

      const stream = await openai.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'stream me' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
      expect(text).toBe('Echo: stream me');
      expect(usage?.completion_tokens).toBe(3);

      const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: weather }];
      const ask: OpenAI.ChatCompletionMessageParam = { role: 'user', content: 'weather in both cities' };
      const called = await openai.chat.completions.create({ model, messages: [ask], tools });
      const calls = called.choices[0]?.message.tool_calls ?? [];
      expect(called.choices[0]?.finish_reason).toBe('tool_calls');
      expect(
        calls.map((c) => (c.type === 'function' ? [c.function.name, JSON.parse(c.function.arguments)] : [])),
      ).toEqual([
        ['get_weather', { city: 'Paris' }],
        ['get_weather', { city: 'Rome' }],
      ]);

      const streamed = openai.chat.completions.stream({ model, messages: [ask], tools });
      const final = await streamed.finalChatCompletion();
      const streamedCalls = final.choices[0]?.message.tool_calls ?? [];
      expect(
        streamedCalls.map((c) => (c.type === 'function' ? JSON.parse(c.function.arguments) : null)),
      ).toEqual([{ city: 'Paris' }, { city: 'Rome' }]);

      const answered = await openai.chat.completions.create({
        model,
        tools,
        messages: [
          ask,
          called.choices[0]?.message as OpenAI.ChatCompletionMessageParam,
          ...calls.map((c, i) => ({
            role: 'tool' as const,
            tool_call_id: c.id,
            content: i === 0 ? 'sunny' : 'rainy',
          })),
        ],
      });
      expect(answered.choices[0]?.message.content).toBe('Result: sunny; rainy');

      const image = await openai.chat.completions.create({
        model,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'describe' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_1PX}` } },
            ],
          },
        ],
      });
      expect(image.choices[0]?.message.content).toBe('Echo: describe [1 image]');
    });

    it('Anthropic Messages: text, stream, parallel tool use, tool results, image', async () => {
      const res = await anthropic.messages.create({
        model,
        max_tokens: 256,
        system: 'Be brief.',
        messages: [{ role: 'user', content: 'hello' }],
      });
      expect(res.content).toEqual([expect.objectContaining({ type: 'text', text: 'Echo: hello' })]);
      expect(res.stop_reason).toBe('end_turn');
      expect(res.usage.output_tokens).toBe(2);

      const final = await anthropic.messages
        .stream({ model, max_tokens: 256, messages: [{ role: 'user', content: 'stream me' }] })
        .finalMessage();
      expect(final.content).toEqual([expect.objectContaining({ type: 'text', text: 'Echo: stream me' })]);
      expect(final.usage.output_tokens).toBe(3);

      const tools: Anthropic.Tool[] = [
        { name: weather.name, description: weather.description, input_schema: weather.parameters as never },
      ];
      const ask: Anthropic.MessageParam = { role: 'user', content: 'weather in both cities' };
      const called = await anthropic.messages.create({ model, max_tokens: 256, tools, messages: [ask] });
      expect(called.stop_reason).toBe('tool_use');
      const uses = called.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
      expect(uses.map((b) => [b.name, b.input])).toEqual([
        ['get_weather', { city: 'Paris' }],
        ['get_weather', { city: 'Rome' }],
      ]);

      const streamed = await anthropic.messages
        .stream({ model, max_tokens: 256, tools, messages: [ask] })
        .finalMessage();
      expect(
        streamed.content.filter((b) => b.type === 'tool_use').map((b) => (b as Anthropic.ToolUseBlock).input),
      ).toEqual([{ city: 'Paris' }, { city: 'Rome' }]);

      const answered = await anthropic.messages.create({
        model,
        max_tokens: 256,
        tools,
        messages: [
          ask,
          { role: 'assistant', content: called.content },
          {
            role: 'user',
            content: uses.map((b, i) => ({
              type: 'tool_result' as const,
              tool_use_id: b.id,
              content: i === 0 ? 'sunny' : 'rainy',
            })),
          },
        ],
      });
      expect(answered.content).toEqual([
        expect.objectContaining({ type: 'text', text: 'Result: sunny; rainy' }),
      ]);

      const image = await anthropic.messages.create({
        model,
        max_tokens: 256,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'describe' },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_1PX } },
            ],
          },
        ],
      });
      expect(image.content).toEqual([
        expect.objectContaining({ type: 'text', text: 'Echo: describe [1 image]' }),
      ]);
    });

    it('OpenAI Responses: text, stream, parallel function calls, function outputs', async () => {
      const res = await openai.responses.create({ model, instructions: 'Be brief.', input: 'hello' });
      expect(res.output_text).toBe('Echo: hello');
      expect(res.status).toBe('completed');
      expect(res.usage?.output_tokens).toBe(2);

      const final = await openai.responses.stream({ model, input: 'stream me' }).finalResponse();
      expect(final.output_text).toBe('Echo: stream me');

      const tools: OpenAI.Responses.FunctionTool[] = [{ type: 'function', strict: false, ...weather }];
      const called = await openai.responses.create({ model, input: 'weather in both cities', tools });
      const calls = called.output.filter(
        (i): i is OpenAI.Responses.ResponseFunctionToolCall => i.type === 'function_call',
      );
      expect(calls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([
        ['get_weather', { city: 'Paris' }],
        ['get_weather', { city: 'Rome' }],
      ]);

      const streamed = await openai.responses
        .stream({ model, input: 'weather in both cities', tools })
        .finalResponse();
      expect(
        streamed.output.flatMap((i) => (i.type === 'function_call' ? [JSON.parse(i.arguments)] : [])),
      ).toEqual([{ city: 'Paris' }, { city: 'Rome' }]);

      const answered = await openai.responses.create({
        model,
        tools,
        input: [
          { role: 'user', content: 'weather in both cities' },
          ...calls.map((c) => ({
            type: 'function_call' as const,
            call_id: c.call_id,
            name: c.name,
            arguments: c.arguments,
          })),
          ...calls.map((c, i) => ({
            type: 'function_call_output' as const,
            call_id: c.call_id,
            output: i === 0 ? 'sunny' : 'rainy',
          })),
        ],
      });
      expect(answered.output_text).toBe('Result: sunny; rainy');
    });
  });

  it('signs Bedrock requests with SigV4, and obtains and reuses one Vertex access token', () => {
    const signed = u.bedrock.requests.filter((r) =>
      String(r.headers.authorization).startsWith('AWS4-HMAC-SHA256'),
    );
    expect(signed.length).toBe(u.bedrock.requests.length);
    expect(u.bedrock.requests.length).toBeGreaterThan(0);
    expect(u.bedrock.requests.some((r) => r.path.includes('/converse-stream'))).toBe(true);
    expect(u.token.calls.length).toBe(1);
    expect(u.vertexGemini.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('sends each provider exactly the request it documents (paths, auth headers)', () => {
    const first = <R>(reqs: R[]): R | undefined => reqs[0];
    expect(first(u.azure.requests)?.path).toBe(
      '/openai/deployments/gpt4o-deployment/chat/completions?api-version=2024-10-21',
    );
    expect(first(u.azure.requests)?.headers['api-key']).toBe(KEY);
    expect(first(u.anthropic.requests)?.path).toBe('/v1/messages');
    expect(first(u.anthropic.requests)?.headers['x-api-key']).toBe(KEY);
    expect(first(u.anthropic.requests)?.headers['anthropic-version']).toBe('2023-06-01');
    expect(first(u.bedrock.requests)?.path).toBe(
      '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse',
    );
    expect(first(u.gemini.requests)?.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(first(u.gemini.requests)?.headers['x-goog-api-key']).toBe(KEY);
    expect(first(u.vertexGemini.requests)?.path).toBe(
      '/v1/projects/proj/locations/us-central1/publishers/google/models/gemini-2.5-pro:generateContent',
    );
    expect(first(u.vertexClaude.requests)?.path).toBe(
      '/v1/projects/proj/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5%4020250929:rawPredict',
    );
    const vertexBody = JSON.parse(first(u.vertexClaude.requests)?.body ?? '{}') as Record<string, unknown>;
    expect(vertexBody.anthropic_version).toBe('vertex-2023-10-16');
    expect(vertexBody.model).toBeUndefined();
    // OpenAI-style upstreams are asked for stream usage; legacy servers get max_tokens, OpenAI max_completion_tokens.
    const bodies = (reqs: { body: string }[]) =>
      reqs.map((r) => JSON.parse(r.body || '{}') as Record<string, unknown>);
    const streamed = bodies(u.openai.requests).filter((b) => b.stream === true);
    expect(streamed.length).toBeGreaterThan(0);
    expect(streamed.every((b) => (b.stream_options as { include_usage?: boolean }).include_usage)).toBe(true);
    // Mistral reports usage unasked and rejects unknown fields: the gateway adds no stream_options
    // (only a caller's own reach it), and sends max_tokens.
    const mistral = bodies(u.mistral.requests);
    expect(mistral.some((b) => b.stream === true && b.stream_options === undefined)).toBe(true);
    expect(mistral.every((b) => b.max_completion_tokens === undefined)).toBe(true);
    expect(mistral.some((b) => typeof b.max_tokens === 'number')).toBe(true);
  });

  it('keeps the native path byte for byte: Anthropic client → anthropic provider', async () => {
    const before = u.anthropic.requests.length;
    const raw = JSON.stringify({
      model: UPSTREAM_MODEL.anthropic,
      max_tokens: 16,
      messages: [{ role: 'user', content: 'raw' }],
      some_future_field: { kept: true },
    });
    const res = await fetch(`${tg.base}/app/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': CALLER,
        'anthropic-version': '2023-06-01',
        'anthropic-beta': 'some-beta-2025-01-01',
        'x-ag-gateway-slug': 'acme',
      },
      body: raw.replace(UPSTREAM_MODEL.anthropic, 'm-anthropic'),
    });
    expect(res.status).toBe(200);
    const sent = u.anthropic.requests[before];
    expect(JSON.parse(sent?.body ?? '{}')).toEqual(JSON.parse(raw));
    expect(sent?.headers['anthropic-beta']).toBe('some-beta-2025-01-01');
  });

  it('answers what a target cannot express with a 400 in the caller format, naming the field', async () => {
    const err = await openai.chat.completions
      .create({
        model: 'm-bedrock',
        messages: [
          {
            role: 'user',
            content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }],
          },
        ],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(/Bedrock|URL|url/);

    const aerr = await anthropic.messages
      .create({
        model: 'm-openai',
        max_tokens: 10,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        messages: [{ role: 'user', content: 'x' }],
      })
      .catch((e: unknown) => e);
    expect(aerr).toBeInstanceOf(Anthropic.BadRequestError);
    const body = (aerr as InstanceType<typeof Anthropic.BadRequestError>).error as {
      type: string;
      error: { type: string; message: string };
    };
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/thinking/);
  });

  it('translates an upstream error into the caller format with its status', async () => {
    u.anthropic.behave({ kind: 'status', status: 429, retryAfter: '30' }); // longer than the request budget: not waited for
    try {
      const err = await openai.chat.completions
        .create({ model: 'm-anthropic', messages: [{ role: 'user', content: 'x' }] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.RateLimitError);
      const e = err as InstanceType<typeof OpenAI.RateLimitError>;
      expect(e.headers.get('retry-after')).toBe('30');
    } finally {
      u.anthropic.behave({ kind: 'ok' });
    }
  });

  it('ends a translated stream that fails midway with an error event in the caller format', async () => {
    u.gemini.behave({ kind: 'dieMidStream', afterChunks: 1 });
    try {
      const stream = anthropic.messages.stream({
        model: 'm-gemini',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'one two three four five six' }],
      });
      await expect(stream.finalMessage()).rejects.toThrow(/upstream stream failed/);
    } finally {
      u.gemini.behave({ kind: 'ok' });
    }
  });

  it('counts tokens per provider in /metrics', async () => {
    const text = await (await fetch(`${tg.ops}/metrics`)).text();
    for (const p of ['default/anthropic', 'default/bedrock', 'default/vertex-gemini']) {
      expect(text).toMatch(
        new RegExp(`tollgate_tokens_total\\{[^}]*registry="${p}"[^}]*kind="output"\\} [1-9]`),
      );
    }
  });
});
