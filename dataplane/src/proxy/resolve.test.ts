import { createHash } from 'node:crypto';
import { buildSnapshot, type RuntimeConsumer } from '../config/snapshot';
import { healthKey } from '../routing/health';
import { consumer, gateway, registry, route } from '../testing/resources';
import { GatewayError } from '../errors/errors';
import {
  authenticate,
  findByKey,
  findConsumer,
  findGateway,
  findRoute,
  pickTarget,
  presentedKey,
  upstreamModel,
} from './resolve';

const snapshot = buildSnapshot(
  [
    gateway('acme', { hostnames: ['acme.example.com', 'llm.acme.io'] }),
    gateway('hidden', { hostnames: ['hidden.example.com'], discovery: 'HostOnly' }),
    registry('a', { aliases: { fast: 'a-small' } }),
    registry('b'),
    consumer(
      'app',
      'acme',
      ['key-app-1', 'key-app-2'],
      [route('gpt', ['a', 3], ['b', 1]), route('*', ['b'])],
    ),
    consumer('other', 'acme', ['key-other'], [route('gpt', ['a'])]),
    consumer('ghost', 'hidden', ['key-ghost'], []),
  ],
  1,
);

/** `{status} {code}: {message}` of the GatewayError `fn` throws. */
function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof GatewayError) return `${e.status} ${e.code}: ${e.message}`;
    throw e;
  }
  throw new Error('expected a GatewayError');
}

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e instanceof GatewayError ? e.status : -1;
  }
}

describe('findGateway', () => {
  it.each([
    ['header', 'acme', undefined, 'acme'],
    ['host', undefined, 'llm.acme.io', 'acme'],
    ['host with port, any case', undefined, 'ACME.example.com:8081', 'acme'],
    ['a host-only gateway ignores the header: the host decides', 'hidden', 'acme.example.com', 'acme'],
    ['host-only gateway by host', undefined, 'hidden.example.com', 'hidden'],
  ])('%s', (_name, header, host, expected) => {
    expect(findGateway(snapshot, header, host).config.slug).toBe(expected);
  });

  it('refuses a header slug that names no gateway, naming it, even when the Host names one', () => {
    expect(messageOf(() => findGateway(snapshot, 'nope', 'acme.example.com'))).toBe(
      "404 gateway_not_found: No gateway has the slug 'nope' (from the X-AG-Gateway-Slug header).",
    );
  });

  it('names the Host that matched nothing and the ways to address a gateway', () => {
    const m = messageOf(() => findGateway(snapshot, undefined, 'localhost:8081'));
    expect(m).toContain("the Host 'localhost:8081' is not a gateway hostname");
    expect(m).toContain('X-AG-Gateway-Slug');
    expect(m).toContain('/v1/... with the API key alone');
  });

  it.each([
    ['unknown slug', 'nope', undefined],
    ['unknown host', undefined, 'evil.example.com'],
    ['host-only gateway refuses the header', 'hidden', 'localhost'],
    ['nothing', undefined, undefined],
  ])('404 for %s', (_name, header, host) => {
    expect(statusOf(() => findGateway(snapshot, header, host))).toBe(404);
  });
});

