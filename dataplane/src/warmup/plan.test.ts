import type { AnyResource } from '@tollgate/protocol';
import { buildSnapshot } from '../config/snapshot';
import { consumer, gateway, registry, route, sha256 } from '../testing/resources';
import { policy } from '../testing/usage-proxy';
import { fakeFormats, warmRequests, warmResources } from './plan';

/** The warm-up's plan, on compiled resources: which requests, and the config copy they go through. */
const GUARD = {
  action: 'Mask' as const,
  detectors: ['Email' as const],
  patterns: [],
  applyTo: ['Request' as const],
  webhook: { url: 'https://guard.example.com/check', timeoutMs: 500, failureMode: 'FailOpen' as const },
};
const RESOURCES: AnyResource[] = [
  gateway('acme'),
  registry('oa', { provider: 'openai', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-up' }),
  registry('claude', { provider: 'anthropic', baseUrl: 'https://api.anthropic.com/v1', apiKey: 'k' }),
  registry('vx', {
    provider: 'vertex',
    baseUrl: 'https://vertex.example.com/v1',
    vertex: { project: 'p', location: 'l' },
  }),
  registry('br', {
    provider: 'bedrock',
    baseUrl: 'https://bedrock-runtime.us-east-1.amazonaws.com',
    bedrock: { region: 'us-east-1', accessKeyId: 'AKID', secretAccessKey: 'secret' },
    models: ['amazon.nova-lite-v1:0'],
  }),
  registry('mk', { provider: 'mock', baseUrl: '' }),
  consumer(
    'app',
    'acme',
    ['sk-app'],
    [route('gpt', ['oa']), route('claude', ['claude']), route('gem', ['vx'])],
    {
      jwt: [{ issuer: 'https://issuer.example.com', audiences: [], algorithms: ['RS256'] }],
    },
  ),
  consumer('other', 'acme', ['sk-other'], [route('*', ['br'])]),
  consumer('demo', 'acme', ['sk-demo'], [route('gpt', ['mk'], ['vx'])]),
  policy('guard', { promptGuard: GUARD }, [{ kind: 'Consumer', name: 'default/app' }]),
];
const snapshot = buildSnapshot(RESOURCES, 1);

describe('warmRequests', () => {
  it('one request per shape: inbound format × the route’s upstream formats × stream × plugin set; never a route through vertex', () => {
    expect(warmRequests(snapshot, 'k').map((r) => r.key)).toEqual([
      'openai-chat>openai-chat [promptGuard]',
      'openai-chat>openai-chat stream [promptGuard]',
      'openai-chat>anthropic-messages [promptGuard]',
      'openai-chat>anthropic-messages stream [promptGuard]',
      'anthropic-messages>anthropic-messages [promptGuard]',
      'anthropic-messages>anthropic-messages stream [promptGuard]',
      'openai-chat>bedrock-converse []',
      'openai-chat>bedrock-converse stream []',
    ]);
  });

  it('addresses each request as a client of its format does, with the warm-up key', () => {
    const byKey = new Map(warmRequests(snapshot, 'sk-warm').map((r) => [r.key, r]));
    const chat = byKey.get('openai-chat>openai-chat stream [promptGuard]');
    expect(chat?.path).toBe('/app/v1/chat/completions');
    expect(chat?.headers).toEqual({
      'content-type': 'application/json',
      'x-ag-gateway-slug': 'acme',
      authorization: 'Bearer sk-warm',
    });
    expect(JSON.parse(chat?.body ?? '')).toMatchObject({ model: 'gpt', stream: true });
    const messages = byKey.get('anthropic-messages>anthropic-messages [promptGuard]');
    expect(messages?.path).toBe('/app/v1/messages');
    expect(messages?.headers).toMatchObject({ 'x-api-key': 'sk-warm', 'anthropic-version': '2023-06-01' });
    expect(JSON.parse(messages?.body ?? '')).toMatchObject({ model: 'claude', max_tokens: 32 });
    // The catch-all route is asked for a model its registry serves.
    const bedrock = byKey.get('openai-chat>bedrock-converse []');
    expect(bedrock?.path).toBe('/other/v1/chat/completions');
    expect(JSON.parse(bedrock?.body ?? '')).toMatchObject({ model: 'amazon.nova-lite-v1:0' });
  });

  it('leaves out the shapes already warmed, and stops at `max`', () => {
    const all = warmRequests(snapshot, 'k').map((r) => r.key);
    const skip = new Set(all.slice(0, 6));
    expect(warmRequests(snapshot, 'k', skip).map((r) => r.key)).toEqual(all.slice(6));
    expect(warmRequests(snapshot, 'k', new Set(), 3).map((r) => r.key)).toEqual(all.slice(0, 3));
  });
});

describe('warmResources', () => {
  const warm = new Map(warmResources(snapshot, 'http://127.0.0.1:9', 'sk-warm').map((r) => [r.name, r]));

  it('points every upstream but the in-process mock at the fake, one prefix each, in config order', () => {
    const urls = ['oa', 'claude', 'vx', 'br', 'mk'].map((n) => {
      const r = warm.get(`default/${n}`);
      return r?.kind === 'Registry' ? r.body.baseUrl : undefined;
    });
    expect(urls).toEqual([
      'http://127.0.0.1:9/u0',
      'http://127.0.0.1:9/u1',
      'http://127.0.0.1:9/u2',
      'http://127.0.0.1:9/u3',
      '',
    ]);
    expect(fakeFormats(snapshot)).toEqual([
      'openai-chat',
      'anthropic-messages',
      'gemini',
      'bedrock-converse',
    ]);
  });

  it('gives the upstreams dummy credentials of the same shape, never the real ones', () => {
    const body = (n: string) => {
      const r = warm.get(`default/${n}`);
      return r?.kind === 'Registry' ? r.body : undefined;
    };
    expect(body('oa')?.apiKey).toBe('warm-up');
    expect(body('br')?.bedrock).toEqual({
      region: 'us-east-1',
      accessKeyId: 'warm-up',
      secretAccessKey: 'warm-up',
    });
    expect(JSON.stringify([...warm.values()])).not.toMatch(/sk-up|secret"|AKID/);
    const real = snapshot.resources.get('Registry/default/oa');
    expect(real?.kind === 'Registry' && real.body.apiKey).toBe('sk-up');
  });

  it('keys every consumer by the warm-up key alone, and calls out to no webhook', () => {
    const app = warm.get('default/app');
    expect(app?.kind === 'Consumer' && app.body).toMatchObject({ apiKeyHashes: [sha256('sk-warm')] });
    expect(app?.kind === 'Consumer' && app.body.jwt).toBeUndefined();
    const guard = warm.get('default/guard');
    const { webhook: _webhook, ...rest } = GUARD;
    expect(guard?.kind === 'Policy' && guard.body.plugins.promptGuard).toEqual(rest);
    // The real config is untouched.
    const real = snapshot.resources.get('Policy/default/guard');
    expect(real?.kind === 'Policy' && real.body.plugins.promptGuard?.webhook).toEqual(GUARD.webhook);
    expect(warm.get('default/acme')).toBe(snapshot.resources.get('Gateway/default/acme'));
  });
});
