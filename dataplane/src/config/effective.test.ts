import type { CompiledPolicyPlugins, Resource } from '@tollgate/protocol';
import { consumer, gateway, registry, route } from '../testing/resources';
import { PluginSetInterner, resolvePlugins } from './effective';
import { buildSnapshot } from './snapshot';

function policy(
  name: string,
  targets: Resource<'Policy'>['body']['targets'],
  plugins: CompiledPolicyPlugins,
  parallel = false,
): Resource<'Policy'> {
  return {
    kind: 'Policy',
    name: `default/${name}`,
    version: `v-${name}`,
    body: { source: { namespace: 'default', name, generation: 1 }, targets, parallel, plugins },
  };
}

const limit = (requests: number) => ({
  requests,
  windowMs: 1000,
  algorithm: 'SlidingWindow' as const,
  key: 'Consumer' as const,
  failureMode: 'FailOpen' as const,
});
const cors = {
  allowOrigins: ['*'],
  allowMethods: ['POST'],
  allowHeaders: ['*'],
  exposeHeaders: [],
  allowCredentials: false,
};
const gw = (...p: Resource<'Policy'>[]) => p;

describe('resolvePlugins: the effective plugins of one consumer', () => {
  const G = [{ kind: 'Gateway' as const, name: 'default/acme' }];
  const C = [{ kind: 'Consumer' as const, name: 'default/app' }];
  it.each<[string, Resource<'Policy'>[], Resource<'Policy'>[], [string, string, string][]]>([
    ['no policies', [], [], []],
    [
      'gateway-level only: covers the consumer',
      gw(policy('g', G, { rateLimit: limit(10), cors })),
      [],
      [
        ['cors', 'default/g', 'Gateway'],
        ['rateLimit', 'default/g', 'Gateway'],
      ],
    ],
    [
      'a consumer-level setting overrides the same plugin, the rest stays',
      gw(policy('g', G, { rateLimit: limit(10), cors })),
      gw(policy('c', C, { rateLimit: limit(1) })),
      [
        ['cors', 'default/g', 'Gateway'],
        ['rateLimit', 'default/c', 'Consumer'],
      ],
    ],
    [
      'consumer-level only',
      [],
      gw(policy('c', C, { requestSize: { maxMessages: 2 } })),
      [['requestSize', 'default/c', 'Consumer']],
    ],
    [
      'two at one level (compile never emits this): the first by name, on every replica alike',
      gw(policy('a', G, { rateLimit: limit(1) }), policy('b', G, { rateLimit: limit(2), cors })),
      [],
      [
        ['cors', 'default/b', 'Gateway'],
        ['rateLimit', 'default/a', 'Gateway'],
      ],
    ],
  ])('%s', (_name, gatewayPolicies, consumerPolicies, expected) => {
    expect(resolvePlugins(gatewayPolicies, consumerPolicies).map((p) => [p.name, p.policy, p.level])).toEqual(
      expected,
    );
  });

  it('interns equal sets into one object', () => {
    const interner = new PluginSetInterner();
    const p = gw(policy('g', G, { cors }));
    const a = interner.intern(resolvePlugins(p, []));
    expect(interner.intern(resolvePlugins(p, []))).toBe(a);
    expect(a.byName.cors?.config).toBe(cors);
    expect(interner.intern([]).list).toEqual([]);
  });
});

describe('snapshot: plugins precomputed per consumer', () => {
  const snapshot = buildSnapshot(
    [
      gateway('acme', { limits: { maxRequestBodyBytes: 5000, requestTimeoutMs: 1000 } }),
      gateway('other'),
      registry('r'),
      consumer('app', 'acme', ['k1'], [route('*', ['r'])]),
      consumer('quiet', 'acme', ['k2'], [route('*', ['r'])]),
      consumer('elsewhere', 'other', ['k3'], [route('*', ['r'])]),
      policy('acme-wide', [{ kind: 'Gateway', name: 'default/acme' }], {
        cors,
        requestSize: { maxBodyBytes: 100 },
      }),
      policy('app-only', [{ kind: 'Consumer', name: 'default/app' }], { rateLimit: limit(5) }, true),
    ],
    1,
  );
  const of = (g: string, c: string) => snapshot.gatewaysBySlug.get(g)?.consumersBySlug.get(c);

  it('gives each consumer its gateway-level plugins plus its own', () => {
    expect(of('acme', 'app')?.plugins.list.map((p) => `${p.name}@${p.policy}`)).toEqual([
      'cors@default/acme-wide',
      'requestSize@default/acme-wide',
      'rateLimit@default/app-only',
    ]);
    expect(of('acme', 'app')?.plugins.byName.rateLimit?.parallel).toBe(true);
    expect(of('acme', 'quiet')?.plugins.list.map((p) => p.name)).toEqual(['cors', 'requestSize']);
    expect(of('other', 'elsewhere')?.plugins.list).toEqual([]);
  });

  it("makes requestSize.maxBodyBytes the consumer's body limit, the gateway default otherwise", () => {
    expect(of('acme', 'app')?.maxRequestBodyBytes).toBe(100);
    expect(of('other', 'elsewhere')?.maxRequestBodyBytes).toBe(1024 * 1024);
  });
});