describe('findByKey (key-only addressing)', () => {
  const keyed = buildSnapshot(
    [
      gateway('acme', { hostnames: ['acme.example.com'] }),
      gateway('beta'),
      gateway('hidden', { hostnames: ['hidden.example.com'], discovery: 'HostOnly' }),
      consumer('app', 'acme', ['key-app', 'key-shared'], []),
      consumer('b-app', 'beta', ['key-b', 'key-shared'], []),
      consumer('ghost', 'hidden', ['key-ghost'], []),
    ],
    1,
  );
  const found = (key: string | undefined, header?: string, host?: string) => {
    const r = findByKey(keyed, key, header, host);
    return `${r.consumer.gateway.config.slug}/${r.consumer.config.slug}`;
  };

  it('finds gateway and consumer from the key alone, returning the digest authenticate would', () => {
    expect(found('key-app')).toBe('acme/app');
    expect(found('key-b', undefined, 'localhost:8081')).toBe('beta/b-app');
    const acme = findGateway(keyed, 'acme', undefined);
    expect(findByKey(keyed, 'key-app', undefined, undefined).digest).toEqual(
      authenticate(findConsumer(acme, 'app'), 'key-app'),
    );
  });

  it('accepts a header or Host that names the key gateway', () => {
    expect(found('key-app', 'acme')).toBe('acme/app');
    expect(found('key-app', undefined, 'acme.example.com')).toBe('acme/app');
    expect(found('key-ghost', undefined, 'hidden.example.com')).toBe('hidden/ghost');
  });

  it('refuses a key held by several consumers, naming them', () => {
    expect(messageOf(() => findByKey(keyed, 'key-shared', undefined, undefined))).toMatch(
      /^400 ambiguous_api_key: This API key belongs to 2 consumers \(acme\/app, beta\/b-app\), so it cannot choose one alone/,
    );
  });

  it.each([
    ['no key', undefined, undefined, undefined, '401 missing_api_key'],
    ['an unknown key', 'key-nope', undefined, undefined, '401 invalid_api_key'],
    [
      'a header naming no gateway',
      'key-app',
      'nope',
      undefined,
      "404 gateway_not_found: No gateway has the slug 'nope'",
    ],
    [
      'a header naming another gateway',
      'key-app',
      'beta',
      undefined,
      "403 api_key_not_allowed: This API key does not belong to gateway 'beta'.",
    ],
    [
      'a Host of another gateway',
      'key-b',
      undefined,
      'acme.example.com',
      "403 api_key_not_allowed: This API key does not belong to gateway 'acme'.",
    ],
    [
      'a host-only gateway away from its hostnames',
      'key-ghost',
      undefined,
      'localhost',
      '401 invalid_api_key',
    ],
  ])('refuses %s', (_name, key, header, host, expected) => {
    expect(messageOf(() => findByKey(keyed, key, header, host))).toContain(expected);
  });
});

describe('presentedKey', () => {
  const h = (o: Record<string, string>) => ({ header: (n: string) => o[n] });
  it.each([
    [{ 'x-ag-api-key': 'k1' }, 'k1'],
    [{ authorization: 'Bearer k2' }, 'k2'],
    [{ authorization: 'bearer   k3  ' }, 'k3'],
    [{ 'x-api-key': 'k4' }, 'k4'],
    [{ 'x-ag-api-key': 'first', authorization: 'Bearer second' }, 'first'],
    [{ authorization: 'Basic abc' }, undefined],
    [{}, undefined],
  ])('%j → %s', (headers, expected) => {
    expect(presentedKey(h(headers))).toBe(expected);
  });
});

describe('authenticate', () => {
  const acme = findGateway(snapshot, 'acme', undefined);
  const app = findConsumer(acme, 'app');
  it('accepts each of the consumer keys', () => {
    expect(() => authenticate(app, 'key-app-1')).not.toThrow();
    expect(() => authenticate(app, 'key-app-2')).not.toThrow();
  });
  it('401 without a key, 401 for an unknown key, 403 for another consumer key', () => {
    expect(statusOf(() => authenticate(app, undefined))).toBe(401);
    expect(statusOf(() => authenticate(app, 'key-nope'))).toBe(401);
    expect(statusOf(() => authenticate(app, 'key-other'))).toBe(403);
  });
  it('a key of a consumer of another gateway is simply unknown here', () => {
    expect(statusOf(() => authenticate(app, 'key-ghost'))).toBe(401);
  });
  it("a key seen before is still checked against each consumer's keys (its digest is remembered, not its verdict)", () => {
    const other = findConsumer(acme, 'other');
    const digest = authenticate(app, 'key-app-1');
    expect(digest.equals(createHash('sha256').update('key-app-1').digest())).toBe(true);
    expect(authenticate(app, 'key-app-1').equals(digest)).toBe(true);
    expect(statusOf(() => authenticate(other, 'key-app-1'))).toBe(403);
    const withoutKey = { ...app, keyHashes: app.keyHashes.filter((h) => !h.equals(digest)) };
    // Refused: 403 here, since the gateway's index of keys (unchanged in this copy) still names it.
    expect(statusOf(() => authenticate(withoutKey, 'key-app-1'))).toBe(403);
  });
  it('404 for an unknown consumer', () => {
    expect(statusOf(() => findConsumer(acme, 'nobody'))).toBe(404);
  });
});

