import type { Consumer, Gateway, Registry, Secret } from '../api/v1alpha1';
import { ObjectStore } from './store';

const secret = (name: string, value: string): Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'team' },
  stringData: { key: value },
});
const consumer = (name: string, keys: string[], generation = 1): Consumer =>
  ({
    apiVersion: 'tollgate.dev/v1alpha1',
    kind: 'Consumer',
    metadata: { name, namespace: 'team', generation },
    spec: {
      gatewayRef: { name: 'gw' },
      slug: name,
      credentials: { apiKeys: keys.map((k) => ({ secretRef: { name: k, key: 'key' } })) },
      routes: [],
    },
  }) as unknown as Consumer;

describe('ObjectStore', () => {
  it('a Secret matters while at least one object names it', () => {
    const store = new ObjectStore();
    store.upsert(consumer('a', ['shared', 'own']));
    store.upsert(consumer('b', ['shared']));
    expect(store.upsert(secret('shared', 'v1'))).toBe(true);
    expect(store.upsert(secret('stray', 'v1'))).toBe(false);

    // a stops naming it; b still does
    store.upsert(consumer('a', ['own'], 2));
    expect(store.upsert(secret('shared', 'v2'))).toBe(true);
    // b goes away: nobody names it
    store.delete(consumer('b', ['shared']));
    expect(store.upsert(secret('shared', 'v3'))).toBe(false);
    expect(store.input().secrets.map((s) => s.metadata.name)).toEqual([]);

    expect(store.upsert(secret('own', 'v1'))).toBe(true);
    expect(store.input().secrets.map((s) => s.metadata.name)).toEqual(['own']);
    // the same value again is no change
    expect(store.upsert(secret('own', 'v1'))).toBe(false);
  });

  it('a status-only update is not a change; a spec or generation change is', () => {
    const store = new ObjectStore();
    expect(store.upsert(consumer('a', []))).toBe(true);
    const touched = consumer('a', []);
    touched.metadata.resourceVersion = '42';
    expect(store.upsert(touched)).toBe(false);
    expect(store.upsert(consumer('a', ['k'], 2))).toBe(true);
    expect(store.delete(consumer('a', []))).toBe(true);
    expect(store.delete(consumer('a', []))).toBe(false);
  });

  it('keeps the Secrets of MCP session keys, MCP headers and Stdio env', () => {
    const store = new ObjectStore();
    store.upsert({
      apiVersion: 'tollgate.dev/v1alpha1',
      kind: 'Gateway',
      metadata: { name: 'gw', namespace: 'team' },
      spec: { slug: 'gw', mcp: { sessionKeys: [{ id: 'k', secretRef: { name: 'session', key: 'key' } }] } },
    } satisfies Gateway);
    store.upsert({
      apiVersion: 'tollgate.dev/v1alpha1',
      kind: 'Registry',
      metadata: { name: 'tools', namespace: 'team' },
      spec: {
        provider: 'mcp',
        mcp: {
          url: 'https://tools.example.com/mcp',
          headers: [{ name: 'x-token', secretRef: { name: 'header', key: 'key' } }],
          env: [{ name: 'TOKEN', secretRef: { name: 'env', key: 'key' } }],
        },
      },
    } satisfies Registry);
    for (const name of ['session', 'header', 'env']) expect(store.upsert(secret(name, 'v'))).toBe(true);
    expect(store.upsert(secret('stray', 'v'))).toBe(false);
  });

  it("a Gateway's approval webhook names its signing-key Secret", () => {
    const store = new ObjectStore();
    const gateway: Gateway = {
      apiVersion: 'tollgate.dev/v1alpha1',
      kind: 'Gateway',
      metadata: { name: 'gw', namespace: 'team', generation: 1 },
      spec: {
        slug: 'gw',
        mcp: {
          sessionKeys: [{ id: 'k', secretRef: { name: 'session', key: 'key' } }],
          approvals: {
            webhook: { url: 'https://hooks.example.com', secretRef: { name: 'hmac', key: 'key' } },
          },
        },
      },
    };
    expect(store.upsert(secret('hmac', 'v1'))).toBe(false);
    store.upsert(gateway);
    expect(store.upsert(secret('hmac', 'v2'))).toBe(true);
    expect(store.input().secrets.map((s) => s.metadata.name)).toEqual(['hmac']);
  });
});
