import { buildSnapshot } from '../config/snapshot';
import { consumer, gateway, registry, route } from '../testing/resources';
import { GatewayError } from './errors';
import {
  authenticate,
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
    ['unknown header falls back to host', 'nope', 'acme.example.com', 'acme'],
    ['host-only gateway by host', undefined, 'hidden.example.com', 'hidden'],
  ])('%s', (_name, header, host, expected) => {
    expect(findGateway(snapshot, header, host).config.slug).toBe(expected);
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