describe('routing', () => {
  const app = findConsumer(findGateway(snapshot, 'acme', undefined), 'app');
  const other = findConsumer(findGateway(snapshot, 'acme', undefined), 'other');
  it('exact route before catch-all', () => {
    expect(findRoute(app, 'gpt').model).toBe('gpt');
    expect(findRoute(app, 'anything').model).toBe('*');
    expect(statusOf(() => findRoute(other, 'anything'))).toBe(404);
  });
  it('honours weights 3:1 exactly over the unit interval', () => {
    const r = findRoute(app, 'gpt');
    const counts: Record<string, number> = {};
    for (let i = 0; i < 400; i++) {
      const t = pickTarget(r, i / 400);
      counts[t?.registryName ?? 'none'] = (counts[t?.registryName ?? 'none'] ?? 0) + 1;
    }
    expect(counts).toEqual({ 'default/a': 300, 'default/b': 100 });
  });
  it('applies target model override, then registry aliases', () => {
    const [a] = findRoute(app, 'gpt').targets;
    expect(a && upstreamModel(a, 'gpt')).toBe('gpt');
    expect(a && upstreamModel(a, 'fast')).toBe('a-small');
    expect(a && upstreamModel({ ...a, model: 'fast' }, 'gpt')).toBe('a-small');
  });
  it('an empty route yields no target', () => {
    expect(
      pickTarget({ model: 'x', targets: [], cumulativeWeights: [], totalWeight: 0 }, 0.5),
    ).toBeUndefined();
  });
});

