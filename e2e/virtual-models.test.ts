import OpenAI from 'openai';
import {
  refusingPort,
  startMockOpenAIUpstream,
  type MockOpenAIUpstream,
} from '@tollgate/dataplane/testing/mock-openai-upstream';
import { openAIFor } from './clients';
import { standaloneOn, type InProcessTollgate } from './standalone';
import { acmeGatewayYaml, consumerHeadYaml, secretYaml } from './manifests';

/**
 * Conditional targets, `@registry/model` pinning and `pool:model` through the whole request path:
 * the OpenAI SDK (no retries of its own) → Tollgate in-process on real sockets → real mock
 * upstreams. Assertions are on what the client sees (status, error code and message, reply,
 * X-Selected-* headers), on what each upstream received, and on the metrics' model label.
 */
const UPSTREAM_KEY = 'sk-upstream-virtual';
const KEY = 'sk-app-virtual';

type ApiError = InstanceType<typeof OpenAI.APIError>;
type Mocks = Record<'premium' | 'eu' | 'standard' | 'fastA' | 'fastB', MockOpenAIUpstream>;

function manifests(url: Record<keyof Mocks | 'down', string>): string {
  const registry = (name: string, baseUrl: string, provider = 'openai-compatible') => `
apiVersion: tollgate.dev/v1alpha1
kind: Registry
metadata: {name: ${name}}
spec:
  provider: ${provider}
  baseUrl: ${baseUrl}
  credentials: {secretRef: {name: upstream, key: apiKey}}
  timeouts: {connect: 200ms, request: 2s, idle: 1s}
---`;
  return `
${secretYaml('upstream', `apiKey: ${UPSTREAM_KEY}`)}---
${secretYaml('app-key', `key: ${KEY}`)}---
${acmeGatewayYaml('{slug: acme, defaults: {requestTimeout: 5s}}')}---
${registry('premium', url.premium)}
${registry('eu', url.eu)}
${registry('standard', url.standard)}
${registry('fast-a', url.fastA)}
${registry('fast-b', url.fastB)}
${registry('down', url.down, 'openai')}
${consumerHeadYaml('app-key', 'key')}  retry: {attempts: 3, perTryTimeout: 1s, backoff: 10ms}
  routes:
    - model: chat
      strategy: RoundRobin
      targets:
        - registryRef: {name: premium}
          model: premium-model
          match: [{header: X-Tier, values: [gold, platinum]}]
        - registryRef: {name: eu}
          model: eu-model
          match: [{field: metadata.region, values: [eu]}]
        - {registryRef: {name: standard}, model: standard-model, priority: 1}
    - model: vip
      targets:
        - registryRef: {name: premium}
          match: [{header: X-Tier, values: [gold]}]
    - model: pinned
      targets:
        - {registryRef: {name: down}, priority: 0}
        - {registryRef: {name: standard}, priority: 1}
    - model: fast
      strategy: RoundRobin
      targets:
        - {registryRef: {name: fast-a}, model: fast-a-model}
        - {registryRef: {name: fast-b}, model: fast-b-model}
        - {registryRef: {name: standard}, model: standard-model, priority: 1}
    - model: '*'
      targets: [{registryRef: {name: standard}}]
`;
}

