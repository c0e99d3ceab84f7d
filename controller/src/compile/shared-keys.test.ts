import type { Consumer, Gateway, Registry, Secret } from '../api/v1alpha1';
import { compile } from '.';

/** A key two Consumers hold cannot address one alone (key-only addressing): compile says so, without rejecting. */
const meta = (name: string) => ({ name, namespace: 'default', generation: 1 });
const gw = (name: string): Gateway => ({
  apiVersion: 'tollgate.dev/v1alpha1',
  kind: 'Gateway',
  metadata: meta(name),
  spec: { slug: name },
});
const registry: Registry = {
  apiVersion: 'tollgate.dev/v1alpha1',
  kind: 'Registry',
  metadata: meta('mock'),
  spec: { provider: 'mock' },
} as Registry;
const consumer = (name: string, gateway: string, key: string): Consumer =>
  ({
    apiVersion: 'tollgate.dev/v1alpha1',
    kind: 'Consumer',
    metadata: meta(name),
    spec: {
      gatewayRef: { name: gateway },
      slug: name,
      credentials: { apiKeys: [{ secretRef: { name: 'keys', key } }] },
      routes: [{ model: 'm', targets: [{ registryRef: { name: 'mock' } }] }],
    },
  }) as Consumer;
const secrets: Secret[] = [
  {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta('keys'),
    stringData: { one: 'sk-one', same: 'sk-same', again: ' sk-same ' },
  } as Secret,
];

function accepted(name: string, objects: Parameters<typeof compile>[0]['objects']) {
  const status = compile({ objects, secrets }).statuses.find((s) => s.kind === 'Consumer' && s.name === name);
  return status?.conditions.find((c) => c.type === 'Accepted');
}

describe('compile: API keys shared across consumers', () => {
  const objects = [
    gw('acme'),
    gw('beta'),
    registry,
    consumer('a', 'acme', 'same'),
    consumer('b', 'beta', 'again'),
    consumer('c', 'acme', 'one'),
  ];

  it('warns each holder, naming the others, and still accepts them', () => {
    const a = accepted('a', objects);
    expect(a?.status).toBe('True');
    expect(a?.message).toBe(
      'Consumer is valid; warning: an API key of this Consumer is also held by Consumer default/b, so it cannot be used without /{consumer} in the path (key-only addressing); give each Consumer its own key',
    );
    expect(accepted('b', objects)?.message).toContain('also held by Consumer default/a');
    expect(compile({ objects, secrets }).resources.filter((r) => r.kind === 'Consumer')).toHaveLength(3);
  });

  it('says nothing of a key held once, nor once the sharing ends', () => {
    expect(accepted('c', objects)?.message).toBe('Consumer is valid');
    expect(
      accepted(
        'a',
        objects.filter((o) => o.metadata.name !== 'b'),
      )?.message,
    ).toBe('Consumer is valid');
  });

  it('never names the key', () => {
    expect(JSON.stringify(compile({ objects, secrets }).statuses)).not.toContain('sk-same');
  });
});