describe('virtual models: @registry/model and pool:model', () => {
  const virt = buildSnapshot(
    [
      gateway('v'),
      registry('a', { provider: 'openai', aliases: { gpt: 'gpt-4o' } }),
      registry('b'),
      registry('c', { provider: 'anthropic' }),
      registry('d', { provider: 'openai' }),
      registry('e', { provider: 'mock' }),
      consumer(
        'app',
        'v',
        ['k'],
        [
          route('gpt', ['a', 3], ['b', 1], ['c', 1, 'claude-x', 1]),
          route('dup', ['a'], ['d']),
          route('other', ['e']),
          route('*', ['b']),
        ],
      ),
      consumer('strict', 'v', ['k2'], [route('gpt', ['a'])]),
    ],
    1,
  ).gatewaysBySlug.get('v');
  const app = virt && findConsumer(virt, 'app');
  const strict = virt && findConsumer(virt, 'strict');
  if (!app || !strict) throw new Error('fixture did not build');

  /** The 404's message, or a description of what happened instead. */
  function notFound(consumer: RuntimeConsumer, model: string): string {
    try {
      return `resolved to ${findRoute(consumer, model).model}`;
    } catch (e) {
      if (!(e instanceof GatewayError)) throw e;
      expect({ status: e.status, code: e.code }).toEqual({ status: 404, code: 'model_not_found' });
      return e.message;
    }
  }
  const registriesOf = (model: string) => findRoute(app, model).targets.map((t) => t.registryName);

  it('a plain model name is its own route, the same object every time, with fallback', () => {
    const r = findRoute(app, 'gpt');
    expect(findRoute(app, 'gpt')).toBe(r);
    expect(r.fallback).toBe(true);
  });

  it('@registry/model pins that registry of the route, without fallback', () => {
    const r = findRoute(app, '@a/gpt');
    expect(r.targets.map((t) => t.registryName)).toEqual(['default/a']);
    expect(r.fallback).toBe(false);
    expect(r.model).toBe('@a/gpt');
    // the upstream model is the route model after the registry's aliases, health shared with the route
    const [a] = r.targets;
    expect(a && upstreamModel(a, '@a/gpt')).toBe('gpt-4o');
    expect(a?.key).toBe(findRoute(app, 'gpt').targets[0]?.key);
    expect(pickTarget(r, 0.99)?.registryName).toBe('default/a');
  });

  it("a pinned target's own model override still applies", () => {
    const [c] = findRoute(app, '@c/gpt').targets;
    expect(c && upstreamModel(c, '@c/gpt')).toBe('claude-x');
  });

  it('@provider/model pins the one registry of that provider among the targets', () => {
    expect(registriesOf('@anthropic/gpt')).toEqual(['default/c']);
    expect(registriesOf('@openai/gpt')).toEqual(['default/a']);
    expect(findRoute(app, '@openai/gpt').model).toBe('@openai/gpt');
  });

  it('@registry/model through the catch-all sends the model named after the slash', () => {
    const r = findRoute(app, '@b/llama-3');
    expect(r.model).toBe('@b/*');
    const [b] = r.targets;
    expect(b && upstreamModel(b, '@b/llama-3')).toBe('llama-3');
    expect(b?.key).toBe(healthKey('default/b', 'llama-3'));
    // a model name may hold slashes itself: only the first one ends the registry name
    const [b2] = findRoute(app, '@b/meta/llama-3').targets;
    expect(b2 && upstreamModel(b2, '@b/meta/llama-3')).toBe('meta/llama-3');
  });

  it('404s that say which: not a target, unknown name, ambiguous provider', () => {
    expect(notFound(app, '@e/gpt')).toBe("The registry 'e' is not a target of model 'gpt'.");
    expect(notFound(app, '@a/llama-3')).toBe("The registry 'a' is not a target of model 'llama-3'.");
    expect(notFound(app, '@zzz/gpt')).toBe(
      "'zzz' is neither a registry of this consumer nor the provider of a target of model 'gpt'.",
    );
    expect(notFound(app, '@mock/gpt')).toContain("'mock' is neither a registry");
    expect(notFound(app, '@openai/dup')).toBe(
      "The provider 'openai' has 2 registries among the targets of model 'dup' ('a', 'd'): pin one by its registry name.",
    );
  });

  it('a consumer never reaches a registry none of its routes names', () => {
    expect(notFound(strict, '@b/gpt')).toContain("'b' is neither a registry of this consumer");
    expect(notFound(strict, '@a/other')).toBe(
      "The model 'other' does not exist or you do not have access to it. Models you can use: 'gpt'.",
    );
  });

  it.each(['@', '@a', '@a/', '@/gpt', '@b/*'])('404 for the malformed pin %s', (model) => {
    expect(notFound(app, model)).toContain("pin a registry as '@{registry}/{model}'");
  });

  it('pool:model balances the named route without fallback, its groups keeping their cursors', () => {
    const route = findRoute(app, 'gpt');
    const pool = findRoute(app, 'pool:gpt');
    expect(pool.model).toBe('pool:gpt');
    expect(pool.fallback).toBe(false);
    expect(pool.strategy).toBe(route.strategy);
    expect(pool.groups.map((g) => g.targets.map((t) => t.registryName))).toEqual([
      ['default/a', 'default/b'],
      ['default/c'],
    ]);
    expect(pool.groups.map((g) => g.cursor)).toEqual(route.groups.map((g) => g.cursor));
    expect(pool.groups[0]?.cursor).toBe(route.groups[0]?.cursor);
    expect(pool.totalWeight).toBe(5);
    expect(pool.targets.map((t) => upstreamModel(t, 'pool:gpt'))).toEqual(['gpt-4o', 'gpt', 'claude-x']);
  });

  it.each([
    ['pool:nope', "The pool 'pool:nope' does not exist: this consumer has no route for model 'nope'."],
    ['pool:*', "The pool 'pool:*' does not exist: this consumer has no route for model '*'."],
    ['pool:', "The pool 'pool:' does not exist: this consumer has no route for model ''."],
  ])('404 for the unknown pool %s, never the catch-all', (model, message) => {
    expect(notFound(app, model)).toBe(message);
  });
});