describe('virtual models through Tollgate (OpenAI SDK → gateway → real upstreams)', () => {
  const mocks = {} as Mocks;
  let tg: InProcessTollgate;
  let ops: string;
  let client: OpenAI;

  beforeAll(async () => {
    const names = ['premium', 'eu', 'standard', 'fastA', 'fastB'] as const;
    const started = await Promise.all(names.map(() => startMockOpenAIUpstream({ apiKey: UPSTREAM_KEY })));
    names.forEach((n, i) => (mocks[n] = started[i] as MockOpenAIUpstream));
    const down = `http://127.0.0.1:${await refusingPort()}/v1`;
    const urls = Object.fromEntries(names.map((n) => [n, mocks[n].url]));
    tg = await standaloneOn(manifests({ ...(urls as Record<keyof Mocks, string>), down }));
    ops = tg.ops;
    client = openAIFor(tg.base, 'app', KEY);
  });
  afterAll(async () => {
    await tg?.stop();
    await Promise.all(Object.values(mocks).map((m) => m.close()));
  });
  beforeEach(() => {
    for (const [name, m] of Object.entries(mocks)) {
      m.behave({ kind: 'ok', reply: `from ${name}` });
      m.requests.length = 0;
    }
  });

  const ask = (
    model: string,
    options: { headers?: Record<string, string>; metadata?: Record<string, string> } = {},
  ) =>
    client.chat.completions
      .create(
        {
          model,
          messages: [{ role: 'user', content: 'hi' }],
          ...(options.metadata ? { metadata: options.metadata } : {}),
        },
        { headers: options.headers },
      )
      .withResponse();

  async function failure(p: Promise<unknown>): Promise<ApiError> {
    try {
      await p;
    } catch (e) {
      if (e instanceof OpenAI.APIError) return e;
      throw e;
    }
    throw new Error('the request succeeded');
  }

  const sentModels = (m: MockOpenAIUpstream) =>
    m.requests.map((r) => (JSON.parse(r.body) as { model: string }).model);

  describe('conditional targets', () => {
    it('a matching header admits the premium target (header name in any case)', async () => {
      const { data, response } = await ask('chat', { headers: { 'x-TIER': 'platinum' } });
      expect(data.choices[0]?.message.content).toBe('from premium');
      expect(response.headers.get('x-selected-registry')).toBe('default/premium');
      expect(response.headers.get('x-selected-model')).toBe('premium-model');
      expect(sentModels(mocks.premium)).toEqual(['premium-model']);
    });

    it('a matching body field admits the EU target', async () => {
      const { data } = await ask('chat', { metadata: { region: 'eu' } });
      expect(data.choices[0]?.message.content).toBe('from eu');
      expect(mocks.premium.requests).toHaveLength(0);
    });

    it('values are case-sensitive; no condition met: the unconditional fallback group serves', async () => {
      const { data, response } = await ask('chat', {
        headers: { 'x-tier': 'Gold' },
        metadata: { region: 'EU' },
      });
      expect(data.choices[0]?.message.content).toBe('from standard');
      expect(response.headers.get('x-selected-model')).toBe('standard-model');
      expect(mocks.premium.requests).toHaveLength(0);
      expect(mocks.eu.requests).toHaveLength(0);
    });

    it('both conditions met: the group balances over both admitted targets', async () => {
      const who = new Set<string>();
      for (let i = 0; i < 4; i++) {
        const { data } = await ask('chat', { headers: { 'x-tier': 'gold' }, metadata: { region: 'eu' } });
        who.add(data.choices[0]?.message.content ?? '');
      }
      expect([...who].sort()).toEqual(['from eu', 'from premium']);
      expect(mocks.standard.requests).toHaveLength(0);
    });

    it('an admitted target failing falls back past targets whose conditions failed', async () => {
      mocks.premium.behave({ kind: 'status', status: 503 });
      const { data } = await ask('chat', { headers: { 'x-tier': 'gold' } });
      expect(data.choices[0]?.message.content).toBe('from standard');
      expect(mocks.premium.requests).toHaveLength(1);
      expect(mocks.eu.requests).toHaveLength(0);
    });

    it('no target admits the request: 503 no_eligible_target naming the model, nothing sent', async () => {
      const e = await failure(ask('vip', { headers: { 'x-tier': 'silver' } }));
      expect(e.status).toBe(503);
      expect(e.code).toBe('no_eligible_target');
      expect(e.message).toContain("model 'vip'");
      expect(e.message).toContain('match conditions');
      expect(mocks.premium.requests).toHaveLength(0);
    });
  });

  describe('@registry/model', () => {
    it('without a pin, the route fails over from the dead registry', async () => {
      const { response } = await ask('pinned');
      expect(response.headers.get('x-selected-registry')).toBe('default/standard');
    });

    it('pinned by registry name: that registry only, the route model sent upstream', async () => {
      const { data, response } = await ask('@standard/pinned');
      expect(data.choices[0]?.message.content).toBe('from standard');
      expect(response.headers.get('x-selected-model')).toBe('pinned');
      expect(sentModels(mocks.standard)).toEqual(['pinned']);
    });

    it('pinned registry down: an error after the consumer retry policy, never the other target', async () => {
      const e = await failure(ask('@down/pinned'));
      expect(e.status).toBe(502);
      expect(e.code).toBe('upstream_error');
      expect(mocks.standard.requests).toHaveLength(0);
    });

    it('pinned by provider type (the one openai registry of the route): the same, down', async () => {
      const e = await failure(ask('@openai/pinned'));
      expect(e.status).toBe(502);
      expect(mocks.standard.requests).toHaveLength(0);
    });

    it('retries stay on the pinned target: 3 attempts on a 503, nothing elsewhere', async () => {
      mocks.fastA.behave({ kind: 'status', status: 503 });
      const e = await failure(ask('@fast-a/fast'));
      expect(e.status).toBe(503);
      expect(mocks.fastA.requests).toHaveLength(3);
      expect(mocks.fastB.requests).toHaveLength(0);
      expect(mocks.standard.requests).toHaveLength(0);
    });

    it('through the catch-all: the model after the slash goes upstream as it is', async () => {
      const { response } = await ask('@standard/meta/llama-3');
      expect(response.headers.get('x-selected-model')).toBe('meta/llama-3');
      expect(sentModels(mocks.standard)).toEqual(['meta/llama-3']);
    });

    it.each([
      ['@premium/pinned', "The registry 'premium' is not a target of model 'pinned'."],
      [
        '@nope/chat',
        "'nope' is neither a registry of this consumer nor the provider of a target of model 'chat'.",
      ],
      [
        '@openai-compatible/fast',
        "The provider 'openai-compatible' has 3 registries among the targets of model 'fast' ('fast-a', 'fast-b', 'standard'): pin one by its registry name.",
      ],
    ])('%s: 404 model_not_found that says which', async (model, message) => {
      const e = await failure(ask(model));
      expect(e.status).toBe(404);
      expect(e.code).toBe('model_not_found');
      expect(e.message).toBe(`404 ${message}`);
    });

    it('conditions still apply to a pinned target', async () => {
      const e = await failure(ask('@premium/vip'));
      expect(e.status).toBe(503);
      expect(e.code).toBe('no_eligible_target');
      const { data } = await ask('@premium/vip', { headers: { 'x-tier': 'gold' } });
      expect(data.choices[0]?.message.content).toBe('from premium');
    });
  });

  describe('pool:model', () => {
    it('balances over the first priority group of the route', async () => {
      const sent: string[] = [];
      for (let i = 0; i < 4; i++) {
        const { response } = await ask('pool:fast');
        sent.push(response.headers.get('x-selected-model') ?? '');
      }
      expect(sent.sort()).toEqual(['fast-a-model', 'fast-a-model', 'fast-b-model', 'fast-b-model']);
      expect(mocks.standard.requests).toHaveLength(0);
    });

    it('the whole pool failing: retries within the pool only, no fallback group', async () => {
      mocks.fastA.behave({ kind: 'status', status: 503 });
      mocks.fastB.behave({ kind: 'status', status: 503 });
      const e = await failure(ask('pool:fast'));
      expect(e.status).toBe(503);
      expect(mocks.fastA.requests.length + mocks.fastB.requests.length).toBe(3);
      expect(mocks.standard.requests).toHaveLength(0);
      // the plain model does fall back
      const { data } = await ask('fast');
      expect(data.choices[0]?.message.content).toBe('from standard');
    });

    it('an unknown pool: 404 model_not_found, never the catch-all', async () => {
      const e = await failure(ask('pool:nope'));
      expect(e.status).toBe(404);
      expect(e.code).toBe('model_not_found');
      expect(e.message).toContain("no route for model 'nope'");
      expect(mocks.standard.requests).toHaveLength(0);
    });
  });

  it('metrics label the requests by their virtual model (bounded: only resolved names)', async () => {
    await ask('pool:fast');
    await ask('@standard/pinned');
    await failure(ask('@nope/chat'));
    const metrics = await (await fetch(`${ops}/metrics`)).text();
    const models = [...metrics.matchAll(/^tollgate_requests_total\{[^}]*model="([^"]*)"/gm)].map((m) => m[1]);
    expect(models).toEqual(expect.arrayContaining(['pool:fast', '@standard/pinned']));
    expect(models).not.toContain('@nope/chat');
  });
});
